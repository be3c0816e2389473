"""The reachable state graph of a scenario, as a networkx ``MultiDiGraph``: GraphML for tools, PNG for people.

Built by a breadth-first walk of the explorer's ``Model`` (the same states and steps that ``explore``
counts, without partial-order reduction) so that every edge carries the readable label of its step and
the invariants it broke. Node ids are sequential integers in discovery order (0 is the initial state);
node attributes: ``depth`` (fewest steps from the initial state), ``violating`` (the invariants broken
on some step into the state, comma-separated, "" if none), ``terminal``; edge attributes: ``action``
(the step's label), ``step`` (the action tuple as text) and ``violates``.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import networkx as nx

from model.invariants import INVARIANTS

PNG_MAX_STATES = 300  # beyond this a drawing is a hairball; the GraphML is the useful form


def build_graph(model, max_states: int = 1_000_000) -> tuple[nx.MultiDiGraph, bool]:
    """(graph, complete): every state reachable within ``max_states``, and the steps between them."""
    from simulations.explore import describe
    graph = nx.MultiDiGraph()  # one edge per transition, as explore counts them
    root = model.initial()
    ids = {root.key(): 0}
    graph.add_node(0, depth=0, violating="", terminal=False)
    queue = deque([(root, 0)])
    broken: dict[int, set] = {}
    complete = True
    while queue:
        node, nid = queue.popleft()
        acts = model.actions(node)
        graph.nodes[nid]["terminal"] = not acts
        for action in acts:
            child = model.step(node, action)
            key = child.key()
            cid = ids.get(key)
            if cid is None:
                if len(ids) >= max_states:
                    complete = False
                    continue
                cid = ids[key] = len(ids)
                graph.add_node(cid, depth=graph.nodes[nid]["depth"] + 1, violating="", terminal=False)
                queue.append((child, cid))
            raised = [inv for inv in INVARIANTS if child.monitor.counts[inv] > node.monitor.counts[inv]]
            if raised:
                broken.setdefault(cid, set()).update(raised)
            graph.add_edge(nid, cid, action=describe(model, node, action),
                           step=" ".join(map(str, action)), violates=",".join(raised))
    for nid, invs in broken.items():
        graph.nodes[nid]["violating"] = _join(invs)
    return graph, complete


def _join(invs) -> str:
    return ",".join(inv for inv in INVARIANTS if inv in invs)


def write_graphml(graph: nx.MultiDiGraph, path: Path, option: str = "--graph") -> None:
    from simulations.diagrams import atomic_write, make_folder
    make_folder(Path(path).parent, option)
    atomic_write(Path(path), "\n".join(nx.generate_graphml(graph)) + "\n", option)


def write_png(graph: nx.MultiDiGraph, path: Path, title: str, option: str = "--png") -> None:
    """Draw the graph in layers by depth; violating states red, terminal ones outlined."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulations.diagrams import atomic_write, make_folder
    make_folder(Path(path).parent, option)
    for nid, data in graph.nodes(data=True):
        graph.nodes[nid]["layer"] = data["depth"]
    pos = nx.multipartite_layout(graph, subset_key="layer", align="horizontal")
    pos = {n: (x, -y) for n, (x, y) in pos.items()}  # nx puts layer 0 at the bottom: flip it
    depth = max((d for _, d in graph.nodes(data="depth")), default=0)
    width = max((sum(1 for _, d in graph.nodes(data="depth") if d == k) for k in range(depth + 1)),
                default=1)
    fig, ax = plt.subplots(figsize=(min(4 + width * 0.6, 40), min(3 + depth * 0.9, 40)))
    colors = ["#d62728" if graph.nodes[n]["violating"] else "#1f77b4" for n in graph.nodes]
    edge_colors = ["#d62728" if graph.edges[e]["violates"] else "#999999" for e in graph.edges]
    nx.draw_networkx_edges(graph, pos, ax=ax, edge_color=edge_colors, arrowsize=6, width=0.6,
                           node_size=60)
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colors, node_size=60,
                           edgecolors=["black" if graph.nodes[n]["terminal"] else "none"
                                       for n in graph.nodes])
    if graph.number_of_nodes() <= 40:
        nx.draw_networkx_labels(graph, pos, ax=ax, font_size=6, font_color="white")
    ax.set_title(f"{title}\n{graph.number_of_nodes()} states, {graph.number_of_edges()} edges; "
                 "red: a step into it breaks an invariant; outlined: terminal", fontsize=9)
    ax.axis("off")
    for nid in graph.nodes:
        del graph.nodes[nid]["layer"]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write(Path(path), buf.getvalue(), option)
