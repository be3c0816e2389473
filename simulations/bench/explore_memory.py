"""Explorer memory (issue 11, item 3): peak RSS per visited state on the largest explorations, for one
or more source trees in one sitting.

``python -m simulations.bench.explore_memory TREE [TREE ...] [--repeat N]`` runs, for each tree (a
checkout of ssesim; its code is put first on ``PYTHONPATH``), ``python -m simulations explore ...
--json`` in a fresh process on:

* the two-send ``seed-retry`` scenario of the issue (``simulations/bench/two-sends-seed-retry.toml``),
  the largest exploration the benchmarks run;
* the largest example exploration (``simulations/scenarios/accepted-then-dropped.toml``,
  ``seed-retry``);
* a tiny exploration (``error-after-commit``, 7 states): the process's own footprint (interpreter and
  imports), which no search can go below.

For each: states, CPU seconds (the child's user + system), states per CPU second, peak RSS (the
child's ``ru_maxrss``), bytes per state (peak RSS / states) and the search's own bytes per state
((peak RSS − the tiny exploration's) / states). Trees are interleaved per figure so that they share
the machine's load; ``--repeat`` runs each figure N times and keeps the lowest CPU time. Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from simulations.bench.explore_speed import run_explore

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "scenarios"
JOBS = [("two-sends-seed-retry", HERE / "two-sends-seed-retry.toml", "seed-retry"),
        ("accepted-then-dropped", EXAMPLES / "accepted-then-dropped.toml", "seed-retry")]
TINY = EXAMPLES / "error-after-commit.toml"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.explore_memory")
    p.add_argument("trees", nargs="+", type=Path)
    p.add_argument("--max-states", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args(argv)
    trees = [t.resolve() for t in args.trees]
    out: dict = {str(t): {} for t in trees}
    base = {t: run_explore(t, TINY, "seed", args.max_states)["peak_rss_mib"] * 2**20 for t in trees}
    for tree in trees:
        out[str(tree)]["start-up peak RSS MiB"] = round(base[tree] / 2**20, 1)
    for label, scenario, strategy in JOBS:
        best: dict = {}
        for _ in range(args.repeat):
            for tree in trees:
                figures = run_explore(tree, scenario, strategy, args.max_states)
                if tree not in best or figures["cpu_s"] < best[tree]["cpu_s"]:
                    best[tree] = figures
                print(tree, label, strategy, figures, file=sys.stderr, flush=True)
        for tree in trees:
            figures = best[tree]
            rss = figures["peak_rss_mib"] * 2**20
            figures["search_bytes_per_state"] = round((rss - base[tree]) / max(figures["states"], 1))
            out[str(tree)][f"{label} / {strategy}"] = figures
    out["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
