"""Draw an explored state graph (``simulations.explore.graph``) as a PNG, in layers by depth."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx

from simulations.io.files import atomic_write, make_folder

PNG_MAX_STATES = 300  # beyond this a drawing is a hairball; the GraphML is the useful form


def write_png(graph: nx.MultiDiGraph, path: Path, title: str, option: str = "--png") -> None:
    """Draw the graph in layers by depth; violating states red, terminal ones outlined."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
