"""How an exploration stops (issue 23, items 2, 4, 6): a bound stops it at once and leaves the
invariants it did not see broken undecided; ``--max-seconds`` does the same; Ctrl-C and SIGTERM print
what was found so far, marked interrupted, and exit 130 / 143 (with ``--workers`` too); the growth
per level gives an early hint on stderr."""

from __future__ import annotations

import json

import pytest

from model.compiled import is_compiled
from simulations.cli import Terminated, main
from simulations.explore import explorer, parallel
from simulations.explore.explorer import Growth, explore
from simulations.io.scenario import builtin_scenarios, load_scenario

SCENARIOS = {p.stem: str(p) for p in builtin_scenarios()}
# These patch a method or function that compiled code calls directly, not through the attribute.
patches_compiled = pytest.mark.skipif(is_compiled(), reason="patches a method the compiled build calls "
                                      "directly (README: A compiled build)")


@patches_compiled
def test_the_state_bound_stops_the_search_at_once(monkeypatch):
    """Before, every queued state was still expanded after the bound (all ``max_states`` of them)."""
    expanded = []
    actions = explorer.Model.actions
    monkeypatch.setattr(explorer.Model, "actions", lambda self, node: expanded.append(1) or actions(self, node))
    result = explore(load_scenario(SCENARIOS["two-sessions"]), "seed", max_states=300)
    assert (result.states, result.complete, result.stopped_by) == (300, False, "max-states")
    assert len(expanded) == 181  # of the 300 found; the other 119 stay queued, unexpanded


def test_explore_json_says_undecided_after_a_bound(capsys):
    assert main(["explore", SCENARIOS["two-sessions"], "--strategy", "seed", "--max-states", "300",
                 "--json", "--quiet"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["complete"] is False and obj["stopped_by"] == "max-states"
    assert all(obj["violations"][inv] is None for inv in obj["undecided"])
    assert set(obj["verdicts"].values()) <= {"violated", "undecided"}
    assert "undecided" in obj["verdicts"].values()


def test_explore_text_says_undecided_not_held(capsys):
    assert main(["explore", SCENARIOS["two-sessions"], "--strategy", "seed", "--max-states", "300",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "\nundecided: " in out and "a stopped search proves nothing about them" in out
    assert "\nheld:" not in out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_max_seconds_stops_the_search_undecided(workers, capsys):
    assert main(["explore", SCENARIOS["two-sessions"], "--strategy", "seed", "--max-seconds", "0",
                 "--json", "--quiet", "--workers", workers]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["complete"] is False and obj["stopped_by"] == "max-seconds" and obj["undecided"]


def test_max_seconds_must_not_be_negative(capsys):
    assert main(["explore", SCENARIOS["two-sessions"], "--max-seconds", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ssesim explore: error: --max-seconds: must be >= 0, got -1"]


@patches_compiled
@pytest.mark.parametrize("signal_class, status, word", [
    (KeyboardInterrupt, 130, "INTERRUPTED (Ctrl-C)"), (Terminated, 143, "INTERRUPTED (SIGTERM)")])
def test_an_interrupted_search_prints_what_it_found(signal_class, status, word, monkeypatch, capsys):
    calls = []
    actions = explorer.Model.actions

    def interrupted(self, node):
        calls.append(1)
        if len(calls) == 60:
            raise signal_class()
        return actions(self, node)
    monkeypatch.setattr(explorer.Model, "actions", interrupted)
    assert main(["explore", SCENARIOS["two-quick-sends"], "--quiet"]) == status
    out, err = capsys.readouterr()
    assert word in out and "undecided: " in out
    assert "no-ghost: shortest counterexample" in out  # found before the interruption
    assert err.strip().endswith("interrupted" if status == 130 else "terminated")


@patches_compiled
def test_an_interrupted_search_with_workers_prints_its_figures(monkeypatch, capsys):
    calls = []
    gather = parallel._gather

    def interrupted(links, processes, tag):
        calls.append(tag)
        if len(calls) == 4:
            raise KeyboardInterrupt()
        return gather(links, processes, tag)
    monkeypatch.setattr(parallel, "_gather", interrupted)
    assert main(["explore", SCENARIOS["two-quick-sends"], "--quiet", "--workers", "2", "--json"]) == 130
    obj = json.loads(capsys.readouterr().out)
    assert obj["stopped_by"] == "interrupted" and obj["complete"] is False and obj["states"] > 0
    calls.clear()
    assert main(["explore", SCENARIOS["two-quick-sends"], "--quiet", "--workers", "2"]) == 130
    out = capsys.readouterr().out
    assert "INTERRUPTED (Ctrl-C)" in out and "undecided: " in out


def test_the_growth_per_level_gives_an_early_hint():
    said = []
    growth = Growth(30_000, said.append)
    levels = [1, 1, 3, 9, 23, 58, 139, 306, 623, 1188, 2145]  # two-sessions under seed-retry
    for depth in range(1, len(levels) + 1):
        growth.level_done(levels[:depth], sum(levels[:depth]))
    assert len(said) == 1 and said[0].startswith("hint: at depth 9 (2,351 states so far")
    quiet = Growth(1_000_000, said.append)  # a search that completes at 9,571 states
    levels = [1, 2, 5, 14, 39, 107, 281, 673, 1364, 2214, 2533, 1626, 556, 138, 18]
    for depth in range(1, len(levels) + 1):
        quiet.level_done(levels[:depth], sum(levels[:depth]))
    assert len(said) == 1


def test_the_hint_is_one_stderr_line_of_explore(capsys):
    assert main(["explore", SCENARIOS["two-sessions"], "--strategy", "seed-retry", "--max-states",
                 "3000", "--quiet"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "hint: at depth" in line]
    assert len(err) == 1 and err[0].startswith("ssesim explore: hint: at depth ")


@patches_compiled
def test_check_interrupted_by_sigterm_exits_143(monkeypatch, capsys):
    def terminated(self, node):
        raise Terminated()
    monkeypatch.setattr(explorer.Model, "actions", terminated)
    assert main(["check", SCENARIOS["two-quick-sends"], "--quiet", "--runs", "0"]) == 143
    assert capsys.readouterr().err.strip() == "ssesim check: terminated"


def test_give_up_stops_a_search_whose_levels_project_far_past_the_bound():
    """``give_up`` (the report's): a search whose growth projects past ``give_up`` × the bound on two
    levels in a row stops there, undecided, once it has a tenth of the bound, with the violations
    it found on the way; a search that completes is never given up."""
    scenario = load_scenario(SCENARIOS["assistant-typing"])
    stopped = explore(scenario, "seed-retry", max_states=20_000, reduction=True, ample=True, give_up=10)
    assert (stopped.complete, stopped.stopped_by) == (False, "projected")
    assert 2_000 <= stopped.states < 20_000 and stopped.projected > 10 * 20_000
    assert stopped.undecided and stopped.to_json()["stopped_by"] == "projected"
    whole = explore(scenario, "seed-retry", max_states=stopped.states, reduction=True, ample=True)
    assert {k for k, v in whole.violations.items() if v} <= \
           {k for k, v in stopped.violations.items() if v}  # what the bound's search found, it found
    for name in ("reconnect-refused", "seed-retry-duplicate"):  # complete within the bound
        done = explore(load_scenario(SCENARIOS[name]), "seed-retry", max_states=30_000, reduction=True,
                       ample=True, give_up=10)
        assert done.complete and done.stopped_by is None and done.peak_projection < 10 * 30_000


def test_growth_gives_up_only_past_the_floor():
    levels = [10, 30, 90, 270, 810, 2430, 7290]
    for states, hopeless in ((1_093, False), (20_000, True)):
        growth = Growth(100_000, None, give_up=2)
        for d in range(6, len(levels) + 1):
            growth.level_done(levels[:d], states)
        assert (growth.hopeless is not None) == hopeless


def test_growth_once_doomed_gives_up_at_the_floor_even_after_a_lower_level():
    """Two levels in a row past ``give_up`` × the bound latch the verdict: a later level whose rougher
    projection falls under it (the projection wavers) does not undo it; the search stops at the floor."""
    growth = Growth(100_000, None, give_up=2)
    levels = [10, 30, 90, 270, 810, 2430, 7290]
    for d in range(6, len(levels) + 1):
        growth.level_done(levels[:d], 5_000)  # past give_up twice, short of the floor
    assert growth.doomed is not None and growth.hopeless is None
    flat = levels + [7300]  # a level that stops growing projects far less
    growth.level_done(flat, 8_000)
    assert growth.projected(flat) < 2 * 100_000 and growth.beyond == 0 and growth.hopeless is None
    growth.level_done(flat + [7310], 20_000)
    assert growth.hopeless == growth.doomed
