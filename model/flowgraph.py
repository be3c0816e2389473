"""Extract the graph form of a python-statemachine chart, and list the differences of two such graphs.

The graph form is ``model.mermaid``'s: a ``MultiDiGraph`` whose nodes are state ids (attribute
``label``), graph attributes ``initial`` and ``title``, one edge per (transition, event) keyed by
the event's name (its human label), with attribute ``order``. ``compare_graphs`` looks at states, the initial state and
labelled transitions, nothing more: display labels, titles and edge order are presentation.
"""

from __future__ import annotations

import networkx as nx


def chart_to_graph(chart_cls) -> nx.MultiDiGraph:
    """The graph form of a StateChart class (never instantiated): states, initial, transitions."""
    graph = nx.MultiDiGraph(initial=None, title=chart_cls.__name__)
    for state in chart_cls.states:
        graph.add_node(state.id, label=str(state.name))
        if state.initial:
            graph.graph["initial"] = state.id
    # Edges in event declaration order, so that a chart written in the mermaid's order
    # yields the mermaid's edge order.
    for event in chart_cls.events:
        for state in chart_cls.states:
            for transition in state.transitions:
                if event.id in {str(e) for e in transition.events}:
                    label = str(event.name)
                    graph.add_edge(state.id, transition.target.id, key=label, label=label,
                                   order=graph.number_of_edges())
    return graph


def ordered_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, str]]:
    """Transitions as (src, label, dst) in their ``order`` (source or declaration order)."""
    edges = graph.edges(keys=True, data="order", default=0)
    return [(u, key, v) for u, v, key, _ in sorted(edges, key=lambda e: e[3])]


def edge_text(src: str, label: str, dst: str) -> str:
    """One transition as text: ``A --[label]--> B``."""
    return f"{src} --[{label}]--> {dst}"


def compare_graphs(a: nx.MultiDiGraph, b: nx.MultiDiGraph,
                   a_name: str = "mermaid", b_name: str = "chart") -> list[str]:
    """Human-readable differences between two graph forms, sorted; empty when they are equal."""
    diffs = []
    for only, here, there in ((a_name, a, b), (b_name, b, a)):
        diffs += [f"state {s} only in {only}" for s in sorted(set(here) - set(there))]
        diffs += [f"edge {edge_text(*e)} only in {only}"
                  for e in sorted(_edges(here) - _edges(there))]
    if a.graph.get("initial") != b.graph.get("initial"):
        diffs.append(f"initial state is {a.graph.get('initial')} in {a_name}, "
                     f"{b.graph.get('initial')} in {b_name}")
    return diffs


def _edges(graph: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    """Transitions as (src, label, dst) triples."""
    return {(u, key, v) for u, v, key in graph.edges(keys=True)}
