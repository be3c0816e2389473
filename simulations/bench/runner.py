"""Timing harness of the benchmark: contenders, interleaved repeats, medians, history scaling.

A contender is a function ``seed -> events`` that runs one simulation and returns its event
count; inputs are parsed before timing starts, so only simulation is timed. Contenders run
interleaved (A, B, C, A, B, C, ...) so that drift in the machine's speed hits all alike, and
each figure is the median over the repeats. Nothing here asserts a timing.

The clock is the process's CPU time (``time.process_time``) by default, not the wall clock:
the benchmark shares a small machine with other work, and CPU time does not count the
time the scheduler gives to other processes. ``--wall`` switches to ``time.perf_counter``.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from model.observe import Observer
from model.plugins import resolve_strategy
from simulations.bench.heap_twin import run_heap
from simulations.bench.simpy_twin import run_simpy
from simulations.bench.workload import load_workload, workload_from_dict
from simulations.engine.simulator import Simulator, simulate
from simulations.io.scenario import load_scenario_data, parse_scenario

REALISTIC = Path(__file__).resolve().parents[1] / "scenarios" / "realistic.toml"

Runner = Callable[[int], int]
Clock = Callable[[], float]


@dataclass
class Timing:
    """A contender's measurements: events per batch (all seeds), seconds per repeat."""

    name: str
    events: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median seconds of one batch (every seed once)."""
        return statistics.median(self.seconds)

    def to_json(self, runs: int) -> dict:
        """Per-run figures (a batch is ``runs`` runs) as a JSON-ready dict."""
        return {
            "events_per_run": self.events / runs,
            "ms_per_run": 1000 * self.median / runs,
            "events_per_s": self.events / self.median,
            "repeats": len(self.seconds),
        }


def ssesim_runner(path: Path) -> Runner:
    """ssesim's ``simulate`` on the scenario at ``path``, all checkers on (its default)."""
    scenario = parse_scenario(load_scenario_data(path), source=str(path))
    return lambda seed: simulate(scenario, seed=seed).events


def ssesim_floor_runner(path: Path) -> Runner:
    """The same runs with every checker replaced by a no-op observer: the model and the engine alone.

    The figure says what the model/driver split costs without any checking: the floor under
    ``ssesim (all checkers)``. Same strategy, seeds and events (observers do not steer the model).
    """
    scenario = parse_scenario(load_scenario_data(path), source=str(path))
    strategy_cls = resolve_strategy(scenario.strategy, scenario.source)

    def run(seed: int) -> int:
        sim = Simulator(scenario, strategy_cls, random.Random(seed), Observer())
        sim.run()
        return sim.events

    return run


def twin_runners(path: Path) -> dict[str, Runner]:
    """The two twins on the scenario at ``path``, keyed by their table names."""
    w = load_workload(path)
    return {
        "simpy twin": lambda seed: run_simpy(w, seed).events,
        "bare heapq loop": lambda seed: run_heap(w, seed).events,
    }


def twin_model_steps(path: Path, seeds: list[int]) -> dict[str, int]:
    """Model steps (``logical_events``) of each twin over ``seeds``, untimed.

    ssesim's heap pops and the bare loop's are model steps; SimPy's are not (it needs extra
    heap events per step), so its events/s must be read next to this count.
    """
    w = load_workload(path)
    return {
        "simpy twin": sum(run_simpy(w, s).logical_events for s in seeds),
        "bare heapq loop": sum(run_heap(w, s).logical_events for s in seeds),
    }


def interleaved(
    runners: dict[str, Runner], seeds: list[int], repeat: int, clock: Clock = time.process_time
) -> list[Timing]:
    """Time every runner on every seed, ``repeat`` times, interleaved; one Timing each."""
    timings = {name: Timing(name) for name in runners}
    for _ in range(repeat):
        for name, run in runners.items():
            gc.collect()
            start, events = clock(), 0
            for seed in seeds:
                events += run(seed)
            timings[name].seconds.append(clock() - start)
            timings[name].events = events  # deterministic per seed: the same every repeat
    return list(timings.values())


def history_scenario(count: int) -> dict:
    """One client, no faults, constant small latencies, snapshot payloads, ``count`` sends.

    With no faults every send commits, so the conversation reaches ``count`` messages.
    """
    return {
        "name": f"history-{count}",
        "strategy": "seed",
        "seed": 1,
        "post": {"request_latency": 0.01, "response_latency": 0.01, "timeout": 10.0},
        "sse": {"delay": 0.01, "payload": "snapshot"},
        "server": {"assistant": False},
        "clients": [{"session": "s1"}],
        "workload": {"rate": 1.0, "count": count, "content_length": 20},
    }


def history_runners(count: int) -> dict[str, Runner]:
    """Runners for the history scenario of ``count`` sends: ssesim and the bare loop."""
    data = history_scenario(count)
    scenario = parse_scenario(data, source=f"<history-{count}>")
    w = workload_from_dict(data)
    return {
        "ssesim": lambda seed: simulate(scenario, seed=seed).events,
        "bare heapq loop": lambda seed: run_heap(w, seed).events,
    }


def history_scaling(
    lengths: list[int], stretch: int, repeat: int, clock: Clock = time.process_time
) -> dict[str, dict]:
    """Per-event cost at each conversation length, by difference of two runs.

    A run of N sends and one of N + ``stretch`` sends are timed (interleaved, medians);
    the cost of an event at length ~N is the difference of their times over the
    difference of their events. Returns ``{contender: {length: seconds per event}}``.
    """
    costs: dict[str, dict] = {}
    for n in lengths:
        short, long_ = history_runners(n), history_runners(n + stretch)
        runners = {f"{k}|short": v for k, v in short.items()}
        runners.update({f"{k}|long": v for k, v in long_.items()})
        timings = {t.name: t for t in interleaved(runners, [1], repeat, clock)}
        for name in short:
            a, b = timings[f"{name}|short"], timings[f"{name}|long"]
            costs.setdefault(name, {})[n] = (b.median - a.median) / max(1, b.events - a.events)
    return costs
