"""The online, incremental checker of the ten invariants of SPEC §3 and the metrics of SPEC §4.

``Monitor`` is an Observer: the simulator feeds it as things happen and ``check-trace`` feeds it
from a recorded trace. It mirrors the server logs from ``commit`` observations, so it needs no access
to the model. Snapshot views are runs over an append-only log, so a full replacement costs only the
messages that changed (fast paths), never a rescan of the history. This module holds the checker's
state, its bookkeeping, the checks made on sends, commits, errors, applied states and rollbacks, and
the metrics; the view-change and quiescence checks are its two bases.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from model.checkers.ids import INVARIANTS
from model.checkers.mirror import Mirror
from model.checkers.runs import EMPTY_VIEW, canon_diff
from model.checkers.view_checks import ViewChecks
from model.compiled import mypyc_attr
from model.gaps import (
    ADD_TO_UI,
    BACKEND_ERROR,
    POST_LOGGED,
    RESPONDS_200,
    RETRY,
    USER_SENDS,
    Lifecycle,
)

_NONE: frozenset = frozenset()


@mypyc_attr(allow_interpreted_subclasses=True)
class Monitor(ViewChecks):
    """All ten invariant checkers plus the run metrics; violations are data (counts + first examples).

    The checks run on view changes live in ``ViewChecks``, those at quiescence in ``QuiescenceChecks``;
    this class holds the state they share and the checks of the other observations."""

    # Slots, not a __dict__: more than 30 attributes would leave the instance dict unshared, and every
    # attribute access on the hot path slower.
    __slots__ = ("client_session", "cnt", "commits", "committed", "confirm_times", "confirmed", "converged",
                 "counts", "diverged_time", "end_t", "errors_shown", "failed", "first", "flicker_time",
                 "ghosted", "gone", "gone_owned", "in_order", "last_send_t", "lifecycle", "maxv", "mirrors", "own", "posts",
                 "q_equal", "q_opt", "quiescent_t", "send_client", "sends", "seq", "shown", "since",
                 "sometimes", "sse_bytes", "sse_events", "unconfirmed_n", "unresolved", "view_changes", "views")

    EXPLORED: ClassVar[dict]  # the explored state's declaration, set in model.checkers.clone

    def __init__(self):
        self.counts = dict.fromkeys(INVARIANTS, 0)
        self.first: dict[str, dict] = {}
        self.seq = 0
        self.lifecycle = Lifecycle()
        self.sometimes: set[str] = set()  # SOMETIMES properties witnessed (the vacuity guard)
        self.mirrors: dict[str, Mirror] = {}
        self.client_session: list[str] = []
        self.send_client: dict[int, int] = {}
        # Per send. failed, ghosted and unresolved (few sends each), and the counts above, are
        # written by replacement, never in place: a state shares them with its successors in the
        # explorer (model.checkers.clone). The others grow with every send of a run, so that a write
        # by replacement would cost the simulator a copy of them each time.
        self.commits: dict[int, int] = {}
        self.failed: frozenset[int] = _NONE
        self.ghosted: frozenset[int] = _NONE
        self.unresolved: tuple[int, ...] = ()  # in send order
        self.shown: dict[int, float] = {}
        self.confirmed: set[int] = set()
        self.confirm_times: list[float] = []
        self.sends = self.committed = self.posts = self.errors_shown = self.unconfirmed_n = 0
        self.sse_bytes = self.sse_events = self.view_changes = 0
        self.flicker_time = self.diverged_time = 0.0
        self.last_send_t: float | None = None
        self.quiescent_t: float | None = None
        self.end_t: float | None = None
        self.converged = True
        # per client, sized by config; in_order, q_opt and q_equal are written by replacement, gone in
        # place once owned (copy on write, gone_owned), the others (written on most events) in place
        self.views: list[tuple] = []
        self.cnt: list[dict[int, int]] = []
        self.gone: list[dict[int, float]] = []
        # Whether gone (the list and each client's dict) is this monitor's alone: a copy shares it with
        # its original (clone_monitor clears the flag on both); the first write after takes a copy.
        self.gone_owned = True
        self.maxv: list[int] = []
        self.in_order: list[bool] = []
        self.since: list[float | None] = []
        self.own: list[Mirror] = []
        # What the last quiescence check saw, per client: its optimistic sends, and whether its
        # view equalled the server. The end-of-run check counts only what is new since then.
        self.q_opt: list[tuple] = []
        self.q_equal: list[bool] = []

    # --- bookkeeping --------------------------------------------------------------------------
    def _violate(self, inv: str, t: float, detail: str) -> None:
        counts = self.counts.copy()
        counts[inv] += 1
        self.counts = counts
        if inv not in self.first:
            self.first[inv] = {"t": round(t, 9), "seq": self.seq, "detail": detail}

    def config(self, scenario, strategy, seed, sessions):
        self.seq += 1
        self.client_session = list(sessions)
        n = len(sessions)
        self.views = [EMPTY_VIEW] * n
        self.cnt = [{} for _ in range(n)]
        self.gone = [{} for _ in range(n)]
        self.maxv = [0] * n
        self.in_order = [True] * n
        self.since = [None] * n
        self.q_opt, self.q_equal = [()] * n, [True] * n
        for c, name in enumerate(sessions):
            self.mirrors.setdefault(name, Mirror(name)).add_client(c)
        self.own = [self.mirrors[name] for name in sessions]  # client -> its session's mirror

    def send(self, t: float, client, send, content):
        self.seq += 1
        self.sends += 1
        self.send_client[send] = client
        self.unresolved = (*self.unresolved, send)
        self.last_send_t = t
        lifecycle = self.lifecycle  # Lifecycle.fire(USER_SENDS) with its lookup inline; the call only for a gap
        target = lifecycle.table.get((lifecycle.state.get(send, lifecycle.initial), USER_SENDS))
        if target is None:
            lifecycle.fire(t, self.seq, send, USER_SENDS)
        else:
            lifecycle.state[send] = target

    def post(self, t: float, client, send, attempt, fault):
        self.seq += 1
        self.posts += 1
        if attempt > 1:
            self.sometimes.add("retry")
            event = RETRY
        else:
            event = ADD_TO_UI
        lifecycle = self.lifecycle  # Lifecycle.fire(event) with its lookup inline; the call only for a gap
        target = lifecycle.table.get((lifecycle.state.get(send, lifecycle.initial), event))
        if target is None:
            lifecycle.fire(t, self.seq, send, event)
        else:
            lifecycle.state[send] = target

    def arrive(self, t: float, client, send, attempt, outcome, status):
        self.seq += 1

    def response(self, t: float, client, send, attempt, status):
        self.seq += 1
        if 200 <= status < 300:  # Lifecycle.answered, one call fewer
            self.lifecycle.fire2(t, self.seq, send, RESPONDS_200, POST_LOGGED)
        else:
            self.sometimes.add("post-failure")
            self.lifecycle.fire(t, self.seq, send, BACKEND_ERROR)

    def timeout(self, t: float, client, send, attempt):
        self.seq += 1
        self.sometimes.add("post-failure")
        self.lifecycle.answered(t, self.seq, send, False)

    def deliver(self, t: float, client, conn, version):
        self.seq += 1

    def disconnect(self, t: float, client, conn, awaiting):
        self.seq += 1
        if awaiting:
            self.sometimes.add("disconnect-during-post")

    def reconnect(self, t: float, client, conn, resume, refused=False):
        self.seq += 1

    def push(self, t: float, session, client, conn, version, nbytes):
        self.seq += 1
        self.sse_events += 1
        self.sse_bytes += nbytes

    def unconfirmed(self, t: float, client, send):
        self.seq += 1
        self.unconfirmed_n += 1

    # --- server -------------------------------------------------------------------------------
    def commit(self, t: float, session, index, send, sender, version, typing, processing):
        self.seq += 1
        m = self.mirrors.get(session) or self.mirrors.setdefault(session, Mirror(session))
        owner = self.send_client.get(send) if send is not None else None
        # The mirror follows the log, inline (every commit): the new message, the whole-log run,
        # and per client the count of descents among its own sends and its newest own send.
        sends = m.sends
        sends.append(send)
        m.full = ((m.name, 0, len(sends)),)
        desc_of, last_of = m.desc, m.last
        for c in m.clients:
            desc, last = desc_of[c], last_of[c]
            if owner == c:
                desc.append(desc[-1] + (send < last[-1]))
                last.append(send)
            else:
                desc.append(desc[-1])
                last.append(last[-1])
        m.version, m.flags = version, (typing, processing)
        if send is not None:
            self.committed += 1
            n = self.commits.get(send, 0) + 1
            self.commits[send] = n
            if n > 1:
                self._violate("no-duplicate", t, f"send {send} committed {n} times (index {index})")
            unresolved = self.unresolved
            if send in unresolved:  # most often the oldest
                self.unresolved = unresolved[1:] if unresolved[0] == send else _without(unresolved, send)
            if send in self.failed and send not in self.ghosted:
                self.ghosted = self.ghosted | {send}
                self._violate("no-ghost", t, f"send {send} committed after the user was told it failed")
        # _track_session(t, m), where no view can equal the log any more: every entry of a view was
        # looked up in its mirror when it appeared, so no view holds the message just appended.
        since = self.since
        for c in m.clients:
            if since[c] is None:
                since[c] = t

    def flags(self, t: float, session, version, typing, processing):
        self.seq += 1
        m = self.mirrors.get(session) or self.mirrors.setdefault(session, Mirror(session))
        m.flags, m.version = (typing, processing), version
        self._track_session(t, m)

    # --- clients ------------------------------------------------------------------------------
    def error(self, t: float, client, send):
        self.seq += 1
        self.errors_shown += 1
        self.sometimes.add("error-shown")
        self.lifecycle.failed(t, self.seq, send)
        self.failed = self.failed | {send}
        if send in self.unresolved:
            self.unresolved = _without(self.unresolved, send)
        if self.commits.get(send) and send not in self.ghosted:
            self.ghosted = self.ghosted | {send}
            self._violate("no-ghost", t, f"client {client} shows send {send} failed, but it was committed")

    def apply(self, t: float, client, version, source):
        self.seq += 1
        if version < self.maxv[client]:
            self._violate("monotonic", t, f"client {client} applied version {version} ({source}) "
                                          f"after version {self.maxv[client]}")
        else:
            self.maxv[client] = version

    def rollback(self, t: float, client, send, before, after):
        self.seq += 1
        self.sometimes.add("rollback")
        _added, removed = canon_diff(before[0], after[0])
        was, now = before[1], after[1]
        if not removed and len(was) == len(now) + 1 and send in was:  # the common case: one entry gone
            i = was.index(send)
            if was[:i] == now[:i] and was[i + 1:] == now[i:]:
                return
        lost = Counter(was) - Counter(now)
        others = [s for s in lost.elements() if s != send]
        if removed or others or lost.get(send, 0) > 1:
            what = [f"message {s}#{i}" for s, i in removed] + [f"optimistic send {s}" for s in others]
            self._violate("no-orphan", t, f"client {client}'s rollback of send {send} also removed "
                                          + ", ".join(what or ["a second entry of the send"]))

    # --- results ------------------------------------------------------------------------------
    def metrics(self) -> dict:
        times = sorted(self.confirm_times)
        convergence_time = None
        if self.converged and self.quiescent_t is not None and self.last_send_t is not None:
            convergence_time = round(max(0.0, self.quiescent_t - self.last_send_t), 9)
        return {
            "posts": self.posts,
            "errors_shown": self.errors_shown,
            "unconfirmed": self.unconfirmed_n,
            "confirm_time": summarize(times),
            "flicker_count": self.counts["no-flicker"],
            "flicker_time": round(self.flicker_time, 9),
            "diverged_time": round(self.diverged_time, 9),
            "view_changes": self.view_changes,
            "rerenders_per_send": round(self.view_changes / self.sends, 6) if self.sends else 0.0,
            "sse_bytes": self.sse_bytes,
            "sse_events": self.sse_events,
            "convergence_time": convergence_time,
        }


def _without(values: tuple, value) -> tuple:
    """``values`` less its one ``value``."""
    i = values.index(value)
    return values[:i] + values[i + 1:]


def summarize(sorted_values: list[float]) -> dict:
    """count, mean, p50, p90, p99, max of sorted samples (nearest-rank percentiles); None when empty."""
    n = len(sorted_values)
    if not n:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "p99": None, "max": None}

    def pct(p):
        return round(sorted_values[min(n - 1, max(0, -(-p * n // 100) - 1))], 9)

    return {"count": n, "mean": round(sum(sorted_values) / n, 9), "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": round(sorted_values[-1], 9)}
