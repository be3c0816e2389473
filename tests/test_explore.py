"""The explorer on tiny reference models with hand-counted state graphs, and ``ssesim explore``.

Reference counts (one client, the seed strategy, no disconnects) are worked out by hand in the
docstrings; states are deduplicated on everything that decides the future (violation counts excluded),
so two paths that end in the same world, checker state and network are one state.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from simulations.cli import main
from simulations.explore.explorer import Model, explore
from simulations.explore.graph import build_graph
from simulations.io.scenario import builtin_scenarios, parse_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


def one_send(faults, max_disconnects=0, **extra) -> object:
    return parse_scenario({"name": "one-send", "sends": [{"content": "A"}],
                           "explore": {"faults": faults, "max_disconnects": max_disconnects}, **extra},
                          source="<one-send>")


def test_one_send_ok_only_has_eight_states_and_eleven_transitions():
    """S0 -send-> S1 (A optimistic, request in flight). S1 -arrive-> S2 (committed; response and
    event in flight), S1 -timeout-> S3 (rolled back, error; request still in flight). S2 -response->
    S4, S2 -timeout-> S5 (the response is then dropped: nobody awaits it), S2 -deliver-> S6 (A
    canonical, response awaited). S3 -arrive-> S5 again (same world, same checker state). S4 -deliver->
    S7 (done), S5 -deliver-> S8 (done: A failed, then shown: ghost and flicker), S6 -response-> S7,
    S6 -timeout-> S8 (the rollback finds nothing to remove; error on a committed send). S8 differs
    from S7 only in the checkers' failed and ghosted entries of A, which nothing reads once A can
    neither commit nor fail again: the key leaves them out (``prune=False`` keeps them: 9 states).
    8 states: S0..S7; transitions 1 + 2 + 3 + 1 + 1 + 1 + 2 = 11; the longest shortest path is 4."""
    result = explore(one_send(["ok"]), "seed")
    assert (result.states, result.transitions, result.complete, result.max_depth) == (8, 11, True, 4)
    assert explore(one_send(["ok"]), "seed", prune=False).states == 9
    assert {k for k, v in result.violations.items() if v} == {"no-ghost", "no-flicker"}
    assert result.paths["no-ghost"] == [("send", 0), ("arrive", 0, "ok"), ("timeout", 0, 0)]


def test_one_send_request_lost_only_has_five_states():
    """S0 -send-> S1; S1 -arrive(lost)-> S2 (still awaiting), S1 -timeout-> S3 (error; request in
    flight); S2 -timeout-> S4 and S3 -arrive(lost)-> S4 (nothing committed, error shown: done).
    5 states, 5 transitions, and no violation: the seed is right when the request never arrives."""
    result = explore(one_send(["request_lost"]), "seed")
    assert (result.states, result.transitions, result.complete) == (5, 5, True)
    assert not any(result.violations.values())


def test_no_sends_one_disconnect_is_a_chain_of_three_states():
    """Connected → disconnected (reconnect pending) → reconnected. The client has received no event, so
    its reconnect carries no Last-Event-ID and the server replays nothing (SPEC v3.2 §2.4, A13)."""
    s = parse_scenario({"name": "idle", "explore": {"faults": ["ok"], "max_disconnects": 1}})
    result = explore(s, "seed")
    assert (result.states, result.transitions, result.max_depth) == (3, 2, 2)


def test_snapshot_always_starts_every_stream_with_a_snapshot():
    """With ``resume = "snapshot-always"`` the t = 0 snapshot is in flight at the start, and the
    reconnect gets one too: initial (v0 in flight) → ... a diamond of deliveries and the drop."""
    s = parse_scenario({"name": "idle", "sse": {"resume": "snapshot-always"},
                        "explore": {"faults": ["ok"], "max_disconnects": 0}})
    result = explore(s, "seed")
    assert (result.states, result.transitions, result.max_depth) == (2, 1, 1)


def test_max_states_bound_marks_the_result_incomplete():
    result = explore(one_send(["ok"]), "seed", max_states=4)
    assert result.states == 4 and not result.complete
    assert result.to_json()["complete"] is False


def test_state_graph_matches_the_explorer_counts():
    model = Model(one_send(["ok"]), "seed")
    graph, complete = build_graph(model)
    assert complete and graph.number_of_nodes() == 8 and graph.number_of_edges() == 11
    assert graph.nodes[0]["depth"] == 0
    assert max(graph.nodes[n]["depth"] for n in graph.nodes) == 4
    violating = [n for n in graph.nodes if graph.nodes[n]["violating"]]
    assert {graph.nodes[n]["violating"] for n in violating} >= {"no-ghost"}
    assert sum(1 for n in graph.nodes if graph.nodes[n]["terminal"]) == 1  # S7 (S8 is S7: see above)


# --- the command ---------------------------------------------------------------------------------
def test_explore_json_is_exactly_the_spec_object(capsys):
    assert main(["explore", str(SCENARIOS["error-after-commit"]), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert list(obj) == ["scenario", "strategy", "states", "transitions", "complete", "violations",
                         "fingerprint_collision_probability", "verdicts", "undecided", "stopped_by"]
    assert obj["undecided"] == [] and obj["stopped_by"] is None
    assert obj["verdicts"]["no-ghost"] == "violated" and obj["verdicts"]["isolation"] == "held"
    assert 0 <= obj["fingerprint_collision_probability"] < 1e-9
    assert obj["scenario"] == "error-after-commit" and obj["strategy"] == "seed"
    assert obj["complete"] is True
    assert len(obj["violations"]) == 10
    assert obj["violations"]["no-ghost"][-1].startswith("client 0 gets HTTP 500")
    assert obj["violations"]["isolation"] is None


def test_explore_human_output_numbers_each_counterexample(capsys):
    assert main(["explore", str(SCENARIOS["error-after-commit"])]) == 0
    out = capsys.readouterr().out
    assert "states 7 | transitions 10" in out and "complete" in out and "states/s" in out
    assert "  no-ghost: shortest counterexample, 3 steps\n    1. user of client 0 sends 'A'" in out
    assert "sometimes witnessed: post-failure" in out


def test_explore_reconciled_reports_no_violation(capsys):
    assert main(["explore", str(SCENARIOS["error-after-commit"]), "--strategy", "reconciled"]) == 0
    assert "violated: none of the 10 invariants" in capsys.readouterr().out


def test_explore_writes_graph_png_and_counterexamples(tmp_path, capsys):
    graphml, png, cx_dir = tmp_path / "g" / "s.graphml", tmp_path / "s.png", tmp_path / "cx"
    argv = ["explore", str(SCENARIOS["two-tabs"]), "--graph", str(graphml), "--png", str(png),
            "--counterexamples", str(cx_dir)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    graph = nx.read_graphml(graphml)
    assert graph.number_of_nodes() == explore_states("two-tabs")
    assert all("action" in d for _u, _v, d in graph.edges(data=True))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = sorted(p.name for p in cx_dir.iterdir())
    assert names == ["two-tabs.seed.no-flicker.json", "two-tabs.seed.no-flicker.mmd",
                     "two-tabs.seed.no-ghost.json", "two-tabs.seed.no-ghost.mmd"]
    assert "counterexamples: 2 written" in out
    assert not [p for p in tmp_path.rglob(".*.tmp")]  # atomic writes leave no temporaries


def explore_states(stem: str) -> int:
    from simulations.io.scenario import load_scenario
    return explore(load_scenario(SCENARIOS[stem]), "seed").states


def test_png_is_refused_for_a_large_graph(tmp_path, capsys):
    png = tmp_path / "big.png"
    assert main(["explore", str(SCENARIOS["two-sessions"]), "--png", str(png)]) == 0
    assert "png: not drawn" in capsys.readouterr().out and not png.exists()


GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def test_graphml_holds_the_explored_graph(tmp_path):
    """The file, read as plain XML: one node per explored state, one edge per transition, every
    declared attribute on every node and edge, and the same violations, depth and end states."""
    from simulations.io.scenario import load_scenario
    path = tmp_path / "g.graphml"
    assert main(["explore", str(SCENARIOS["error-after-commit"]), "--graph", str(path)]) == 0
    result = explore(load_scenario(SCENARIOS["error-after-commit"]), "seed")
    root = ET.parse(path).getroot()
    assert root.tag == f"{GRAPHML}graphml"
    keys = {(k.get("for"), k.get("attr.name"), k.get("attr.type")): k.get("id")
            for k in root.iter(f"{GRAPHML}key")}
    assert set(keys) == {("node", "depth", "long"), ("node", "violating", "string"),
                         ("node", "terminal", "boolean"), ("edge", "action", "string"),
                         ("edge", "step", "string"), ("edge", "violates", "string")}
    name = {v: k[1] for k, v in keys.items()}

    def data(element) -> dict:
        return {name[d.get("key")]: d.text or "" for d in element.iter(f"{GRAPHML}data")}

    nodes = {n.get("id"): data(n) for n in root.iter(f"{GRAPHML}node")}
    edges = [(e.get("source"), e.get("target"), data(e)) for e in root.iter(f"{GRAPHML}edge")]
    assert (len(nodes), len(edges)) == (result.states, result.transitions)
    assert all(set(d) == {"depth", "violating", "terminal"} for d in nodes.values())
    assert all(set(d) == {"action", "step", "violates"} and d["action"] and d["step"]
               for _s, _t, d in edges)
    assert nodes["0"]["depth"] == "0"
    assert max(int(d["depth"]) for d in nodes.values()) == result.max_depth
    assert all(s in nodes and t in nodes and int(nodes[t]["depth"]) <= int(nodes[s]["depth"]) + 1
               for s, t, _d in edges)
    sources = {s for s, _t, _d in edges}
    assert {n for n, d in nodes.items() if d["terminal"] == "True"} == set(nodes) - sources
    violated = {inv for inv, steps in result.violations.items() if steps}
    assert violated == {"no-ghost", "no-flicker"}
    assert {i for d in nodes.values() for i in d["violating"].split(",") if i} == violated
    assert {i for _s, _t, d in edges for i in d["violates"].split(",") if i} == violated


@pytest.mark.parametrize("argv, where", [
    (["explore", "nope.toml"], "nope.toml: no such file"),
    (["explore", "X", "--max-states", "0"], "--max-states: must be >= 1"),
    (["explore", "X", "--strategy", "nosuch"], "unknown strategy 'nosuch'"),
])
def test_explore_bad_input_is_exit_2_one_line(argv, where, capsys):
    argv = [str(SCENARIOS["two-tabs"]) if a == "X" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert where in err and err.count("\n") == 1


def test_explore_json_for_every_example_is_complete_for_seed(capsys):
    """Each example scenario with sends explores completely under the seed within the default bound."""
    for stem in ("two-quick-sends", "post-overtaking", "accepted-then-dropped", "disconnect-resume-none"):
        assert main(["explore", str(SCENARIOS[stem]), "--json", "--max-states", "5000"]) == 0
        assert json.loads(capsys.readouterr().out)["complete"] is True
