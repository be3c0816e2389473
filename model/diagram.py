"""Lifecycle diagrams as text: the intermediate form (frozen dataclasses) and its Mermaid and DOT renderers.

Pipeline, after python-statemachine's ``contrib.diagram``: extract (``from_graph``, from the
graph form of ``model.flowgraph`` / ``model.mermaid``) -> ``DiagramGraph`` -> ``render_*``.
The PNG renderer (matplotlib) lives in ``simulations.report.render_png``.

Why not python-statemachine's own renderers: its intermediate form has no notion of a *gap*
edge (an observed ordering the seed's chart does not allow, drawn highlighted); its DOT
renderer needs ``pydot``, which is not a dependency of ssesim; and its Mermaid output adds a
``direction`` line and ``state "X" as X`` declarations, where ours reproduces the seed's own
layout, so that ``model/seed_flow.mmd`` and the rendered ``seed_flow.mmd`` read alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from model.flowgraph import ordered_edges


@dataclass(frozen=True, slots=True)
class Edge:
    """One labelled transition; ``gap`` marks one observed but absent from the seed's chart."""

    src: str
    dst: str
    label: str
    gap: bool = False


@dataclass(frozen=True, slots=True)
class DiagramGraph:
    """What a renderer needs: a title, the states in order, the initial state, the edges."""

    title: str
    states: tuple[str, ...]
    initial: str
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class DotConfig:
    """Presentation of the DOT renderer."""

    rankdir: str = "TB"
    font: str = "Helvetica"
    state_fill: str = "#e8f0fb"
    edge_color: str = "#333333"
    gap_color: str = "#d62728"


GAP_LEGEND = "chart gap: observed, not in the seed's chart"


def from_graph(graph: nx.MultiDiGraph, title: str,
               gaps: Iterable[tuple[str, str, str]] = ()) -> DiagramGraph:
    """The intermediate form of ``graph`` plus ``gaps`` ((src, event label, dst)) as gap edges.

    A gap already among the graph's transitions is not a gap and is dropped; a gap naming an
    unknown state adds that state.
    """
    states = list(graph.nodes)
    edges = [Edge(src, dst, label) for src, label, dst in ordered_edges(graph)]
    known = {(e.src, e.label, e.dst) for e in edges}
    for src, label, dst in gaps:
        if (src, label, dst) in known:
            continue
        known.add((src, label, dst))
        states += [s for s in (src, dst) if s not in states]
        edges.append(Edge(src, dst, label, gap=True))
    return DiagramGraph(title, tuple(states), graph.graph["initial"], tuple(edges))


def render_mermaid(diagram: DiagramGraph) -> str:
    """Mermaid ``stateDiagram-v2`` source, in the seed's layout, readable by ``model.mermaid``.

    stateDiagram-v2 cannot style a single transition, so gap edges come last, after a
    ``%%`` comment that says what they are; their labels stay exact, so the completed chart
    parses back to the seed's transitions plus the gaps.
    """
    lines = ["---", f"title: {json.dumps(_one_line(diagram.title))}", "---", "stateDiagram-v2",
             f"    [*] --> {diagram.initial}", ""]
    linked = {diagram.initial} | {s for e in diagram.edges for s in (e.src, e.dst)}
    lines += [f'    state "{s}" as {s}' for s in diagram.states if s not in linked]
    lines += [_mermaid_edge(e) for e in diagram.edges if not e.gap]
    gaps = [_mermaid_edge(e) for e in diagram.edges if e.gap]
    if gaps:
        lines += ["", f"    %% {GAP_LEGEND}"] + gaps
    return "\n".join(lines) + "\n"


def render_dot(diagram: DiagramGraph, config: DotConfig = DotConfig()) -> str:
    """Graphviz DOT source: rounded state boxes, a start dot, gap edges red and dashed."""
    c = config
    lines = [
        f"digraph {_q(diagram.title)} {{",
        (f"  graph [label={_q(diagram.title)}, labelloc=t, fontsize=16, fontname={_q(c.font)},"
         f" rankdir={c.rankdir}, nodesep=0.6, ranksep=0.5];"),
        (f"  node [shape=box, style=\"rounded,filled\", fillcolor={_q(c.state_fill)},"
         f" fontname={_q(c.font)}, fontsize=11];"),
        f"  edge [fontname={_q(c.font)}, fontsize=10, color={_q(c.edge_color)}];",
        '  "__start__" [shape=point, width=0.15, label=""];',
    ]
    lines += [f"  {_q(s)};" for s in diagram.states]
    lines.append(f"  \"__start__\" -> {_q(diagram.initial)};")
    for e in diagram.edges:
        style = (f", color={_q(c.gap_color)}, fontcolor={_q(c.gap_color)}, style=dashed,"
                 " penwidth=1.8") if e.gap else ""
        lines.append(f"  {_q(e.src)} -> {_q(e.dst)} [label={_q(e.label)}{style}];")
    if any(e.gap for e in diagram.edges):
        lines += _dot_legend(c)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_legend(c: DotConfig) -> list[str]:
    """A small boxed legend: one red dashed sample edge labelled with what it means."""
    return [
        "  subgraph cluster_legend {",
        f"    label=\"Legend\"; fontsize=10; color=\"#999999\"; fontname={_q(c.font)};",
        '    "__legend_a__" [shape=point, width=0.05, label=""];',
        '    "__legend_b__" [shape=point, width=0.05, label=""];',
        (f"    \"__legend_a__\" -> \"__legend_b__\" [label={_q(GAP_LEGEND)},"
         f" color={_q(c.gap_color)}, fontcolor={_q(c.gap_color)}, style=dashed];"),
        "  }",
    ]


def _mermaid_edge(edge: Edge) -> str:
    return f"    {edge.src} --> {edge.dst} : {_one_line(edge.label)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
