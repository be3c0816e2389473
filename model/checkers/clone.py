"""Copies and keys of a ``Monitor`` for the exhaustive explorer, which branches on the checker's state
and deduplicates states by it: both derived from the declarations below (``model.explored``)."""

from __future__ import annotations

from model.checkers.mirror import Mirror
from model.checkers.monitor import Monitor
from model.explored import COPY, COPY2, ITEMS, METRIC, OUT, PART, SORTED, TUPLE, derive, field
from model.gaps import Lifecycle

_METRIC = "a metric or an example for the report; no invariant reads it"
_TIME = "a time, for the metrics; the untimed explorer has none"
_CENSUS = ("a metric or example no verdict reads, which the explorer never reports: shared by every "
           "copy (METRIC), written in place")
_MIRROR = "mirrors the sessions' logs and flags, which the world's key holds"
# A field declared with the default copy rule (SHARE) but written by the checkers is written by
# replacement, never in place (tests/test_explored.py checks that no step changes a parent's value):
# a state shares it with its successors. Copied (COPY) and written in place: the fields written on
# most events (views, cnt, maxv, the lifecycle's states), whose replacement would cost the simulator
# more than their copies cost the explorer, and those that grow with every send of a run (commits,
# send_client, confirmed, the lifecycle's states), whose replacement would cost a simulated run time
# quadratic in its sends. Shared and written in place (METRIC): metrics no verdict reads.

Monitor.EXPLORED = {  # type: ignore[attr-defined]
    "client_session": field(key=OUT, why="configuration, the same in every state"),
    "sometimes": field(key=OUT, why="the vacuity guard's witnesses: one set shared by every branch"),
    "counts": field(key=OUT, why="episodes already reported: the explorer compares the counts "
                                 "before and after each step"),
    "first": field(METRIC, OUT, "each invariant's first example: " + _CENSUS + " (a counterexample's "
                                "examples come from its replay)"),
    "seq": field(key=OUT, why="an observation counter for the examples"),
    "committed": field(key=OUT, why=_METRIC), "converged": field(key=OUT, why=_METRIC),
    "posts": field(key=OUT, why=_METRIC), "sends": field(key=OUT, why=_METRIC),
    "errors_shown": field(key=OUT, why=_METRIC), "unconfirmed_n": field(key=OUT, why=_METRIC),
    "sse_bytes": field(key=OUT, why=_METRIC), "sse_events": field(key=OUT, why=_METRIC),
    "view_changes": field(key=OUT, why=_METRIC),
    "flicker_time": field(key=OUT, why=_TIME), "diverged_time": field(key=OUT, why=_TIME),
    "last_send_t": field(key=OUT, why=_TIME), "quiescent_t": field(key=OUT, why=_TIME),
    "end_t": field(key=OUT, why=_TIME),
    "confirm_times": field(key=OUT, why=_TIME + " (each copy starts an empty list: clone_monitor)"),
    "since": field(METRIC, OUT, "when each client's view began to differ from the server, for the "
                                "divergence time only: " + _CENSUS),
    "shown": field(METRIC, OUT, "when each send was first shown, read for the confirm-time metric "
                                "only (whether _shown counts a flicker is gone's): " + _CENSUS),
    "confirmed": field(COPY, OUT, "gates the lifecycle census and the confirm-time metric only"),
    "send_client": field(COPY, OUT, "each send's client, fixed by the scenario"),
    "lifecycle": field(PART, OUT, "the lifecycle gap census: no invariant reads it"),
    "mirrors": field(PART, OUT, _MIRROR),
    "own": field(PART, OUT, _MIRROR),
    # Per client (a client of a symmetry group is keyed in its group's block instead: client_key).
    "views": field(COPY, "method:_key_views"),
    "cnt": field(COPY2, "method:_key_cnt"),
    "gone": field(key="method:_key_gone"),
    "gone_owned": field(key=OUT, why="whether gone is this copy's alone (copy on write): cleared on "
                                     "both a copy and its original (clone_monitor)"),
    "maxv": field(COPY, "method:_key_maxv"),
    "in_order": field(key="method:_key_in_order"),
    "q_opt": field(key="method:_key_q_opt"),
    "q_equal": field(key="method:_key_q_equal"),
    # Per send: an exploration that prunes keys only the entries of sends that can still change a
    # verdict (K.live; README: What the explored state is, and what its key leaves out).
    "failed": field(key="method:_key_failed"),
    "ghosted": field(key="method:_key_ghosted"),
    "commits": field(COPY, OUT, "determined by the keyed fields: how often each send's message is "
                                "in the sessions' logs"),
    "unresolved": field(key=SORTED),
}
Mirror.EXPLORED = {  # type: ignore[attr-defined]
    "name": field(), "clients": field(key=OUT, why="configuration"),
    "sends": field(COPY, TUPLE), "flags": field(), "version": field(),
    "desc": field(COPY2, ITEMS), "last": field(COPY2, ITEMS), "full": field(),
}
Lifecycle.EXPLORED = {  # type: ignore[attr-defined]
    "table": field(key=OUT, why="configuration"), "initial": field(key=OUT, why="configuration"),
    "pairs": field(key=OUT, why="configuration"),
    "state": field(COPY),
    "gaps": field(METRIC, OUT, "the gap census: " + _CENSUS),
    "examples": field(METRIC, OUT, "the gaps' examples: " + _CENSUS),
}


class _Whole:
    """The key functions' options when none are given: everything keyed, no symmetry."""

    grouped: frozenset = frozenset()
    live = None
    views = True
    quiet = True


_WHOLE = _Whole()


def _ungrouped(values: list, K) -> tuple:
    grouped = K.grouped
    if not grouped:
        return tuple(values)
    return tuple([v for c, v in enumerate(values) if c not in grouped])


def _cnt(c: dict) -> tuple:
    return tuple(sorted([(s, n) for s, n in c.items() if n])) if c else ()


def _gone(m: Monitor, g: dict, K) -> tuple:
    # A send's "gone" is read only when the send shows again in that client's view: as a canonical
    # message (it is committed) or as an optimistic entry (only an undecided send, K.live, gets one).
    if not g:
        return ()
    live = K.live
    if live is None:
        return tuple(sorted(g))
    commits = m.commits
    return tuple(sorted([s for s in g if s in live or s in commits]))


def _key_views(self, K) -> tuple:
    # Each client's view as last reported equals its strategy's view, keyed with the strategy
    # (K.views False) unless the strategy keys itself.
    return _ungrouped(self.views, K) if K.views else ()


def _key_cnt(self, K) -> tuple:
    return _ungrouped([_cnt(c) for c in self.cnt], K)


def _key_gone(self, K) -> tuple:
    return _ungrouped([_gone(self, g, K) for g in self.gone], K)


def _key_maxv(self, K) -> tuple:
    return _ungrouped(self.maxv, K)


def _key_in_order(self, K) -> tuple:
    return _ungrouped(self.in_order, K)


# What the last quiescence check saw is read only by the end-of-run check, which follows a
# quiescence check in the same step unless the system was quiescent before it (K.quiet).
def _key_q_opt(self, K) -> tuple:
    return _ungrouped(self.q_opt, K) if K.quiet else ()


def _key_q_equal(self, K) -> tuple:
    return _ungrouped(self.q_equal, K) if K.quiet else ()


def _only_live(sends, K) -> tuple:
    """The sends of ``sends`` that are still live (``K.live``; None: every send), sorted."""
    if not sends:
        return ()
    live = K.live
    return tuple(sorted(sends if live is None else [s for s in sends if s in live]))


def _key_failed(self, K) -> tuple:
    # Read only when the send commits (no-ghost): a send that can no longer commit, fail or be
    # posted again (not in K.live) never reads it.
    return _only_live(self.failed, K)


def _key_ghosted(self, K) -> tuple:
    # Read only when the send commits or is shown failed, which only a send in K.live can.
    return _only_live(self.ghosted, K)


for _name, _method in (("_key_views", _key_views), ("_key_cnt", _key_cnt), ("_key_gone", _key_gone),
                       ("_key_maxv", _key_maxv), ("_key_in_order", _key_in_order),
                       ("_key_q_opt", _key_q_opt), ("_key_q_equal", _key_q_equal),
                       ("_key_failed", _key_failed), ("_key_ghosted", _key_ghosted)):
    setattr(Monitor, _name, _method)
_copy_monitor, _key_monitor = derive(Monitor, Monitor.EXPLORED)  # type: ignore[attr-defined]
_copy_mirror = derive(Mirror, Mirror.EXPLORED)[0]  # type: ignore[attr-defined]
_copy_lifecycle = derive(Lifecycle, Lifecycle.EXPLORED)[0]  # type: ignore[attr-defined]


def clone_monitor(m: Monitor, share_mirrors: bool = False) -> Monitor:
    """A copy of ``m`` sharing nothing mutable (the explorer branches on it).

    ``share_mirrors``: the copy shares ``m``'s mirrors, which only ``commit`` and ``flags``
    observations change; whoever may deliver one first calls :func:`own_mirrors`."""
    m.gone_owned = False  # both share gone now: the first to write it copies it (ViewChecks._own_gone)
    new = _copy_monitor(m)
    if not share_mirrors:
        own_mirrors(new)
    new.confirm_times = []
    new.lifecycle = _copy_lifecycle(m.lifecycle)
    return new


def own_mirrors(m: Monitor) -> None:
    """Give ``m`` mirrors of its own (copies), before an observation may change them."""
    mirrors = {name: _copy_mirror(mi) for name, mi in m.mirrors.items()}
    m.mirrors = mirrors
    m.own = [mirrors[name] for name in m.client_session]


def monitor_key(m: Monitor, K=None) -> tuple:
    """The checker state that decides future verdicts (metrics and examples excluded)."""
    return _key_monitor(m, _WHOLE if K is None else K)


def client_key(m: Monitor, c: int, K) -> tuple:
    """The checkers' state of client ``c``: what ``monitor_key`` leaves out for a grouped client."""
    quiet = K.quiet
    return (m.views[c] if K.views else (), _cnt(m.cnt[c]), _gone(m, m.gone[c], K), m.maxv[c],
            m.in_order[c], m.q_opt[c] if quiet else (), m.q_equal[c] if quiet else True)
