"""Quality: planted bugs (tests/plugins/planted.py) are found by the explorer, with the shortest schedule.

Each case names a broken strategy, a small scenario, the invariant it breaks and the exact length of the
shortest counterexample (measured, then argued minimal in the case's ``why``). The correct strategy it
derives from keeps that invariant on the same scenario, so the finding is the planted bug's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulations.cli import main
from simulations.explore.explorer import Model, explore, replay
from simulations.io.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
PLANTED = "tests.plugins.planted:"


@pytest.fixture(autouse=True)
def plugins(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


def scenario(name: str, faults=("ok",), max_disconnects=0, **tables):
    return parse_scenario({"name": name, **tables,
                           "explore": {"faults": list(faults), "max_disconnects": max_disconnects}},
                          source=f"<{name}>")


@dataclass(frozen=True)
class Case:
    base: str  # the correct strategy the planted bug derives from
    invariant: str
    length: int  # of the shortest counterexample
    max_states: int
    scenario: object
    kinds: list
    why: str  # why no shorter schedule can break the invariant


CASES = {
    "RollbackByContent": Case(
        base="seed", invariant="no-orphan", length=3, max_states=10_000,
        scenario=scenario("ok-ok", sends=[{"content": "ok"}, {"content": "ok"}]),
        kinds=["send", "send", "timeout"],
        why="a rollback that removes a second entry needs two entries (two sends) and one failure; "
            "nothing shorter has two entries to confuse"),
    "NoVersionCheck": Case(
        base="reconciled", invariant="monotonic", length=7, max_states=10_000,
        scenario=scenario("drain", max_disconnects=1, server={"assistant": True},
                          sse={"old_stream_drains": True}, sends=[{"content": "A"}]),
        kinds=["send", "arrive", "assistant", "disconnect", "reconnect", "deliver", "drain"],
        why="streams are FIFO, so a stale state must come from the dropped stream after the new one "
            "delivered a newer one: two versions (send, arrive, one more change), the drop, the "
            "reconnect, the newer delivery and the stale one — seven steps, none optional"),
    "RetryWithoutId": Case(
        # Each retry commits anew, so the state space is unbounded: the bound cuts it.
        base="reconciled", invariant="no-duplicate", length=5, max_states=3_000,
        scenario=scenario("one", sends=[{"content": "A"}]),
        kinds=["send", "arrive", "timeout", "retry", "arrive"],
        why="two commits of one send take the send, two arrivals and a second attempt, which needs an "
            "ambiguous failure (the timeout) and the retry: five steps"),
    "RebaseDropsPending": Case(
        base="reconciled", invariant="no-flicker", length=6, max_states=10_000,
        scenario=scenario("two", sends=[{"content": "A"}, {"content": "B"}]),
        kinds=["send", "send", "arrive", "deliver", "arrive", "deliver"],
        why="only a queued send can vanish, so two sends; it vanishes at the first send's event "
            "(arrive, deliver) and can only come back with its own (arrive, deliver): six steps"),
    "GapBlindResume": Case(
        base="reconciled", invariant="no-ghost", length=5, max_states=10_000,
        scenario=scenario("gap", max_disconnects=1, sse={"payload": "delta", "resume": "last-event-id"},
                          sends=[{"content": "A"}]),
        kinds=["send", "arrive", "disconnect", "reconnect", "response"],
        why="the error needs a commit (send, arrive), a watermark above it that holds no A, which only "
            "the reconnect can give (drop, reconnect), and the 2xx it misreads: five steps"),
}


@pytest.mark.parametrize("name", CASES)
def test_planted_bug_is_found_with_its_shortest_counterexample(name):
    case = CASES[name]
    result = explore(case.scenario, PLANTED + name, max_states=case.max_states)
    path = result.paths.get(case.invariant)
    assert path is not None, f"{name}: {case.invariant} not found"
    assert len(path) == case.length, case.why
    assert [a[0] for a in path] == case.kinds
    node = replay(Model(case.scenario, PLANTED + name), path)
    assert node.monitor.counts[case.invariant] >= 1


@pytest.mark.parametrize("name", CASES)
def test_the_correct_strategy_keeps_the_invariant_on_the_same_scenario(name):
    case = CASES[name]
    result = explore(case.scenario, case.base, max_states=case.max_states)
    assert result.complete
    if case.base == "reconciled":
        assert not any(result.violations.values())
    else:
        assert result.violations[case.invariant] is None


def test_check_fails_on_a_planted_bug_and_prints_its_counterexample(tmp_path, capsys):
    path = tmp_path / "gap.toml"
    path.write_text('name = "gap"\n[sse]\npayload = "delta"\nresume = "last-event-id"\n'
                    '[[sends]]\ncontent = "A"\n[explore]\nfaults = ["ok"]\nmax_disconnects = 1\n')
    assert main(["check", str(path), "--strategy", PLANTED + "GapBlindResume", "--runs", "2"]) == 1
    out = capsys.readouterr().out
    assert "FAIL no-ghost: exploration (5 steps)" in out
    assert "    5. client 0 gets HTTP 200 for send 0 attempt 1 (body v1)" in out


def test_a_planted_bugs_counterexample_file_replays_under_its_plugin(tmp_path, capsys):
    """The file names the plug-in as given (module:Class), not its display name, so it replays."""
    path = tmp_path / "ok-ok.toml"
    path.write_text('name = "ok-ok"\n[[sends]]\ncontent = "ok"\n[[sends]]\ncontent = "ok"\n'
                    '[explore]\nfaults = ["ok"]\nmax_disconnects = 0\n')
    folder = tmp_path / "cx"
    assert main(["explore", str(path), "--strategy", PLANTED + "RollbackByContent",
                 "--counterexamples", str(folder)]) == 0
    file = folder / "ok-ok.rollback-by-content.no-orphan.json"
    assert json.loads(file.read_text())["strategy"] == PLANTED + "RollbackByContent"
    capsys.readouterr()
    assert main(["run", str(file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["violations"]["no-orphan"] == 1
