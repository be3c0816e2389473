"""Explorer figures of issue 11, each in a fresh process, for one or more source trees in one sitting.

``python -m simulations.bench.explore_speed TREE [TREE ...] [--max-states N]`` runs, for each tree
(a checkout of ssesim; its code is put first on ``PYTHONPATH``), ``python -m simulations explore
... --json`` on:

* the three-send benchmark scenario (``simulations/bench/three-sends.toml``) with ``seed``,
  ``dual-write`` and ``reconciled`` (``seed-retry`` there exceeds any bound worth a benchmark):
  states, wall and CPU seconds including start-up, states per CPU second (the machine is shared:
  CPU time is the steadier figure);
* the two-send ``seed-retry`` scenario of the issue (``simulations/bench/two-sends-seed-retry.toml``):
  states, complete, seconds, peak RSS;
* the largest example exploration (``accepted-then-dropped`` with ``seed-retry``): states, peak
  RSS, bytes per state (peak RSS / states).

Peak RSS is the child's ``ru_maxrss``. Trees are interleaved per figure so that they share the
machine's load. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "scenarios"
STRATEGIES = ("seed", "dual-write", "reconciled")


def run_explore(tree: Path, scenario: Path, strategy: str, max_states: int) -> dict:
    code = ("import json, resource, subprocess, sys, time;"
            "start = time.perf_counter();"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
            "wall = time.perf_counter() - start;"
            "use = resource.getrusage(resource.RUSAGE_CHILDREN);"
            "print(json.dumps({'rc': p.returncode, 'wall': wall, 'rss': use.ru_maxrss * 1024, "
            "'cpu': use.ru_utime + use.ru_stime, 'out': p.stdout, 'err': p.stderr[-400:]}))")
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "simulations", "explore", str(scenario),
           "--strategy", strategy, "--max-states", str(max_states), "--json", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env, check=True,
                                     cwd=tree).stdout)
    if done["rc"] != 0:
        raise SystemExit(f"{tree}: explore {scenario.name} {strategy} failed: {done['err']}")
    obj = json.loads(done["out"])
    return {"states": obj["states"], "transitions": obj["transitions"], "complete": obj["complete"],
            "wall_s": round(done["wall"], 2), "cpu_s": round(done["cpu"], 2),
            "states_per_cpu_s": round(obj["states"] / done["cpu"]),
            "peak_rss_mib": round(done["rss"] / 2**20, 1),
            "bytes_per_state": round(done["rss"] / max(obj["states"], 1)),
            "violated": sorted(k for k, v in obj["violations"].items() if v)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.explore_speed")
    p.add_argument("trees", nargs="+", type=Path)
    p.add_argument("--max-states", type=int, default=1_000_000)
    args = p.parse_args(argv)
    trees = [t.resolve() for t in args.trees]
    jobs = [("three-sends", HERE / "three-sends.toml", s) for s in STRATEGIES]
    jobs += [("two-sends-seed-retry", HERE / "two-sends-seed-retry.toml", "seed-retry"),
             ("largest example", EXAMPLES / "accepted-then-dropped.toml", "seed-retry")]
    out: dict = {str(t): {} for t in trees}
    for label, scenario, strategy in jobs:
        for tree in trees:
            figures = run_explore(tree, scenario, strategy, args.max_states)
            out[str(tree)][f"{label} / {strategy}"] = figures
            print(tree, label, strategy, figures, file=sys.stderr, flush=True)
    out["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
