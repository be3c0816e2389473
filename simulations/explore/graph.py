"""The reachable state graph of a scenario, as a networkx ``MultiDiGraph``: GraphML for tools (``simulations.report.state_png`` draws it for people).

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


def build_graph(model, max_states: int = 1_000_000) -> tuple[nx.MultiDiGraph, bool]:
    """(graph, complete): every state reachable within ``max_states``, and the steps between them."""
    from simulations.explore.explorer import describe
    graph = nx.MultiDiGraph()  # one edge per transition, as explore counts them
    root = model.initial()
    ids = {root.key(model.keys): 0}
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
            key = child.key(model.keys)
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
    from simulations.io.files import atomic_write, make_folder
    make_folder(Path(path).parent, option)
    atomic_write(Path(path), "\n".join(nx.generate_graphml(graph)) + "\n", option)
