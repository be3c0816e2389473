"""``explore --workers N`` / ``check --workers N``: the search shared by N processes finds what one finds.

Through the CLI (``--json``) and the explorer API: on every example scenario × built-in strategy that the
default suite explores (``tests/test_explore_verdicts.py``'s small cases), 2 workers give the same
states, transitions, completeness, violated invariants and shortest counterexample lengths as 1, and
their counterexamples replay; the same on Hypothesis-generated small scenarios (the generator of
``tests/test_reduction.py``), with ample sets, with full keys and under a ``--max-states`` bound. Bad
``--workers`` values are one-line errors (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assume_complete
from test_reduction import small_scenarios

from model.invariants import INVARIANTS
from simulations.cli import main
from simulations.explore.explorer import Model, explore, replay
from simulations.explore.parallel import _balance, explore_workers
from simulations.io.scenario import builtin_scenarios, load_scenario, parse_scenario

BEFORE = json.loads((Path(__file__).parent / "data" / "explore_verdicts.json").read_text())
STEMS = {p.stem: p for p in builtin_scenarios()}
FAST = 5_000  # as tests/test_explore_verdicts.py: the cases it runs by default
CASES = sorted(c for c, v in BEFORE["cases"].items() if v["complete"] and v["states"] <= FAST
               and load_scenario(STEMS[c.split("/")[0]]).sends)  # the CLI explores scripted sends only


def explore_json(capsys, *args) -> dict:
    assert main(["explore", *args, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def figures(out: dict) -> dict:
    """What one worker and N must agree on: everything but the steps of each counterexample."""
    return {"states": out["states"], "transitions": out["transitions"], "complete": out["complete"],
            "lengths": {inv: (len(v) if v else None) for inv, v in out["violations"].items()}}


@pytest.mark.parametrize("case", CASES)
def test_two_workers_find_what_one_finds_on_the_examples(case, capsys):
    stem, strategy = case.split("/")
    path = str(STEMS[stem])
    one = explore_json(capsys, path, "--strategy", strategy, "--workers", "1")
    two = explore_json(capsys, path, "--strategy", strategy, "--workers", "2")
    assert one["complete"], case
    assert figures(two) == figures(one), case
    assert set(two) == set(one)  # the same JSON shape


def same_as_one(scenario, strategy, bound: int, one=None, **options) -> None:
    one = one if one is not None else explore(scenario, strategy, max_states=bound, **options)
    two = explore_workers(scenario, strategy, workers=2, max_states=bound, **options)
    assert (two.states, two.transitions, two.complete, two.max_depth) == (
        one.states, one.transitions, one.complete, one.max_depth)
    assert {k: len(v) for k, v in two.paths.items()} == {k: len(v) for k, v in one.paths.items()}
    assert two.sometimes == one.sometimes
    model = Model(scenario, strategy)
    for inv, actions in two.paths.items():  # the parallel counterexamples are real ones
        assert replay(model, actions).monitor.counts[inv] >= 1


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_two_workers_find_what_one_finds_on_generated_scenarios(case):
    data, strategy = case
    scenario = parse_scenario(data, source="<generated>")
    one = explore(scenario, strategy, max_states=6_000)
    assume_complete(one)  # a case past the bound merely ran long
    same_as_one(scenario, strategy, 6_000, one=one)


def test_three_workers_with_ample_sets_and_full_keys():
    scenario = load_scenario(STEMS["two-tabs"])
    one = explore(scenario, "reconciled", ample=True, full_keys=True)
    three = explore_workers(scenario, "reconciled", workers=3, ample=True, full_keys=True)
    assert three.ample and three.collision_probability is None
    assert (three.states, three.transitions, three.complete) == (one.states, one.transitions, True)
    assert {k: len(v) for k, v in three.paths.items()} == {k: len(v) for k, v in one.paths.items()}


def test_the_bound_stops_workers_as_it_stops_one(capsys):
    path = str(STEMS["two-sessions"])
    one = explore_json(capsys, path, "--strategy", "seed", "--max-states", "300")
    two = explore_json(capsys, path, "--strategy", "seed", "--max-states", "300", "--workers", "2")
    assert one["complete"] is two["complete"] is False
    assert one["states"] == two["states"] == 300


def test_workers_are_deterministic(capsys):
    path = str(STEMS["two-tabs"])
    first = explore_json(capsys, path, "--strategy", "seed", "--workers", "2")
    assert explore_json(capsys, path, "--strategy", "seed", "--workers", "2") == first


def test_check_with_workers_gives_the_same_verdicts(capsys):
    path = str(STEMS["error-after-commit"])
    codes = [main(["check", path, "--runs", "1", "--quiet", "--workers", w]) for w in ("1", "2")]
    one, two = capsys.readouterr().out.split("== ")[1:3]
    assert codes == [1, 1]
    verdict = lambda text: [ln for ln in text.splitlines()
                            if ln.startswith(("  FAIL", "  ok:", "  witnessed", "  VACUOUS"))]
    assert verdict(one) == verdict(two.split("check FAILED")[0])
    assert all(inv in one for inv in ("no-ghost", "no-flicker"))


@pytest.mark.parametrize("command", ["explore", "check"])
@pytest.mark.parametrize("args, problem", [
    (["--workers", "0"], "--workers: must be >= 1, got 0"),
    (["--workers", "-3"], "--workers: must be >= 1, got -3"),
    (["--workers", "2", "--reduction"], "--workers: cannot be combined with --reduction"),
])
def test_bad_workers_is_one_line_and_exit_2(command, args, problem, capsys):
    assert main([command, str(STEMS["two-tabs"]), *args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1


def test_the_invariants_are_all_reported():
    result = explore_workers(load_scenario(STEMS["two-tabs"]), "seed", workers=2)
    assert set(result.to_json()["violations"]) == set(INVARIANTS)


RAISES = '''
from model.strategies import Seed

class InHandler(Seed):
    name = "in-handler"
    def on_send(self, t, send, content):
        raise ValueError("planted: on_send")
'''


def test_a_plugin_failing_in_a_worker_is_blamed_as_in_one_process(tmp_path, monkeypatch, capsys):
    """The worker's traceback, which names the plug-in, stays in the worker; its one line does not."""
    (tmp_path / "raises_in_worker.py").write_text(RAISES)
    monkeypatch.syspath_prepend(str(tmp_path))
    lines = []
    for workers in ("1", "2"):
        assert main(["explore", str(STEMS["two-quick-sends"]), "--strategy", "raises_in_worker:InHandler",
                     "--workers", workers, "--quiet"]) == 1
        lines.append(capsys.readouterr().err.strip())
    assert lines[0] == lines[1]
    assert lines[0].startswith("ssesim explore: error: plug-in 'raises_in_worker:InHandler' failed at "
                               "run time in on_send") and "\n" not in lines[0]


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=8))
def test_a_level_is_evened_out_by_moving_only_surpluses(counts):
    """``_balance``: after its moves every worker holds its even share (the first ``total % n`` one
    more), states only leave workers above their share and only reach workers below it, and no more
    moves than the surplus."""
    moves = _balance(counts)
    n, total = len(counts), sum(counts)
    share = [total // n + (w < total % n) for w in range(n)]
    after = list(counts)
    for source, target, k in moves:
        assert k > 0 and counts[source] > share[source] and counts[target] < share[target]
        after[source] -= k
        after[target] += k
    assert after == share
    assert sum(k for _s, _t, k in moves) == sum(max(0, c - s) for c, s in zip(counts, share))


def test_workers_share_a_level_evenly_and_ship_only_surpluses(capsys):
    """Only the states that even out a level travel: far fewer than the states, and some do."""
    scenario = load_scenario(STEMS["old-stream-drains"])
    result = explore_workers(scenario, "seed", workers=2)
    assert result.complete and result.states == explore(scenario, "seed").states
    assert 0 < result.traffic["shipped"] < result.states // 4, result.traffic


def test_workers_that_pack_every_waiting_state_find_the_same():
    """``frontier_objects=0``: every state of the next level waits packed in its worker."""
    scenario = load_scenario(STEMS["flags-stuck-after-disconnect"])
    serial = explore(scenario, "seed")
    packed = explore_workers(scenario, "seed", workers=2, frontier_objects=0)
    assert serial.complete and serial.states > 50
    assert (packed.states, packed.transitions, packed.complete) == (serial.states, serial.transitions,
                                                                    serial.complete)
    assert {k: len(v) for k, v in packed.paths.items()} == {k: len(v) for k, v in serial.paths.items()}
    model = Model(scenario, "seed")
    for inv, actions in packed.paths.items():
        assert replay(model, actions).monitor.counts[inv] >= 1
