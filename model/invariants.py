"""Online, incremental checkers for the ten invariants of SPEC §3, and the metrics of SPEC §4.

``Monitor`` is an Observer: the simulator feeds it as things happen and ``check-trace`` feeds it
from a recorded trace. It mirrors the server logs from ``commit`` observations, so it needs no access
to the model. Snapshot views are runs over an append-only log, so a full replacement costs only the
messages that changed (fast paths below), never a rescan of the history.
"""

from __future__ import annotations

from collections import Counter

from model.checkers.ids import INVARIANTS, SOMETIMES  # noqa: F401 (re-exported)
from model.gaps import (
    ADD_TO_UI,
    BACKEND_ERROR,
    POST_APPLIES,
    POST_LOGGED,
    RESPONDS_200,
    RETRY,
    SSE_DELIVERS,
    UI_UPDATED,
    USER_SENDS,
    Lifecycle,
)
from model.observe import Observer

EMPTY_VIEW = ((), (), (False, False))


class _Mirror:
    """What the checkers know of one session: which send each committed message stands for, and flags."""

    __slots__ = ("clients", "desc", "flags", "full", "last", "name", "sends", "version")

    def __init__(self, name: str):
        self.name, self.sends, self.flags, self.version = name, [], (False, False), 0
        self.full: tuple = ()  # the canonical runs of a view equal to the whole log
        self.clients: list[int] = []
        self.desc: dict[int, list[int]] = {}  # client -> descents among its own messages in log[:n]
        self.last: dict[int, list[int]] = {}  # client -> its newest own send in log[:n] (-1: none)

    def add_client(self, c: int) -> None:
        self.clients.append(c)
        self.desc[c], self.last[c] = [0], [-1]


def normalize(canon: tuple) -> tuple:
    """Merge adjacent runs and drop empty ones, so equal sequences have equal run tuples."""
    out: list = []
    for s, lo, hi in canon:
        if hi <= lo:
            continue
        if out and out[-1][0] == s and out[-1][2] == lo:
            out[-1] = (s, out[-1][1], hi)
        else:
            out.append((s, lo, hi))
    return tuple(out)


def canon_diff(old: tuple, new: tuple):
    """(added, removed) canonical entries as lists of (session, index); fast for growing snapshots."""
    if old == new:
        return (), ()
    if len(old) == 1 and len(new) == 1:
        (so, lo_o, hi_o), (sn, lo_n, hi_n) = old[0], new[0]
        if so == sn and lo_o == lo_n:
            if hi_n == hi_o + 1:
                return ((sn, hi_o),), ()
            if hi_n >= hi_o:
                return [(sn, i) for i in range(hi_o, hi_n)], ()
            return (), [(sn, i) for i in range(hi_n, hi_o)]
    oc = Counter((s, i) for s, lo, hi in old for i in range(lo, hi))
    nc = Counter((s, i) for s, lo, hi in new for i in range(lo, hi))
    return list((nc - oc).elements()), list((oc - nc).elements())


def opt_changes(old: tuple, new: tuple):
    """(send, +1/-1) changes between two optimistic lists; fast for append, clear and one removal."""
    lo, ln = len(old), len(new)
    if ln == lo + 1 and new[:lo] == old:
        return ((new[-1], 1),)
    if not ln:
        return [(s, -1) for s in old]
    if not lo:
        return [(s, 1) for s in new]
    if ln == lo - 1:
        for i in range(lo):
            if i == ln or old[i] != new[i]:
                if old[i + 1:] == new[i:]:
                    return ((old[i], -1),)
                break
    changes = [(s, k) for s, k in (Counter(new) - Counter(old)).items()]
    return changes + [(s, -k) for s, k in (Counter(old) - Counter(new)).items()]


class Monitor(Observer):
    """All ten invariant checkers plus the run metrics; violations are data (counts + first examples)."""

    # Slots, not a __dict__: more than 30 attributes would leave the instance dict unshared, and every
    # attribute access on the hot path slower.
    __slots__ = ("client_session", "cnt", "commits", "committed", "confirm_times", "confirmed", "converged",
                 "counts", "diverged_time", "end_t", "errors_shown", "failed", "first", "flicker_time",
                 "ghosted", "gone", "in_order", "last_send_t", "lifecycle", "maxv", "mirrors", "own", "posts",
                 "q_equal", "q_opt", "quiescent_t", "send_client", "sends", "seq", "shown", "since", "sometimes", "sse_bytes",
                 "sse_events", "unconfirmed_n", "unresolved", "view_changes", "views")

    def __init__(self):
        self.counts = dict.fromkeys(INVARIANTS, 0)
        self.first: dict[str, dict] = {}
        self.seq = 0
        self.lifecycle = Lifecycle()
        self.sometimes: set[str] = set()  # SOMETIMES properties witnessed (the vacuity guard)
        self.mirrors: dict[str, _Mirror] = {}
        self.client_session: list[str] = []
        self.send_client: dict[int, int] = {}
        self.commits: dict[int, int] = {}
        self.failed: set[int] = set()
        self.ghosted: set[int] = set()
        self.unresolved: set[int] = set()
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
        # per client, sized by config
        self.views: list[tuple] = []
        self.cnt: list[dict[int, int]] = []
        self.gone: list[dict[int, float]] = []
        self.maxv: list[int] = []
        self.in_order: list[bool] = []
        self.since: list[float | None] = []
        self.own: list[_Mirror] = []
        # What the last quiescence check saw, per client: its optimistic sends, and whether its
        # view equalled the server. The end-of-run check counts only what is new since then.
        self.q_opt: list[tuple] = []
        self.q_equal: list[bool] = []

    # --- bookkeeping --------------------------------------------------------------------------
    def _violate(self, inv: str, t: float, detail: str) -> None:
        self.counts[inv] += 1
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
            self.mirrors.setdefault(name, _Mirror(name)).add_client(c)
        self.own = [self.mirrors[name] for name in sessions]  # client -> its session's mirror

    def send(self, t, client, send, content):
        self.seq += 1
        self.sends += 1
        self.send_client[send] = client
        self.unresolved.add(send)
        self.last_send_t = t
        lifecycle = self.lifecycle  # Lifecycle.sent: fire's lookup inline, the call only for a gap
        target = lifecycle.table.get((lifecycle.state.get(send, lifecycle.initial), USER_SENDS))
        if target is None:
            lifecycle.fire(t, self.seq, send, USER_SENDS)
        else:
            lifecycle.state[send] = target

    def post(self, t, client, send, attempt, fault):
        self.seq += 1
        self.posts += 1
        if attempt > 1:
            self.sometimes.add("retry")
            event = RETRY
        else:
            event = ADD_TO_UI
        lifecycle = self.lifecycle  # Lifecycle.posted: fire's lookup inline, the call only for a gap
        target = lifecycle.table.get((lifecycle.state.get(send, lifecycle.initial), event))
        if target is None:
            lifecycle.fire(t, self.seq, send, event)
        else:
            lifecycle.state[send] = target

    def arrive(self, t, client, send, attempt, outcome, status):
        self.seq += 1

    def response(self, t, client, send, attempt, status):
        self.seq += 1
        if 200 <= status < 300:  # Lifecycle.answered, one call fewer
            self.lifecycle.fire2(t, self.seq, send, RESPONDS_200, POST_LOGGED)
        else:
            self.sometimes.add("post-failure")
            self.lifecycle.fire(t, self.seq, send, BACKEND_ERROR)

    def timeout(self, t, client, send, attempt):
        self.seq += 1
        self.sometimes.add("post-failure")
        self.lifecycle.answered(t, self.seq, send, False)

    def deliver(self, t, client, conn, version):
        self.seq += 1

    def disconnect(self, t, client, conn, awaiting):
        self.seq += 1
        if awaiting:
            self.sometimes.add("disconnect-during-post")

    def reconnect(self, t, client, conn, resume):
        self.seq += 1

    def push(self, t, session, client, conn, version, nbytes):
        self.seq += 1
        self.sse_events += 1
        self.sse_bytes += nbytes

    def unconfirmed(self, t, client, send):
        self.seq += 1
        self.unconfirmed_n += 1

    # --- server -------------------------------------------------------------------------------
    def commit(self, t, session, index, send, sender, version, typing, processing):
        self.seq += 1
        m = self.mirrors.get(session) or self.mirrors.setdefault(session, _Mirror(session))
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
            self.unresolved.discard(send)
            if send in self.failed and send not in self.ghosted:
                self.ghosted.add(send)
                self._violate("no-ghost", t, f"send {send} committed after the user was told it failed")
        # _track_session(t, m), where no view can equal the log any more: every entry of a view was
        # looked up in its mirror when it appeared, so no view holds the message just appended.
        since = self.since
        for c in m.clients:
            if since[c] is None:
                since[c] = t

    def flags(self, t, session, version, typing, processing):
        self.seq += 1
        m = self.mirrors.get(session) or self.mirrors.setdefault(session, _Mirror(session))
        m.flags, m.version = (typing, processing), version
        self._track_session(t, m)

    # --- clients ------------------------------------------------------------------------------
    def error(self, t, client, send):
        self.seq += 1
        self.errors_shown += 1
        self.sometimes.add("error-shown")
        self.lifecycle.failed(t, self.seq, send)
        self.failed.add(send)
        self.unresolved.discard(send)
        if self.commits.get(send) and send not in self.ghosted:
            self.ghosted.add(send)
            self._violate("no-ghost", t, f"client {client} shows send {send} failed, but it was committed")

    def apply(self, t, client, version, source):
        self.seq += 1
        if version < self.maxv[client]:
            self._violate("monotonic", t, f"client {client} applied version {version} ({source}) "
                                          f"after version {self.maxv[client]}")
        else:
            self.maxv[client] = version

    def rollback(self, t, client, send, before, after):
        self.seq += 1
        self.sometimes.add("rollback")
        _added, removed = canon_diff(before[0], after[0])
        lost = Counter(before[1]) - Counter(after[1])
        others = [s for s in lost.elements() if s != send]
        if removed or others or lost.get(send, 0) > 1:
            what = [f"message {s}#{i}" for s, i in removed] + [f"optimistic send {s}" for s in others]
            self._violate("no-orphan", t, f"client {client}'s rollback of send {send} also removed "
                                          + ", ".join(what or ["a second entry of the send"]))

    def view(self, t, client, cause, view):
        self.seq += 1
        self.view_changes += 1
        views = self.views
        old = views[client]
        views[client] = view
        canon, opt, flags = view
        ocanon, oopt, oflags = old
        m = self.own[client]
        n = len(canon)
        if n == 1:
            name, lo, hi = canon[0]
            own = name == m.name
        else:
            own = False
        if canon is ocanon or canon == ocanon:
            if cause != "sse" and flags != oflags:
                self._violate("sse-only", t, f"client {client}'s flags changed on a {cause}")
            if opt is not oopt and opt != oopt:
                if not oopt and len(opt) == 1:  # a first optimistic entry: _delta's work, inline
                    self._count(t, client, opt[0], 1)
                else:
                    self._delta(t, client, cause, (), (), oopt, opt)
        elif (own and cause == "sse" and len(ocanon) == 1 and ocanon[0] == (name, lo, hi - 1)
              and (opt is oopt or opt == oopt)):
            # The common delivery: one message appended to a run of the client's own session, the
            # optimistic list unchanged (canon_diff, _added and _count for it, inline).
            send = m.sends[hi - 1]
            if send is not None:
                if send not in self.confirmed and self.send_client.get(send) == client:
                    self._confirm(t, client, cause, send)
                cnt = self.cnt[client]
                before = cnt.get(send, 0)
                cnt[send] = before + 1
                if before == 0:
                    if send in self.gone[client] or send not in self.shown:
                        self._shown(t, client, send)
                elif before == 1:
                    self._violate("no-duplicate", t, f"client {client} shows send {send} twice")
        else:
            added, removed = canon_diff(ocanon, canon)
            if cause != "sse":
                if added or removed or normalize(ocanon) != normalize(canon):
                    self._violate("sse-only", t, f"client {client}'s canonical state changed on a {cause}")
                elif flags != oflags:
                    self._violate("sse-only", t, f"client {client}'s flags changed on a {cause}")
            if added or removed or (opt is not oopt and opt != oopt):
                self._delta(t, client, cause, added, removed, oopt, opt)
        # _ordered's fast path inline: a prefix of the client's own session's log, then optimistic
        if own and lo == 0:
            if m.desc[client][hi]:
                ordered = False
            elif opt:
                if len(opt) == 1:  # _opt_ordered for one entry, inline: every send's view
                    send = opt[0]
                    ordered = not (send < m.last[client][hi] and self.send_client.get(send) == client)
                else:
                    ordered = self._opt_ordered(client, opt, m.last[client][hi])
            else:
                ordered = True
        else:
            ordered = self._ordered(client, canon, opt, m)
        in_order = self.in_order
        if not ordered and in_order[client]:
            self._violate("send-order", t, f"client {client}'s own messages are out of send order")
        in_order[client] = ordered
        # _track, inline
        equal = (not opt and flags == m.flags
                 and (canon == m.full or ((n > 1 or (n == 1 and hi <= lo)) and normalize(canon) == m.full)))
        since = self.since
        began = since[client]
        if equal:
            if began is not None:
                self.diverged_time += t - began
                since[client] = None
        elif began is None:
            since[client] = t

    def _delta(self, t, client, cause, added, removed, oopt, opt) -> None:
        """Count changes per send from the canonical entries added and removed and the optimistic
        list's change; each send's net change is counted once, in first-touched order."""
        delta: dict[int, int] = {}
        m = self.own[client]
        for s, i in added:
            send = self._added(t, client, cause, s, i, m)
            if send is not None:
                delta[send] = delta.get(send, 0) + 1
        if removed:
            mirrors = self.mirrors
            for s, i in removed:
                send = mirrors[s].sends[i] if s in mirrors else None
                if send is not None:
                    delta[send] = delta.get(send, 0) - 1
        if opt is not oopt and opt != oopt:
            if not opt:  # cleared and appended to: the common cases, without opt_changes' list
                for send in oopt:
                    delta[send] = delta.get(send, 0) - 1
            elif not oopt and len(opt) == 1:
                send = opt[0]
                delta[send] = delta.get(send, 0) + 1
            else:
                for send, d in opt_changes(oopt, opt):
                    delta[send] = delta.get(send, 0) + d
        for send, d in delta.items():
            if d:
                self._count(t, client, send, d)

    def _added(self, t, client, cause, s, i, m):
        """Canonical message ``s#i`` appeared in the client's view: isolation, confirmation; its send.
        ``m``: the mirror of the client's own session."""
        if s == m.name:
            send = m.sends[i]
        else:
            self._violate("isolation", t, f"client {client} (session {m.name}) shows message {s}#{i}")
            mirrors = self.mirrors
            send = mirrors[s].sends[i] if s in mirrors else None
        if send is not None and send not in self.confirmed and self.send_client.get(send) == client:
            self._confirm(t, client, cause, send)
        return send

    def _confirm(self, t, client, cause, send) -> None:
        """The client's own ``send`` shows as canonical for the first time."""
        self.confirmed.add(send)
        lifecycle = self.lifecycle
        if cause == "sse":  # Lifecycle.confirmed, one call fewer
            if lifecycle.state.get(send) == "POSTSending":
                self.sometimes.add("sse-before-response")
            lifecycle.fire2(t, self.seq, send, SSE_DELIVERS, UI_UPDATED)
        else:
            lifecycle.fire(t, self.seq, send, POST_APPLIES)
        if send in self.shown:
            self.confirm_times.append(t - self.shown[send])

    def _count(self, t, client, send, d) -> None:
        """The client's view shows ``d`` more entries of ``send``: duplicates, flicker, first shown."""
        cnt = self.cnt[client]
        before = cnt.get(send, 0)
        after = before + d
        cnt[send] = after
        if after >= 2 and before <= 1:
            self._violate("no-duplicate", t, f"client {client} shows send {send} twice")
        if before == 0 and after > 0:
            self._shown(t, client, send)
        elif after == 0 and before > 0:
            self.gone[client][send] = t

    def _shown(self, t, client, send) -> None:
        """``send`` is in the client's view again (flicker, if it had gone) or for the first time."""
        gone = self.gone[client]
        if send in gone:
            self.flicker_time += t - gone.pop(send)
            self._violate("no-flicker", t, f"send {send} reappeared in client {client}'s view")
        elif send not in self.shown and self.send_client.get(send) == client:
            self.shown[send] = t

    def _ordered(self, client, canon, opt, m) -> bool:
        """Are the client's own entries in send order? ``m``: the mirror of the client's session."""
        owner = self.send_client
        last = -1
        if len(canon) == 1 and canon[0][1] == 0 and canon[0][0] == m.name:
            hi = canon[0][2]
            if m.desc[client][hi]:
                return False
            last = m.last[client][hi]
        else:
            for s, lo, hi in canon:
                sends = self.mirrors[s].sends if s in self.mirrors else ()
                for i in range(lo, hi):
                    send = sends[i]
                    if send is not None and owner.get(send) == client:
                        if send < last:
                            return False
                        last = send
        return self._opt_ordered(client, opt, last)

    def _opt_ordered(self, client, opt, last) -> bool:
        """Do the client's optimistic entries keep send order after its newest canonical one, ``last``?"""
        owner = self.send_client
        for send in opt:
            if owner.get(send) == client:
                if send < last:
                    return False
                last = send
        return True

    def _equal(self, client) -> bool:
        canon, opt, flags = self.views[client]
        m = self.own[client]
        if opt or flags != m.flags:
            return False
        return canon == m.full or normalize(canon) == m.full

    def _track_session(self, t, m) -> None:
        """Divergence timing of every client of ``m``'s session (``_equal``, inline: a commit's path)."""
        views, since = self.views, self.since
        full, mflags = m.full, m.flags
        for c in m.clients:
            canon, opt, flags = views[c]
            n = len(canon)
            equal = (not opt and flags == mflags
                     and (canon == full or ((n > 1 or (n == 1 and canon[0][2] <= canon[0][1]))
                                            and normalize(canon) == full)))
            began = since[c]
            if equal:
                if began is not None:
                    self.diverged_time += t - began
                    since[c] = None
            elif began is None:
                since[c] = t

    # --- quiescence and end -------------------------------------------------------------------
    def quiescent(self, t):
        """The system has just *become* quiescent (SPEC §3): the quiescence checks, in full."""
        self.seq += 1
        self.quiescent_t = t
        self._quiescence_checks(t, False)

    def _quiescence_checks(self, t, only_new: bool) -> None:
        """convergence, no-orphan and no-silent-loss; ``only_new`` counts only episodes that began
        since the last check (a client that has since stopped matching the server, an optimistic
        entry that has since appeared): the end of a run on an input that left the system
        quiescent, where the SPEC's instants of becoming quiescent have all been checked."""
        converged = True
        own, q_opt, q_equal = self.own, self.q_opt, self.q_equal
        for c, (canon, opt, flags) in enumerate(self.views):
            m = own[c]  # _equal(c), inline
            equal = not (opt or flags != m.flags or (canon != m.full and normalize(canon) != m.full))
            if not equal:
                converged = False
                if not (only_new and not q_equal[c]):
                    self._violate("convergence", t,
                                  f"client {c}'s view differs from the server at quiescence")
            for send in opt:
                if not (only_new and send in q_opt[c]):
                    self._violate("no-orphan", t, f"client {c} still shows send {send} as "
                                                  "optimistic at quiescence")
            q_equal[c], q_opt[c] = equal, opt
        if not only_new:
            self.converged = converged
        for send in sorted(self.unresolved):
            self._violate("no-silent-loss", t, f"send {send} was never committed and never shown failed")
        self.unresolved.clear()

    def end(self, t, checked):
        self.seq += 1
        if checked:
            self._quiescence_checks(t, True)
        for c, since in enumerate(self.since):
            if since is not None:
                self.diverged_time += t - since
                self.since[c] = None
        self.end_t = t

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


def summarize(sorted_values: list[float]) -> dict:
    """count, mean, p50, p90, p99, max of sorted samples (nearest-rank percentiles); None when empty."""
    n = len(sorted_values)
    if not n:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "p99": None, "max": None}

    def pct(p):
        return round(sorted_values[min(n - 1, max(0, -(-p * n // 100) - 1))], 9)

    return {"count": n, "mean": round(sum(sorted_values) / n, 9), "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": round(sorted_values[-1], 9)}


# --- copying and keys, for the exhaustive explorer ----------------------------------------------
def clone_monitor(m: Monitor) -> Monitor:
    """A copy of ``m`` sharing nothing mutable (the explorer branches on it)."""
    new = object.__new__(Monitor)
    # Immutable values, and what clones share (``client_session``; ``sometimes``: witnessed by any branch).
    (new.client_session, new.committed, new.converged, new.diverged_time, new.end_t, new.errors_shown,
     new.flicker_time, new.last_send_t, new.posts, new.quiescent_t, new.seq, new.sends, new.sometimes,
     new.sse_bytes, new.sse_events, new.unconfirmed_n, new.view_changes) = (
        m.client_session, m.committed, m.converged, m.diverged_time, m.end_t, m.errors_shown,
        m.flicker_time, m.last_send_t, m.posts, m.quiescent_t, m.seq, m.sends, m.sometimes,
        m.sse_bytes, m.sse_events, m.unconfirmed_n, m.view_changes)
    # Mutable state: copies.
    new.counts = dict(m.counts)
    new.first = dict(m.first)
    mirrors = {}
    for name, mi in m.mirrors.items():
        c = object.__new__(_Mirror)
        c.name, c.sends, c.flags, c.version, c.clients = mi.name, list(mi.sends), mi.flags, mi.version, \
            mi.clients
        c.desc = {k: list(v) for k, v in mi.desc.items()}
        c.last = {k: list(v) for k, v in mi.last.items()}
        c.full = mi.full
        mirrors[name] = c
    new.mirrors = mirrors
    new.own = [mirrors[name] for name in m.client_session]
    new.send_client = dict(m.send_client)
    new.commits = dict(m.commits)
    new.failed, new.ghosted, new.unresolved = set(m.failed), set(m.ghosted), set(m.unresolved)
    new.shown, new.confirmed = dict(m.shown), set(m.confirmed)
    new.confirm_times = []
    new.views, new.maxv, new.in_order, new.since = list(m.views), list(m.maxv), list(m.in_order), \
        list(m.since)
    new.q_opt, new.q_equal = list(m.q_opt), list(m.q_equal)
    new.cnt = [dict(c) for c in m.cnt]
    new.gone = [dict(g) for g in m.gone]
    lc = m.lifecycle
    new.lifecycle = object.__new__(type(lc))
    new.lifecycle.__dict__.update(lc.__dict__)
    new.lifecycle.state = dict(lc.state)
    new.lifecycle.gaps = dict(lc.gaps)
    new.lifecycle.examples = dict(lc.examples)
    return new


def monitor_key(m: Monitor) -> tuple:
    """The checker state that decides future verdicts (metrics and examples excluded)."""
    return (tuple(m.views), tuple(tuple(sorted((s, n) for s, n in c.items() if n)) for c in m.cnt),
            tuple(tuple(sorted(g)) for g in m.gone), tuple(m.maxv), tuple(m.in_order),
            tuple(sorted(m.failed)), tuple(sorted(m.commits.items())), tuple(sorted(m.ghosted)),
            tuple(sorted(m.unresolved)), tuple(m.q_opt), tuple(m.q_equal))
