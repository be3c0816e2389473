"""A strategy sees what its client received, nothing more (issue 23, item 1): ``SessionView`` answers
``index_of`` and ``message`` only for messages the client's events and response bodies carried, and
a message carries no ground truth (``send`` and ``client`` are None), in the simulator, the explorer
and ``live`` alike. A plug-in that trusts ``index_of`` then behaves the same in ``run`` and ``live``
lockstep, trace for trace."""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import scenario_dicts

from model.invariants import Monitor
from model.strategies import learn
from simulations.engine.simulator import simulate
from simulations.explore.explorer import explore
from simulations.io.scenario import (
    builtin_scenarios,
    load_scenario,
    load_scenario_data,
    parse_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {p.stem: p for p in builtin_scenarios()}
PLUGIN = "tests.plugins.trusting:TrustsIndexOf"


@pytest.fixture(autouse=True)
def importable(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


def test_learn_keeps_a_prefix_and_sorted_disjoint_runs_above_it():
    known = (0, ())
    for lo, hi in [(0, 2), (5, 7), (9, 9), (8, 9), (3, 4)]:
        known = learn(*known, lo, hi)
    assert known == (2, ((3, 4), (5, 7), (8, 9)))
    assert learn(*known, 2, 3) == (4, ((5, 7), (8, 9)))
    assert learn(*known, 1, 6) == (7, ((8, 9),))
    assert learn(*known, 0, 12) == (12, ())


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=12))
def test_learn_holds_exactly_the_union_of_what_was_received(pairs):
    prefix, more = 0, ()
    for lo, hi in pairs:
        prefix, more = learn(prefix, more, lo, hi)
    union = {i for lo, hi in pairs for i in range(lo, hi)}
    assert set(range(prefix)) | {i for lo, hi in more for i in range(lo, hi)} == union
    assert all(prefix < lo < hi for lo, hi in more)  # above the prefix, never empty
    assert all(b < c for (_a, b), (c, _d) in itertools.pairwise(more))  # sorted, disjoint, not adjacent


def test_a_tab_knows_only_the_messages_it_received(tmp_path):
    """two-tabs: tab 1 receives version 1 (message 0 only) while message 1 is already committed."""
    from tests.plugins.trusting import PROBES
    PROBES.clear()
    simulate(load_scenario(EXAMPLES["two-tabs"]), strategy="tests.plugins.trusting:Probe")
    for client, seen, _committed, answers in PROBES:
        assert set(answers) == set(range(seen)), (client, seen, answers)  # exactly what it received
        for sender, send, owner in answers.values():
            assert sender == "user" and send is None and owner is None  # no ground truth
    # not vacuous: some tab received a state while more was already committed
    assert any(committed > seen for _c, seen, committed, _a in PROBES)


def test_the_explorer_gives_plugins_the_same_view():
    from tests.plugins.trusting import PROBES
    PROBES.clear()
    result = explore(load_scenario(EXAMPLES["two-tabs"]), "tests.plugins.trusting:Probe", max_states=5_000)
    assert result.states > 1 and PROBES
    for _client, seen, _committed, answers in PROBES:
        assert set(answers) == set(range(seen))
    assert any(committed > seen for _c, seen, committed, _a in PROBES)


@pytest.mark.parametrize("stem", ["two-tabs", "two-quick-sends", "drop-before-first-event", "reconnect-refused"])
def test_a_plugin_that_trusts_index_of_runs_the_same_in_run_and_live(stem, tmp_path):
    from simulations.live.runner import live_run
    scenario = load_scenario(EXAMPLES[stem])
    lt, st = tmp_path / "live.jsonl", tmp_path / "run.jsonl"
    live_run(scenario, strategy=PLUGIN, trace_path=lt)
    simulate(scenario, strategy=PLUGIN, trace_path=st)
    assert lt.read_bytes() == st.read_bytes()


def test_reconciled_keeps_its_traces_when_the_view_is_restricted(tmp_path):
    """reconciled asks index_of only about messages its canonical runs hold (it received them), so
    restricting the view changes nothing: its trace of every example (seed 1) has the digest
    recorded before the restriction (``tests/data/trace_digests.json``)."""
    recorded = json.loads((ROOT / "tests" / "data" / "trace_digests.json").read_text())
    for stem, digest in recorded["reconciled"].items():
        path = tmp_path / f"{stem}.jsonl"
        simulate(load_scenario(EXAMPLES[stem]), strategy="reconciled", trace_path=path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, stem


def test_a_probe_in_an_unreceived_session_sees_nothing():
    data = load_scenario_data(EXAMPLES["two-sessions"])
    from tests.plugins.trusting import PROBES
    PROBES.clear()
    simulate(parse_scenario(data), strategy="tests.plugins.trusting:Probe")
    assert PROBES and all(set(a) == set(range(seen)) for _c, seen, _n, a in PROBES)


@settings(max_examples=8, deadline=None)
@given(d=scenario_dicts(), strategy=st.sampled_from([PLUGIN, "tests.plugins.trusting:Probe", "reconciled", "seed"]))
def test_generated_scenarios_give_plugins_the_same_view_in_run_and_live(d, strategy):
    """Random scenarios (faults, disconnects, resume modes, sessions) under plug-ins that read the
    session beyond their view, and two built-ins: run and live lockstep write the same trace."""
    from simulations.live.runner import live_run
    scenario = parse_scenario(d)
    with tempfile.TemporaryDirectory() as tmp:
        lt, st_ = Path(tmp) / "live.jsonl", Path(tmp) / "run.jsonl"
        live_run(scenario, strategy=strategy, trace_path=lt)
        simulate(scenario, strategy=strategy, trace_path=st_)
        assert lt.read_bytes() == st_.read_bytes()


@pytest.mark.parametrize("strategy", ["seed", "reconciled", PLUGIN])
def test_an_explored_state_holds_no_reference_cycle(strategy):
    """The explorer runs with the cycle collector off: a state freed by reference counting alone must
    leave nothing behind. (A SessionView that held its client made a cycle client → strategy → view
    → client, and a search kept every state it ever built: 459 MB where 210 MB did.)"""
    import gc

    from simulations.explore.transitions import Model
    model = Model(load_scenario(EXAMPLES["two-tabs"]), strategy)
    node = model.initial()
    gc.collect()
    gc.disable()
    try:
        for action in model.actions(node) * 5:
            child = model.step(node, action)
            for grand_action in model.actions(child):
                model.step(child, grand_action)
        del child
        assert gc.collect() == 0  # nothing was left for the cycle collector to find
    finally:
        gc.enable()


def test_a_free_run_observer_never_lets_time_go_back(tmp_path):
    """``model.observe.Monotonic``, which free-running drivers (live, browser --mode free) put in
    front of the checkers and the trace: a step that awaited the network may carry an instant older
    than a real effect recorded meanwhile; it is stamped no earlier (check-trace refuses a trace
    whose time goes back; seen under two CPU hogs in ``browser --mode free``)."""
    from model.forwarding import Monotonic
    from simulations.cli import main
    from simulations.io.trace import TraceWriter
    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path, Monitor())
    obs = Monotonic(writer)
    obs.config("m", "seed", 1, ["s1"])
    obs.send(0.2, 0, 0, "A")
    obs.post(0.1, 0, 0, 1, "ok")  # recorded late: its own instant is earlier
    obs.arrive(0.3, 0, 0, 1, "lost", None)
    obs.quiescent(0.25)
    obs.end(0.25, True)
    writer.close()
    times = [json.loads(line)["t"] for line in path.read_text().splitlines()]
    assert times == [0.0, 0.2, 0.2, 0.3, 0.3, 0.3]
    assert main(["check-trace", str(path)]) in (0, 1)  # well formed
