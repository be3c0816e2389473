"""``[explore].max_timeouts``: a budget of POST timeouts the explorer may fire in one run.

Without it (the default, SPEC §1.3) every unanswered POST may time out at any step. With it, the
explorer fires at most that many timeouts on any path, in every client together; the rest of the
semantics is unchanged, so a bounded exploration's states are a subset of the unbounded one's and
its violations are a subset too (each found one a real counterexample).
"""

from __future__ import annotations

import json
from collections import deque

import pytest

from simulations.cli import main
from simulations.explore.explorer import Model, explore, replay
from simulations.io.scenario import parse_scenario


def one_send(max_timeouts=None, retries=1, clients=1) -> object:
    explore_table = {"faults": ["ok"], "max_disconnects": 0}
    if max_timeouts is not None:
        explore_table["max_timeouts"] = max_timeouts
    return parse_scenario({"name": "one-send", "clients": [{"session": "s1"}] * clients,
                           "sends": [{"content": "A"}] + ([{"content": "B", "client": 1, "at": 0.05}]
                                                          if clients > 1 else []),
                           "strategy_options": {"retries": retries}, "explore": explore_table},
                          source="<one-send>")


def reachable(scenario, strategy):
    """Every reachable node with the number of timeouts on the path that first reached it (BFS)."""
    model = Model(scenario, strategy)
    start = model.initial()
    seen = {start.key(model.keys)}
    queue = deque([(start, 0)])
    while queue:
        node, fired = queue.popleft()
        yield model, node, fired
        for action in model.actions(node):
            child = model.step(node, action)
            key = child.key(model.keys)
            if key not in seen:
                seen.add(key)
                queue.append((child, fired + (action[0] == "timeout")))


@pytest.mark.parametrize("budget", [0, 1, 2])
@pytest.mark.parametrize("clients", [1, 2])
def test_no_path_fires_more_timeouts_than_the_budget(budget, clients):
    timeouts_enabled_somewhere = False
    for model, node, fired in reachable(one_send(budget, retries=2, clients=clients), "seed-retry"):
        assert fired <= budget
        timeouts = [a for a in model.actions(node) if a[0] == "timeout"]
        if fired == budget:
            assert not timeouts, f"a timeout is enabled after {fired} of {budget}"
        timeouts_enabled_somewhere |= bool(timeouts)
    assert timeouts_enabled_somewhere == (budget > 0)


def projected(scenario, strategy) -> set:
    """The keys of every reachable state with the timeout counter left out (a bounded search keys
    it: two states that differ in it have different futures, so a bounded graph may have more
    states than the unbounded one, but never a world the unbounded one cannot reach)."""
    out = set()
    for model, node, _fired in reachable(scenario, strategy):
        fired, node.net.timeouts = node.net.timeouts, 0
        out.add(node.key(model.keys))
        node.net.timeouts = fired
    return out


def test_a_budget_reaches_a_growing_part_of_the_unbounded_states():
    worlds = [projected(one_send(b, retries=1, clients=2), "seed-retry") for b in (0, 1, 2, 3)]
    unbounded = projected(one_send(None, retries=1, clients=2), "seed-retry")
    for smaller, larger in zip(worlds, [*worlds[1:], unbounded]):
        assert smaller < larger
    assert explore(one_send(3, retries=1, clients=2), "seed-retry").states > len(worlds[3])


def test_a_ghost_needs_one_timeout_more_than_the_retries():
    """seed-retry with one retry shows a send failed only after its second failure; with ``ok`` as
    the only fault both failures are timeouts, so no-ghost needs a budget of two. The bound hides
    what lies beyond it, as the README says: with one, no-ghost is not found."""
    assert explore(one_send(1), "seed-retry").violations["no-ghost"] is None
    two = explore(one_send(2), "seed-retry")
    unbounded = explore(one_send(None), "seed-retry")
    assert two.violations["no-ghost"] is not None
    assert len(two.paths["no-ghost"]) == len(unbounded.paths["no-ghost"])
    assert [a[0] for a in two.paths["no-ghost"]].count("timeout") == 2
    model = Model(one_send(2), "seed-retry")
    assert replay(model, two.paths["no-ghost"]).monitor.counts["no-ghost"] >= 1


@pytest.mark.parametrize("option", [[], ["--reduction"], ["--ample"], ["--workers", "2"]])
def test_bounded_explore_json_agrees_with_and_without_reduction_and_workers(option, tmp_path, capsys):
    path = tmp_path / "two-clients.toml"
    path.write_text('[[clients]]\nsession = "s1"\n[[clients]]\nsession = "s1"\n'
                    '[[sends]]\ncontent = "A"\n[[sends]]\nat = 0.05\nclient = 1\ncontent = "B"\n'
                    '[strategy_options]\nretries = 1\n'
                    '[explore]\nfaults = ["ok", "request_lost"]\nmax_disconnects = 0\nmax_timeouts = 2\n')
    assert main(["explore", str(path), "--strategy", "seed-retry", "--json", "--quiet"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["complete"]
    assert main(["explore", str(path), "--strategy", "seed-retry", "--json", "--quiet", *option]) == 0
    other = json.loads(capsys.readouterr().out)
    assert other["complete"]
    lengths = {k: v and len(v) for k, v in full["violations"].items()}
    found = {k: v and len(v) for k, v in other["violations"].items()}
    if option == ["--ample"]:  # same verdicts; counterexamples may be longer
        assert {k for k, v in found.items() if v} == {k for k, v in lengths.items() if v}
        assert other["states"] <= full["states"]
    else:
        assert found == lengths and other["states"] == full["states"]


def test_the_summary_names_the_budget(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[[sends]]\ncontent = "A"\n[explore]\nfaults = ["ok"]\nmax_timeouts = 1\n')
    assert main(["explore", str(path), "--quiet"]) == 0
    assert "| max timeouts 1" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize("value, problem", [("-1", "must be an integer >= 0"),
                                            ('"two"', "must be an integer"),
                                            ("1001", "<= 1000")])
def test_a_bad_budget_is_one_line_and_exit_2(value, problem, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(f'[[sends]]\ncontent = "A"\n[explore]\nmax_timeouts = {value}\n')
    assert main(["explore", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "explore.max_timeouts" in err and problem in err and str(path) in err


def test_check_says_its_exploration_is_complete_only_within_the_budget(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[[sends]]\ncontent = "A"\n[strategy_options]\nretries = 1\n'
                    '[explore]\nfaults = ["ok"]\nmax_disconnects = 0\nmax_timeouts = 2\n')
    code = main(["check", str(path), "--strategy", "seed-retry", "--runs", "0", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1  # seed-retry breaks no-ghost and more within two timeouts
    line = next(x for x in out.splitlines() if x.strip().startswith("explore:"))
    assert "complete within 2 POST timeouts ([explore].max_timeouts)" in line
    assert "FAIL no-ghost" in out


def test_a_stopped_search_hints_at_the_budget_and_a_bounded_one_does_not(tmp_path, capsys):
    path = tmp_path / "s.toml"
    body = ('[[sends]]\ncontent = "A"\n[[sends]]\nat = 0.1\ncontent = "B"\n'
            '[explore]\nfaults = ["ok"]\nmax_disconnects = 0\n')
    path.write_text(body)
    assert main(["explore", str(path), "--strategy", "seed-retry", "--max-states", "500", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out and "hint: " in out and "[explore].max_timeouts = 1" in out
    path.write_text(body + "max_timeouts = 1\n")
    assert main(["explore", str(path), "--strategy", "seed-retry", "--max-states", "500", "--quiet"]) == 0
    assert "hint: " not in capsys.readouterr().out
    assert main(["explore", str(path), "--strategy", "seed-retry", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "| complete |" in out and "hint: " not in out


@pytest.mark.parametrize("strategy", ["seed", "seed-retry"])
def test_client_symmetry_under_a_budget_keeps_verdicts_and_shortest_lengths(strategy):
    """Watching tabs are interchangeable; the budget is one count for all of them."""
    from pathlib import Path

    from simulations.io.scenario import load_scenario_data
    data = load_scenario_data(Path(__file__).parent / "data" / "watching-tabs.toml")
    data.setdefault("explore", {})["max_timeouts"] = 1
    data.setdefault("strategy_options", {})["retries"] = 1
    scenario = parse_scenario(data, source="<watching-tabs, one timeout>")
    full = explore(scenario, strategy)
    folded = explore(scenario, strategy, symmetry=True)
    assert full.complete and folded.complete and folded.symmetry
    assert folded.states < full.states
    assert {k: len(v) for k, v in folded.paths.items()} == {k: len(v) for k, v in full.paths.items()}


def test_a_check_without_timeouts_or_failing_faults_asks_for_no_post_failure(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[[sends]]\ncontent = "A"\n'
                    '[explore]\nfaults = ["ok"]\nmax_disconnects = 0\nmax_timeouts = 0\n')
    assert main(["check", str(path), "--strategy", "seed", "--runs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "VACUOUS" not in out and "0 vacuous" in out
    assert "  witnessed: sse-before-response\n" in out  # required and seen: post-failure is not asked
    assert "complete within 0 POST timeouts" in out
