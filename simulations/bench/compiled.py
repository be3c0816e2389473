"""The compiled build against the pure one (README: A compiled build), in one sitting: states per CPU
second of the three-send benchmark, one worker, each build in its own interpreter.

``python -m simulations.bench.compiled --pure PY --compiled PY [--strategy S] [--repeat N]
[--max-states N]``: ``PY`` is the python of a virtual environment with that build installed (the
pure one may instead be a source tree, ``--pure-tree DIR``, put first on ``PYTHONPATH``). Each run is
``python -m simulations explore simulations/bench/three-sends.toml --strategy S --json --quiet`` in a
fresh process started in an empty folder (so that no source tree shadows the compiled modules); the
two builds alternate, and the best of ``--repeat`` runs (child CPU seconds, start-up included: the
machine is shared, CPU time is the steadier figure) is kept. The two builds must agree on every
figure of the exploration but its time. Prints one line per build and the ratio, then one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

THREE_SENDS = Path(__file__).resolve().parent / "three-sends.toml"
TIMES = ("seconds",)  # the exploration's fields that differ from run to run


def is_compiled(python: str, env: dict, cwd: str) -> bool:
    code = "from model.compiled import is_compiled; print(is_compiled())"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, check=True)
    return out.stdout.strip() == "True"


def explore_once(python: str, env: dict, cwd: str, strategy: str, max_states: int) -> tuple[float, dict]:
    """One exploration in a fresh process: (its CPU seconds, its JSON less the times)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([python, "-m", "simulations", "explore", str(THREE_SENDS), "--strategy", strategy,
                        "--max-states", str(max_states), "--json", "--quiet"],
                       capture_output=True, text=True, env=env, cwd=cwd, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):  # 1: an invariant is violated, which the benchmark expects
        raise SystemExit(f"{python}: explore failed ({p.returncode}): {p.stderr[-400:]}")
    result = {k: v for k, v in json.loads(p.stdout).items() if k not in TIMES}
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulations.bench.compiled", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pure", default=sys.executable, help="python of the pure install (default: this one)")
    ap.add_argument("--pure-tree", help="a source tree for the pure run, first on PYTHONPATH")
    ap.add_argument("--compiled", required=True, help="python of the compiled install")
    ap.add_argument("--strategy", default="seed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-states", type=int, default=200_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as empty:
        base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        builds = {"pure": (args.pure, {**base, **({"PYTHONPATH": args.pure_tree} if args.pure_tree else {})}),
                  "compiled": (args.compiled, base)}
        for name, (python, env) in builds.items():
            if is_compiled(python, env, empty) != (name == "compiled"):
                raise SystemExit(f"--{name} {python}: its model is {'not ' if name == 'compiled' else ''}compiled")
        best: dict[str, float] = {}
        results: dict[str, dict] = {}
        for _ in range(args.repeat):
            for name, (python, env) in builds.items():
                cpu, result = explore_once(python, env, empty, args.strategy, args.max_states)
                best[name] = min(best.get(name, cpu), cpu)
                results[name] = result
    if results["pure"] != results["compiled"]:
        raise SystemExit("the builds disagree: " + json.dumps(results))
    states = results["pure"]["states"]
    rates = {name: states / cpu for name, cpu in best.items()}
    for name in builds:
        print(f"{name:>9}: {states:,} states in {best[name]:.2f} CPU s (best of {args.repeat}): "
              f"{rates[name]:,.0f} states/s")
    ratio = rates["compiled"] / rates["pure"]
    print(f"compiled / pure: {ratio:.2f}x")
    print(json.dumps({"scenario": THREE_SENDS.name, "strategy": args.strategy, "states": states,
                      "repeat": args.repeat, "cpu_s": {k: round(v, 3) for k, v in best.items()},
                      "states_per_cpu_s": {k: round(v) for k, v in rates.items()}, "ratio": round(ratio, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
