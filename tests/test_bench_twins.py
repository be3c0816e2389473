"""The benchmark's twins do the realistic workload's work: right counts, deterministic, comparable.

No timing is asserted here; the benchmark's figures live in reports/benchmarks.md.
"""

import json

import pytest

from simulations.bench.cli import main
from simulations.bench.explorer_hook import THREE_SENDS, explorer_figures
from simulations.bench.heap_twin import run_heap
from simulations.bench.runner import (
    REALISTIC,
    history_scaling,
    history_scenario,
    ssesim_floor_runner,
    ssesim_runner,
)
from simulations.bench.simpy_twin import run_simpy
from simulations.bench.workload import load_workload, workload_from_dict
from simulations.engine.simulator import simulate
from simulations.explore.explorer import explore
from simulations.io.scenario import load_scenario_data, parse_scenario

TWINS = [run_heap, run_simpy]
REAL = load_workload(REALISTIC)


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("seed", [1, 2])
def test_twin_is_deterministic_per_seed(twin, seed):
    assert twin(REAL, seed).to_json() == twin(REAL, seed).to_json()


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("seed", [1, 2])
def test_twin_sends_and_commits_as_the_scenario_says(twin, seed):
    r = twin(REAL, seed)
    assert r.sends == r.posts == 3 * 100  # three clients, count = 100, all valid
    expected = r.sends * REAL.commit_probability  # 0.97: six faults, three of them commit
    assert abs(r.committed - expected) < 15  # ~5 standard deviations
    # Errors shown: every fault but ok and accepted_dropped (4% of POSTs).
    assert 0 < r.errors_shown < 0.1 * r.sends


@pytest.mark.parametrize("twin", TWINS)
def test_twin_does_a_plausible_amount_of_work(twin):
    r = twin(REAL, 1)
    # Per send: send, arrival, response, timeout, think, reply, and 3 pushes to 1-2 streams.
    assert 8 * r.sends < r.logical_events < 14 * r.sends
    assert r.events >= r.logical_events  # SimPy needs extra heap events per model step
    assert r.end_time > 100 / REAL.rate * 0.8  # ~500 s of simulated time


def test_the_twins_agree_run_by_run():
    # Both draw their random numbers in the same order, so they match exactly: a strong
    # check that the SimPy twin and the bare loop model the same thing.
    for seed in (1, 2, 3):
        a, b = run_heap(REAL, seed), run_simpy(REAL, seed)
        assert (a.committed, a.errors_shown, a.logical_events) == (
            b.committed,
            b.errors_shown,
            b.logical_events,
        )
        assert a.end_time == pytest.approx(b.end_time)


@pytest.mark.parametrize("twin", TWINS)
def test_no_faults_commits_every_send_and_no_error(twin):
    r = twin(workload_from_dict(history_scenario(50)), 3)
    assert (r.sends, r.committed, r.errors_shown) == (50, 50, 0)


@pytest.mark.parametrize(
    "data, key",
    [
        ({"sse": {"payload": "delta"}}, "sse.payload"),
        ({"sse": {"resume": "last-event-id"}}, "sse.resume"),
        ({"sends": [{"at": 0.0, "content": "A"}]}, "sends"),
        ({"post": {"faults": {"lost": 0.1}}}, "post.faults"),
    ],
)
def test_twins_refuse_what_they_do_not_model(data, key):
    with pytest.raises(ValueError, match=f"^{key}: "):
        workload_from_dict(data)


def test_history_scaling_gives_a_cost_per_length():
    costs = history_scaling([10, 20], stretch=10, repeat=1)
    assert set(costs["bare heapq loop"]) == {10, 20}


def test_explorer_section_counts_states_and_transitions():
    one_send = dict(THREE_SENDS, sends=THREE_SENDS["sends"][:1])
    one_send["explore"] = {"faults": ["ok"], "max_disconnects": 0}
    ex = explorer_figures(repeat=1, scenario_data=one_send)
    scenario = parse_scenario(one_send, source="<test>")
    for label, reduction in (("no reduction", False), ("reduction", True)):
        result = explore(scenario, reduction=reduction)
        assert (ex[label]["states"], ex[label]["transitions"]) == (result.states, result.transitions)
        assert result.complete and result.states > 1


def test_bench_main_prints_json(capsys):
    argv = ["--quick", "--repeat", "1", "--no-scaling", "--no-explorer", "--json"]
    assert main(argv) == 0
    fig = json.loads(capsys.readouterr().out)
    assert {"simpy twin", "bare heapq loop"} <= set(fig["throughput"])
    assert fig["throughput"]["bare heapq loop"]["events_per_run"] > 0


def test_bench_main_prints_a_table(capsys):
    argv = ["--quick", "--repeat", "1", "--lengths", "10", "20", "--stretch", "10", "--no-explorer"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "events/s" in out and "History scaling" in out


def test_floor_runs_the_same_events_without_checkers():
    full, floor = ssesim_runner(REALISTIC), ssesim_floor_runner(REALISTIC)
    assert [floor(seed) for seed in (1, 2)] == [full(seed) for seed in (1, 2)]


def test_twins_do_the_work_ssesim_does():
    scenario = parse_scenario(load_scenario_data(REALISTIC), source=str(REALISTIC))
    for seed in (1, 2):
        real, twin = simulate(scenario, seed=seed), run_heap(REAL, seed)
        assert real.sends == twin.sends
        assert abs(real.events - twin.events) < 0.1 * real.events
        assert abs(real.committed - twin.committed) < 15
