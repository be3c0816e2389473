"""``ssesim check-trace``: re-run every invariant checker on a recorded JSONL trace.

A trace that checks nothing is not a pass: one with only its config record, one cut before its end
record, one whose end says ``checked: false``, one without a send, or one in which no quiescence
check ever ran exits ``INCONCLUSIVE`` (3), with one line saying which (a violation it does hold is
still a finding: exit 1).
"""

from __future__ import annotations

import json
import sys

from model.invariants import INVARIANTS, Monitor
from simulations.io.trace import replay

INCONCLUSIVE = 3  # the exit status of a trace that checks nothing


def add_parser(sub) -> None:
    p = sub.add_parser("check-trace", help="re-check a recorded JSONL trace offline",
                       description="Replay a JSONL trace (from `ssesim run --trace` or a real client "
                                   "and server) through every invariant checker. Exit 0 clean, 1 on a "
                                   "violation, 2 on a malformed trace, 3 when the trace checks "
                                   "nothing (only a config record, no end record, an end with "
                                   "checked: false, no send, no quiescence check).")
    p.add_argument("trace", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=run)


class _Coverage(Monitor):
    """The checkers, also counting what a trace gave them to check."""

    def __init__(self):
        super().__init__()
        self.records = 0  # records after the config record
        self.ended = self.checked_end = False
        self.quiescences = 0

    def __getattribute__(self, name):
        if name in _KINDS:
            object.__setattr__(self, "records", object.__getattribute__(self, "records") + 1)
        return object.__getattribute__(self, name)

    def quiescent(self, t):
        self.quiescences += 1
        return super().quiescent(t)

    def end(self, t, checked):
        self.ended, self.checked_end = True, bool(checked)
        return super().end(t, checked)


_KINDS = frozenset(("send", "post", "arrive", "commit", "flags", "push", "response", "timeout",
                    "deliver", "apply", "view", "error", "rollback", "unconfirmed", "disconnect",
                    "reconnect", "quiescent", "end"))


def inconclusive(m: _Coverage) -> str | None:
    """Why the replayed trace checked nothing worth a pass, or None."""
    if m.records == 0:
        return "only the config record: nothing happened, nothing was checked"
    if not m.ended:
        return ("no end record: the trace was cut before the run ended (a failed or interrupted "
                "run?), so the end-of-run checks never ran")
    if not m.checked_end:
        return ("the end record says checked: false (the run stopped at its horizon before it was "
                "quiescent): the end-of-run checks never ran")
    if m.sends == 0:
        return "no send record: no message was sent, so the invariants had nothing to check"
    if m.quiescences == 0 and not m.checked_end:
        return "no quiescent record: the quiescence checks (convergence, no-silent-loss) never ran"
    return None


def run(args) -> int:
    monitor = replay(args.trace, _Coverage())
    total = sum(monitor.counts.values())
    why = inconclusive(monitor)
    if args.json:
        print(json.dumps({"trace": args.trace, "violations": monitor.counts,
                          "chart_gaps": monitor.lifecycle.total, "examples": monitor.first,
                          "inconclusive": why}, indent=2))
    else:
        print(f"trace {args.trace}: {total} violation(s), {monitor.lifecycle.total} chart gap(s)")
        for inv in INVARIANTS:
            ex = monitor.first.get(inv)
            tail = f"   first at t={ex['t']:g}s (record {ex['seq']}): {ex['detail']}" if ex else ""
            print(f"  {inv:<15} {monitor.counts[inv]:>6}{tail}")
    if why is not None:
        print(f"ssesim check-trace: inconclusive: {args.trace}: {why}", file=sys.stderr)
    if total:
        return 1
    return INCONCLUSIVE if why is not None else 0
