"""States per second of the explorer with 1 and with N worker processes, in one process, one sitting.

``python -m simulations.bench.explore_workers [--workers 2] [--repeat 3] [SCENARIO] [--strategy seed]``
explores SCENARIO (default: the three-send benchmark, ``simulations/bench/three-sends.toml``, with
``seed``) with the serial search (``--workers 1``) and with the parallel one, alternately, ``--repeat``
times each, and prints one JSON object: per run the states, transitions, wall seconds and CPU
seconds (this process, and the workers it reaped), the parallel search's traffic (fingerprints
offered to their owners, states packed and shipped to even out a level), the best states/s of each, and the ratio of the
best wall times (issue 11's target: 2 workers ≥ 1.7× one). The load average before and after says how
busy the machine was: on a shared machine the wall figures are the coordinator's and the workers'
share of two cores, and the CPU seconds are the steadier figure (their sum over the workers is what
the parallel search costs in all).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from simulations.explore.explorer import explore
from simulations.explore.parallel import explore_workers
from simulations.io.scenario import load_scenario

THREE_SENDS = Path(__file__).resolve().parent / "three-sends.toml"


def children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def measure(scenario, strategy: str, workers: int) -> dict:
    wall0, cpu0, kids0 = time.perf_counter(), time.process_time(), children_cpu()
    if workers == 1:
        result = explore(scenario, strategy)
    else:
        result = explore_workers(scenario, strategy, workers=workers)
    wall = time.perf_counter() - wall0
    return {"workers": workers, "states": result.states, "transitions": result.transitions,
            "complete": result.complete, "wall_s": round(wall, 3),
            "cpu_s_coordinator": round(time.process_time() - cpu0, 3),
            "cpu_s_workers": round(children_cpu() - kids0, 3),
            "states_per_s": round(result.states / wall),
            "lengths": {k: len(v) for k, v in sorted(result.paths.items())},
            **({"traffic": result.traffic} if workers > 1 else {})}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.explore_workers")
    p.add_argument("scenario", nargs="?", type=Path, default=THREE_SENDS)
    p.add_argument("--strategy", default="seed")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    scenario = load_scenario(args.scenario)
    load_before = os.getloadavg()
    runs = []
    for _ in range(args.repeat):
        for workers in (1, args.workers):
            runs.append(measure(scenario, args.strategy, workers))
    one = [r for r in runs if r["workers"] == 1]
    many = [r for r in runs if r["workers"] == args.workers]
    for r in many:  # the figures the parallel search must reproduce
        assert (r["states"], r["transitions"], r["lengths"]) == (
            one[0]["states"], one[0]["transitions"], one[0]["lengths"]), r
    best1 = min(r["wall_s"] for r in one)
    bestn = min(r["wall_s"] for r in many)
    print(json.dumps({
        "scenario": str(args.scenario), "strategy": args.strategy, "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "best_states_per_s": {"1": round(one[0]["states"] / best1),
                              str(args.workers): round(many[0]["states"] / bestn)},
        "speedup": round(best1 / bestn, 2),
        "cpu_ratio": round(min(r["cpu_s_workers"] + r["cpu_s_coordinator"] for r in many)
                           / min(r["cpu_s_coordinator"] for r in one), 2),
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
