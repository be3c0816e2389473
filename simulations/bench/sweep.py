"""Benchmark sweeps: the default sweep's wall time with 1 and 2 workers, and the parent's memory.

``python -m simulations.bench.sweep [--repeats 3] [--sweep default] [--rss-seeds 20 200]``

Timings alternate 1 worker / 2 workers in this process (so a change in machine load hits both),
each into a fresh folder, and report the median. Memory: the parent's peak RSS (ru_maxrss) in a
fresh child process per run count, measured after the runs and the aggregation (before any
plot, whose matplotlib import is a constant), to show it does not grow with the number of runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sleeping_run(data: dict, source: str, strategy: str, seed: int) -> dict:
    """A run that takes 5 ms of wall time and no CPU: measures the runner, not the machine."""
    time.sleep(0.005)
    return {"result": {"sends": 0}, "confirm_times": []}


def time_runner(name: str, workers: int) -> float:
    """Seconds to run ``name`` with ``sleeping_run``: the runner's own scaling and overhead."""
    from simulations.io.sweep_file import load_sweep, resolve_sweep_path
    from simulations.sweep.runner import run_sweep

    sweep = load_sweep(resolve_sweep_path(name))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_sweep(sweep, Path(tmp) / "out", workers=workers, quiet=True, run_fn=sleeping_run)
        return time.perf_counter() - start


def time_sweep(name: str, workers: int) -> tuple[float, float, int, float, float]:
    """Seconds running the runs, seconds aggregating + plotting + writing, the run count, and
    the CPU seconds of the runs spent by this process and by its (reaped) worker processes."""
    from simulations.io.sweep_file import load_sweep, resolve_sweep_path
    from simulations.report.sweep import finish_sweep
    from simulations.sweep.runner import run_sweep

    sweep = load_sweep(resolve_sweep_path(name))
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, start = _cpu(), time.perf_counter()
        run_sweep(sweep, Path(tmp) / "out", workers=workers, quiet=True)
        mid, cpu1 = time.perf_counter(), _cpu()
        finish_sweep(Path(tmp) / "out")
        return (mid - start, time.perf_counter() - mid, sweep.run_count, cpu1[0] - cpu0[0],
                cpu1[1] - cpu0[1])


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def rss_child(name: str, seeds: int, workers: int) -> None:
    """In a fresh process: run ``name`` with seeds 1..N, aggregate, print runs and peak RSS (kB)."""
    from simulations.io.sweep_file import load_sweep, resolve_sweep_path
    from simulations.sweep.aggregate import aggregate, write_summary
    from simulations.sweep.runner import run_sweep

    sweep = load_sweep(resolve_sweep_path(name))
    sweep = dataclasses.replace(sweep, seeds=tuple(range(1, seeds + 1)))
    with tempfile.TemporaryDirectory() as tmp:
        run_sweep(sweep, Path(tmp) / "out", workers=workers, quiet=True)
        write_summary(aggregate(Path(tmp) / "out"), Path(tmp) / "out")
    print(sweep.run_count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def measure_rss(name: str, seeds: int, workers: int) -> tuple[int, int, float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "simulations.bench.sweep", "--rss-child", name,
                           str(seeds), str(workers)], capture_output=True, text=True, check=True)
    runs, kb = proc.stdout.split()[-2:]
    return int(runs), int(kb), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.sweep", description=__doc__)
    p.add_argument("--sweep", default="default")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rss-sweep", default="quick")
    p.add_argument("--rss-seeds", type=int, nargs=2, default=(25, 250))
    p.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rss_child:
        rss_child(args.rss_child[0], int(args.rss_child[1]), int(args.rss_child[2]))
        return 0
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    times: dict[int, list[float]] = {1: [], 2: []}
    post: list[float] = []
    for i in range(args.repeats):
        for workers in (1, 2):
            run_s, post_s, runs, parent_cpu, worker_cpu = time_sweep(args.sweep, workers)
            times[workers].append(run_s)
            post.append(post_s)
            print(f"  repeat {i + 1}: {workers} worker(s): {runs} runs in {run_s:.1f} s "
                  f"(CPU: parent {parent_cpu:.1f} s, workers {worker_cpu:.1f} s; load "
                  f"{os.getloadavg()[0]:.1f}), then aggregation + plots + report {post_s:.1f} s",
                  flush=True)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"sweep {args.sweep!r}, {runs} runs, median of {args.repeats}: 1 worker {one:.1f} s, "
          f"2 workers {two:.1f} s, speed-up {one / two:.2f}×; aggregation + plots + report "
          f"{statistics.median(post):.1f} s")
    idle = {w: statistics.median(time_runner(args.sweep, w) for _ in range(args.repeats))
            for w in (1, 2)}
    print(f"runner alone (every run sleeps 5 ms, no CPU): 1 worker {idle[1]:.1f} s, 2 workers "
          f"{idle[2]:.1f} s, speed-up {idle[1] / idle[2]:.2f}× (ideal {runs * 0.005:.1f} s and "
          f"{runs * 0.0025:.1f} s)", flush=True)
    for seeds in args.rss_seeds:
        runs, kb, secs = measure_rss(args.rss_sweep, seeds, 2)
        print(f"peak RSS of the parent, sweep {args.rss_sweep!r} with {seeds} seeds: {runs} runs, "
              f"{kb / 1024:.1f} MiB ({secs:.1f} s)", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
