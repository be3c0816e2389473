"""Verdicts of the exhaustive explorer on every example scenario × built-in strategy (issue 11).

``python -m simulations.bench.explore_verdicts OUT.json [--max-states N]`` explores each example
scenario (``simulations/scenarios/*.toml``) with each built-in strategy, without reduction, and
writes per case: states, whether the search completed, and per invariant the length of the
shortest counterexample (None: holds, or not found before the bound when incomplete). The file
``tests/data/explore_verdicts.json`` was written by this command before the explored key changed;
``tests/test_explore_verdicts.py`` compares the explorer against it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from model.invariants import INVARIANTS
from model.strategies import BUILTIN
from simulations.explore.explorer import explore
from simulations.io.files import atomic_write
from simulations.io.scenario import load_scenario

EXAMPLES = Path(__file__).resolve().parent.parent / "scenarios"


def case(path: Path, strategy: str, max_states: int) -> dict:
    start = time.perf_counter()
    result = explore(load_scenario(path), strategy, max_states=max_states)
    return {"states": result.states, "complete": result.complete,
            "seconds": round(time.perf_counter() - start, 2),
            "violations": {inv: (len(result.paths[inv]) if inv in result.paths else None)
                           for inv in INVARIANTS}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.explore_verdicts")
    p.add_argument("out", type=Path)
    p.add_argument("--max-states", type=int, default=200_000)
    p.add_argument("--strategy", action="append", help="only these strategies (default: all built-ins)")
    p.add_argument("--scenario", action="append", help="only these example scenarios (stems)")
    args = p.parse_args(argv)
    out = {"max_states": args.max_states, "cases": {}}
    for path in sorted(EXAMPLES.glob("*.toml")):
        if args.scenario and path.stem not in args.scenario:
            continue
        for strategy in args.strategy or BUILTIN:
            figures = case(path, strategy, args.max_states)
            out["cases"][f"{path.stem}/{strategy}"] = figures
            print(path.stem, strategy, figures["states"], figures["complete"], figures["seconds"],
                  flush=True)
            atomic_write(args.out, json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
