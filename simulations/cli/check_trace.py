"""``ssesim check-trace``: re-run every invariant checker on a recorded JSONL trace."""

from __future__ import annotations

import json

from model.invariants import INVARIANTS, Monitor
from simulations.io.trace import replay


def add_parser(sub) -> None:
    p = sub.add_parser("check-trace", help="re-check a recorded JSONL trace offline",
                       description="Replay a JSONL trace (from `ssesim run --trace` or a real client "
                                   "and server) through every invariant checker. Exit 1 on a violation.")
    p.add_argument("trace", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    monitor = replay(args.trace, Monitor())
    total = sum(monitor.counts.values())
    if args.json:
        print(json.dumps({"trace": args.trace, "violations": monitor.counts,
                          "chart_gaps": monitor.lifecycle.total, "examples": monitor.first}, indent=2))
    else:
        print(f"trace {args.trace}: {total} violation(s), {monitor.lifecycle.total} chart gap(s)")
        for inv in INVARIANTS:
            ex = monitor.first.get(inv)
            tail = f"   first at t={ex['t']:g}s (record {ex['seq']}): {ex['detail']}" if ex else ""
            print(f"  {inv:<15} {monitor.counts[inv]:>6}{tail}")
    return 1 if total else 0
