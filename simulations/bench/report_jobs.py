"""Where `ssesim report`'s time goes: the CPU seconds of each verdict job (issue 11's report target).

``python -m simulations.bench.report_jobs [--workers N] [--max-states N]`` runs the report's verdict
jobs (every example scenario × built-in strategy: the exploration, the re-run within a timeout budget
of one the bound stopped, and the seeded runs; ``simulations.report.check.verdict``) in a pool of N
processes, as the report does, and prints per job its CPU seconds, its states and whether the search
completed, the largest projection of its size met on the way (as a multiple of the bound: the
report gives up on a search past ``GIVE_UP`` of it), the largest first; then the total, the share of the explorations the bound stopped, and
the least wall time N cores could take for those alone (their CPU seconds / N, or the largest one).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

from model.strategies import BUILTIN
from simulations.io.scenario import builtin_scenarios
from simulations.report import REPORT_MAX_STATES, REPORT_RUNS
from simulations.report.check import GIVE_UP, verdict


def timed(job: tuple) -> tuple:
    start = time.process_time()
    result = verdict(*job)
    explored = result["explored"] or {}
    bounded = explored.get("bounded") or {}
    return (result["scenario"], job[1], time.process_time() - start, explored.get("states"),
            explored.get("complete"), bounded.get("states"),
            (explored.get("peak_projection") or 0.0) / job[3])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.report_jobs")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--max-states", type=int, default=REPORT_MAX_STATES)
    p.add_argument("--runs", type=int, default=REPORT_RUNS)
    args = p.parse_args(argv)
    for name, value, least in (("--workers", args.workers, 1), ("--max-states", args.max_states, 1),
                               ("--runs", args.runs, 0)):
        if value < least:
            p.error(f"{name} must be >= {least}, got {value}")
    jobs = [(str(path), s, args.runs, args.max_states) for s in BUILTIN for path in builtin_scenarios()]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = sorted(pool.map(timed, jobs), key=lambda r: -r[2])
    wall = time.perf_counter() - start
    print(f"{'scenario':<30} {'strategy':<11} {'CPU s':>7} {'states':>8} complete  peak/bound  re-run states")
    for name, strategy, cpu, states, complete, rerun, peak in rows:
        print(f"{name:<30} {strategy:<11} {cpu:7.2f} {states if states is not None else '-':>8} "
              f"{'-' if complete is None else ('yes' if complete else 'NO'):<9} {peak:10.2f}  "
              f"{rerun if rerun else ''}")
    done = [r[6] for r in rows if r[4]]
    if done:  # how near a search that completed came to being given up (check.GIVE_UP)
        print(f"complete searches: the largest growth projection met was {max(done):.2f}× the bound "
              f"(the report gives up past {GIVE_UP:g}×)")
    total = sum(r[2] for r in rows)
    stopped = [r[2] for r in rows if r[4] is False]
    print(f"{len(rows)} jobs, {total:.1f} CPU s in all, {wall:.1f} s wall on {args.workers} worker(s)")
    if stopped:
        floor = max(sum(stopped) / args.workers, max(stopped))
        print(f"{len(stopped)} stopped by the bound of {args.max_states:,} states: {sum(stopped):.1f} CPU s "
              f"({sum(stopped) / total:.0%}); on {args.workers} core(s) they alone take at least {floor:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
