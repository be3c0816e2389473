"""Instruction counts of the simulator, this tree against a baseline tree, under callgrind.

The machine the benchmark runs on is shared, so its timings drift; instruction counts do
not. This counts, with valgrind's callgrind, the instructions of ``simulate`` on the
realistic workload (seeds 1-3 by default) twice: with all checkers (``simulate``'s default)
and with a no-op observer (the bench's floor). Each figure is a process that builds the
runner and runs every seed, minus a process that only imports and builds the runner, so
start-up and parsing do not count; both collect garbage once before the seeds run, as the bench does
before every timed batch. Address-space randomisation is off (``setarch -R``) and
``PYTHONHASHSEED=0``, so the counts repeat to within a few thousand instructions::

    python -m simulations.bench.instructions --baseline /tmp/base4d6

The target code is the bench's own ``ssesim_runner``/``ssesim_floor_runner`` of each tree
(``simulations.bench.runner``), so a baseline tree needs nothing of this module.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]

# Run in the measured tree: build the runner (always), collect garbage as the bench does before every
# timed batch (runner.interleaved), then run the seeds unless "load". Without the collection, a
# collection of the objects the imports left would fall in the batch or not by the tree's import history.
TARGET = """
import gc, sys
from simulations.bench import runner as r
kind, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
run = (r.ssesim_floor_runner if kind == "none" else r.ssesim_runner)(r.REALISTIC)
gc.collect()
if kind != "load":
    print(sum(run(s) for s in seeds))
"""

KINDS = {"all": "DES, all checkers", "none": "DES, no checkers"}


def count(tree: Path, kind: str, seeds: list[int]) -> int:
    """Total instructions (callgrind's ``totals``) of one target process run in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = [
            "setarch", "-R", "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, "-c", TARGET, kind, *map(str, seeds),
        ]  # fmt: skip
        subprocess.run(cmd, env=env, cwd=tmp, check=True, capture_output=True)
        for line in out.read_text().splitlines():
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in callgrind output for {tree} {kind}")


def measure(tree: Path, seeds: list[int]) -> dict[str, int]:
    """Instructions of each kind in ``tree``, the load-only process subtracted."""
    load = count(tree, "load", seeds)
    return {kind: count(tree, kind, seeds) - load for kind in KINDS}


def main(argv: list[str] | None = None) -> int:
    """Print the instruction counts of this tree and, with --baseline, the baseline's and the ratio."""
    p = argparse.ArgumentParser(prog="python -m simulations.bench.instructions", description=__doc__.split("\n")[0])
    p.add_argument("--baseline", type=Path, help="a checkout to compare against (its own bench runner is used)")
    p.add_argument("--tree", type=Path, default=HERE, help="the tree to measure (default: this one)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = p.parse_args(argv)
    ours = measure(args.tree, args.seeds)
    base = measure(args.baseline, args.seeds) if args.baseline else None
    seeds = ",".join(map(str, args.seeds))
    print(f"instructions per batch (realistic.toml, seeds {seeds}), load subtracted")
    for kind, label in KINDS.items():
        line = f"{label:20} {ours[kind] / 1e6:9.1f} M"
        if base:
            line += f"   baseline {base[kind] / 1e6:9.1f} M   change {100 * (ours[kind] / base[kind] - 1):+.1f} %"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
