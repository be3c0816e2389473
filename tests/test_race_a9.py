"""Race A9, wrong flags: the typing flag stays on after a disconnect (SPEC §3: ``convergence``
compares the flags too). The example scenario shows it under every strategy that does not ask for a
snapshot on reconnect, and ``reconciled`` (which does) keeps every invariant."""

from __future__ import annotations

import json

import pytest

from model.strategies import BUILTIN
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario

PATH = next(p for p in builtin_scenarios() if p.stem == "flags-stuck-after-disconnect")


def test_the_scenario_is_the_race_as_described():
    sc = load_scenario(PATH)
    assert sc.description.startswith("A9 wrong flags:")
    assert sc.server.assistant and sc.sse.resume == "none" and len(sc.events) == 1
    # the stream drops after the flags are pushed on and before the reply pushes them off
    think, reply_delay = _seconds(sc.server.think_delay), _seconds(sc.server.reply_delay)
    commit = sc.sends[0].at + _seconds(sc.post.request_latency)
    flags_on = commit + think + _seconds(sc.sse.delay)  # delivered
    reply = commit + think + reply_delay
    assert flags_on < sc.events[0].at < reply < sc.events[0].at + _seconds(sc.sse.reconnect_delay)


def _seconds(delay) -> float:
    """A constant delay's seconds (a number, or a constant distribution)."""
    return getattr(delay, "value", delay)


@pytest.mark.parametrize("strategy", [s for s in BUILTIN if s != "reconciled"])
def test_convergence_catches_the_stuck_typing_flag(strategy, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = simulate(load_scenario(PATH), strategy=strategy, trace_path=trace)
    assert {k for k, v in result.violations.items() if v} == {"convergence"}
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    shown = [r["view"]["flags"] for r in records if r["kind"] == "view" and r["client"] == 0]
    server = [(r["typing"], r["processing"]) for r in records if r["kind"] in ("commit", "flags")]
    assert shown[-1] == [True, True]  # "typing…" on the user's screen at the end
    assert server[-1] == (False, False)  # while the server has replied and cleared the flags
    kinds = [r["kind"] for r in records]
    assert kinds.index("disconnect") < max(i for i, r in enumerate(records)
                                          if r["kind"] == "commit" and not r["typing"])


def test_reconciled_asks_for_a_snapshot_on_reconnect_and_keeps_every_invariant():
    result = simulate(load_scenario(PATH), strategy="reconciled")
    assert result.total_violations == 0
