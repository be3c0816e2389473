"""``ssesim live`` in lockstep: real HTTP and SSE, the simulator's schedule, the same checkers.

The conformance contract: for every scripted example scenario and every built-in strategy, ``live``
finds the same set of violated invariants as ``run``. The lockstep conductor is built to play exactly
the simulator's schedule, so these tests hold it to more: the same counts and a byte-identical trace,
also on random scenarios (Hypothesis) and on the realistic workload.
"""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import scenario_dicts

from model.invariants import INVARIANTS
from model.strategies import BUILTIN
from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.io.scenario import (
    builtin_scenarios,
    load_scenario,
    load_scenario_data,
    parse_scenario,
)
from simulations.live.runner import live_run
from simulations.live.transport import wake_or_timeout

SCENARIOS = {p.stem: p for p in builtin_scenarios()}
SCRIPTED = sorted(name for name in SCENARIOS if name != "realistic")


def violated(counts: dict) -> set:
    return {k for k, n in counts.items() if n}


def both(scenario, strategy, tmp_path, seed=None, **live_args):
    """(live result, simulated result, live trace bytes, simulated trace bytes)."""
    lt, st = tmp_path / "live.jsonl", tmp_path / "run.jsonl"
    live = live_run(scenario, strategy=strategy, seed=seed, trace_path=lt, **live_args)
    sim = simulate(scenario, strategy=strategy, seed=seed, trace_path=st)
    return live, sim, lt.read_bytes(), st.read_bytes()


@pytest.mark.parametrize("strategy", BUILTIN)
@pytest.mark.parametrize("name", SCRIPTED)
def test_live_finds_the_same_violations_as_run_on_every_scripted_example(name, strategy, tmp_path):
    live, sim, live_trace, sim_trace = both(load_scenario(SCENARIOS[name]), strategy, tmp_path)
    assert violated(live.violations) == violated(sim.violations)  # the contract
    assert live.violations == sim.violations and live.committed == sim.committed
    assert live_trace == sim_trace  # lockstep plays the simulator's schedule exactly
    assert live.live["posts_sent"] + sum(1 for line in sim_trace.splitlines()
                                         if b'"outcome":"lost"' in line) == sim.metrics["posts"]


def test_the_realistic_workload_live_is_the_simulated_run(tmp_path):
    data = load_scenario_data(SCENARIOS["realistic"])
    data["workload"]["count"] = 12
    scenario = parse_scenario(data, "realistic-12")
    live, sim, live_trace, sim_trace = both(scenario, "seed-retry", tmp_path, seed=4)
    assert live_trace == sim_trace
    assert sim.metrics["posts"] > sim.sends > 30 and live.live["answers_lost"] > 0  # faults happened


@settings(max_examples=8)
@given(scenario_dicts())
def test_live_lockstep_traces_equal_simulated_traces_on_random_scenarios(d):
    scenario = parse_scenario(d)
    with tempfile.TemporaryDirectory() as tmp:
        _live, _sim, live_trace, sim_trace = both(scenario, None, Path(tmp))
    assert live_trace == sim_trace


def test_a_plugin_strategy_runs_live_through_the_same_handlers(tmp_path):
    scenario = load_scenario(SCENARIOS["old-stream-drains"])
    live, sim, live_trace, sim_trace = both(scenario, "tests.plugins.example:VersionedSeed", tmp_path)
    assert live_trace == sim_trace
    assert live.strategy == sim.strategy


def test_pacing_by_a_time_scale_changes_nothing_but_the_wall_time(tmp_path):
    scenario = load_scenario(SCENARIOS["two-tabs"])
    live, sim, live_trace, sim_trace = both(scenario, "seed", tmp_path, time_scale=0.5)
    assert live_trace == sim_trace
    assert live.live["wall_seconds"] >= 0.5 * sim.metrics["end_time"]


# --- the command ---------------------------------------------------------------------------------------

def test_live_json_is_runs_object_plus_the_live_figures(capsys, tmp_path):
    path = str(SCENARIOS["response-lost-after-commit"])
    assert main(["live", path, "--json", "--trace", str(tmp_path / "t.jsonl")]) == 0
    live = json.loads(capsys.readouterr().out)
    assert main(["run", path, "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert set(live) == set(run) | {"live"}
    assert live["violations"] == run["violations"] and list(live["violations"]) == list(INVARIANTS)
    figures = live["live"]
    assert figures["mode"] == "lockstep" and figures["posts_sent"] == 1
    assert figures["answers_lost"] == 1  # response_lost: the connection died without an answer
    assert figures["streams_opened"] == 1 and figures["sse_events_received"] == 1
    assert main(["check-trace", str(tmp_path / "t.jsonl")]) == 1  # the ghost, re-checked offline


def test_live_summary_is_runs_summary_plus_a_live_line(capsys):
    path = str(SCENARIOS["two-tabs"])
    assert main(["live", path]) == 0
    live = capsys.readouterr().out.splitlines()
    assert main(["run", path]) == 0
    run = capsys.readouterr().out.splitlines()
    assert live[0] == run[0] and live[2:-2] == run[2:-1]
    assert live[-1].startswith("live: lockstep, unpaced, reference server in-process")


@pytest.mark.parametrize("argv, where", [
    (["--mode", "lockstep", "--target", "http://127.0.0.1:9"], "--mode"),
    (["--target", "ftp://example"], "--target"),
    (["--time-scale", "-1"], "--time-scale"),
    (["--mode", "free", "--time-scale", "0"], "--time-scale"),
    (["--strategy", "nope"], "strategy"),
])
def test_live_bad_arguments_are_one_line_and_exit_2(argv, where, capsys, tmp_path):
    trace = tmp_path / "t.jsonl"
    assert main(["live", str(SCENARIOS["two-tabs"]), "--trace", str(trace)] + argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and where in err
    assert not trace.exists()


def test_a_target_that_refuses_is_one_line_naming_it_and_exit_2(capsys, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}"
    assert main(["live", str(SCENARIOS["two-tabs"]), "--target", url,
                 "--trace", str(tmp_path / "t.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and url in err and "refused" in err
    assert not (tmp_path / "t.jsonl").exists()


def test_a_target_that_never_answers_is_one_line_naming_it_and_exit_2(capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)  # accepts connections, never answers
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        assert main(["live", str(SCENARIOS["two-tabs"]), "--target", url, "--patience", "0.3"]) == 2
    finally:
        sock.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and url in err and "0.3 s" in err


def test_live_runs_are_bounded_by_their_wall_limit(capsys):
    # paced at one wall second per scenario second, the 1.7 s scenario is stopped at 0.3 s: stuck,
    # having run at least that long (an upper bound on the wall time would fail on a loaded machine)
    assert main(["live", str(SCENARIOS["old-stream-drains"]), "--time-scale", "1",
                 "--max-seconds", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["stuck"] is True and out["live"]["wall_seconds"] >= 0.3


def test_live_leaves_no_thread_or_server_behind():
    before = threading.active_count()
    live_run(load_scenario(SCENARIOS["two-sessions"]))
    assert threading.active_count() == before


@pytest.mark.parametrize("timeout", [10.0, 0.0])
def test_a_cancel_in_the_same_turn_as_a_wakeup_is_not_lost(timeout):
    """The CI failure of stop 17: Ctrl-C landed in the same loop turn as the conductor's wake-up, and
    ``asyncio.wait_for`` (Python 3.11) returned normally, so the run went on to exit 0."""
    async def scene():
        event = asyncio.Event()
        task = asyncio.get_running_loop().create_task(wake_or_timeout(event, timeout))
        await asyncio.sleep(0)  # the task is now waiting
        event.set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scene())
