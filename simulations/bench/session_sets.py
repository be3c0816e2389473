"""The full search against ``--reduction`` (sleep sets and session sets) on every example scenario ×
built-in strategy (issue 21 item 1; ``reports/benchmarks.md``, *Session-level persistent sets*).

``python -m simulations.bench.session_sets OUT.json [--max-states N] [--scenario STEM ...]``: per
case, the states, completeness and CPU seconds of both searches, whether the session sets applied,
whether every reduced counterexample replays in the full model, and, where both complete, whether
the violated invariants and their shortest counterexample lengths are equal. A full search that
``tests/data/explore_verdicts.json`` records as stopped at this bound or below is not run again.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from model.strategies import BUILTIN
from simulations.explore.explorer import Model, explore, replay
from simulations.io.files import atomic_write
from simulations.io.scenario import load_scenario

EXAMPLES = Path(__file__).resolve().parent.parent / "scenarios"
RECORDED = Path(__file__).resolve().parents[2] / "tests" / "data" / "explore_verdicts.json"


def _timed(scenario, strategy: str, max_states: int, reduction: bool):
    start = time.process_time()
    result = explore(scenario, strategy, max_states=max_states, reduction=reduction)
    return result, round(time.process_time() - start, 1)


def case(path: Path, strategy: str, max_states: int, recorded: dict | None) -> dict | None:
    scenario = load_scenario(path)
    if not scenario.sends:
        return None
    row: dict = {}
    full = None
    if recorded is not None and not recorded["complete"] and recorded["states"] <= max_states:
        row["full"] = {"states": recorded["states"], "complete": False, "cpu_s": None}
    else:
        full, seconds = _timed(scenario, strategy, max_states, False)
        row["full"] = {"states": full.states, "complete": full.complete, "cpu_s": seconds}
    reduced, seconds = _timed(scenario, strategy, max_states, True)
    row["reduced"] = {"states": reduced.states, "complete": reduced.complete, "cpu_s": seconds,
                      "session_sets": reduced.sessions}
    model = Model(scenario, strategy)
    row["replay"] = all(replay(model, a).monitor.counts[inv] >= 1 for inv, a in reduced.paths.items())
    row["lengths"] = {inv: len(a) for inv, a in reduced.paths.items()}
    row["equal"] = None
    if full is not None and full.complete and reduced.complete:
        row["equal"] = row["lengths"] == {inv: len(a) for inv, a in full.paths.items()}
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.session_sets")
    p.add_argument("out", type=Path)
    p.add_argument("--max-states", type=int, default=200_000)
    p.add_argument("--scenario", action="append", help="only these example scenarios (stems)")
    args = p.parse_args(argv)
    recorded = json.loads(RECORDED.read_text())["cases"] if RECORDED.exists() else {}
    out: dict = {"max_states": args.max_states, "cases": {}}
    for path in sorted(EXAMPLES.glob("*.toml")):
        if args.scenario and path.stem not in args.scenario:
            continue
        for strategy in BUILTIN:
            name = f"{path.stem}/{strategy}"
            row = case(path, strategy, args.max_states, recorded.get(name))
            if row is None:
                continue
            out["cases"][name] = row
            print(name, row["full"]["states"], row["reduced"]["states"], row["equal"], flush=True)
            atomic_write(args.out, json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
