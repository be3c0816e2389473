"""Copies and keys of a ``Monitor`` for the exhaustive explorer, which branches on the checker's state
and deduplicates states by it: both derived from the declarations below (``model.explored``)."""

from __future__ import annotations

from model.checkers.mirror import Mirror
from model.checkers.monitor import Monitor
from model.explored import COPY, COPY2, ITEMS, OUT, PART, SORTED, TUPLE, derive, field
from model.gaps import Lifecycle

_METRIC = "a metric or an example for the report; no invariant reads it"
_TIME = "a time, for the metrics; the untimed explorer has none"
_MIRROR = "mirrors the sessions' logs and flags, which the world's key holds"

Monitor.EXPLORED = {  # type: ignore[attr-defined]
    "client_session": field(key=OUT, why="configuration, the same in every state"),
    "sometimes": field(key=OUT, why="the vacuity guard's witnesses: one set shared by every branch"),
    "counts": field(COPY, OUT, "episodes already reported: the explorer compares the counts "
                               "before and after each step"),
    "first": field(COPY, OUT, _METRIC),
    "seq": field(key=OUT, why="an observation counter for the examples"),
    "committed": field(key=OUT, why=_METRIC), "converged": field(key=OUT, why=_METRIC),
    "posts": field(key=OUT, why=_METRIC), "sends": field(key=OUT, why=_METRIC),
    "errors_shown": field(key=OUT, why=_METRIC), "unconfirmed_n": field(key=OUT, why=_METRIC),
    "sse_bytes": field(key=OUT, why=_METRIC), "sse_events": field(key=OUT, why=_METRIC),
    "view_changes": field(key=OUT, why=_METRIC),
    "flicker_time": field(key=OUT, why=_TIME), "diverged_time": field(key=OUT, why=_TIME),
    "last_send_t": field(key=OUT, why=_TIME), "quiescent_t": field(key=OUT, why=_TIME),
    "end_t": field(key=OUT, why=_TIME),
    "confirm_times": field(COPY, OUT, _TIME),
    "since": field(COPY, OUT, _TIME),
    "shown": field(COPY, OUT, "when each send was first shown: read for the confirm-time metric "
                              "and to tell a first showing from a reappearance, which gone holds"),
    "confirmed": field(COPY, OUT, "gates the lifecycle census and the confirm-time metric only"),
    "send_client": field(COPY, OUT, "each send's client, fixed by the scenario"),
    "lifecycle": field(PART, OUT, "the lifecycle gap census: no invariant reads it"),
    "mirrors": field(PART, OUT, _MIRROR),
    "own": field(PART, OUT, _MIRROR),
    "views": field(COPY, TUPLE),
    "cnt": field(COPY2, "method:_key_cnt"),
    "gone": field(COPY2, "method:_key_gone"),
    "maxv": field(COPY, TUPLE),
    "in_order": field(COPY, TUPLE),
    "failed": field(COPY, SORTED),
    "commits": field(COPY, ITEMS),
    "ghosted": field(COPY, SORTED),
    "unresolved": field(COPY, SORTED),
    "q_opt": field(COPY, TUPLE),
    "q_equal": field(COPY, TUPLE),
}
Mirror.EXPLORED = {  # type: ignore[attr-defined]
    "name": field(), "clients": field(key=OUT, why="configuration"),
    "sends": field(COPY, TUPLE), "flags": field(), "version": field(),
    "desc": field(COPY2, ITEMS), "last": field(COPY2, ITEMS), "full": field(),
}
Lifecycle.EXPLORED = {  # type: ignore[attr-defined]
    "table": field(key=OUT, why="configuration"), "initial": field(key=OUT, why="configuration"),
    "pairs": field(key=OUT, why="configuration"),
    "state": field(COPY), "gaps": field(COPY, OUT, _METRIC), "examples": field(COPY, OUT, _METRIC),
}


def _key_cnt(self, K=None) -> tuple:
    return tuple([tuple(sorted([(s, n) for s, n in c.items() if n])) if c else () for c in self.cnt])


def _key_gone(self, K=None) -> tuple:
    return tuple([tuple(sorted(g)) if g else () for g in self.gone])


Monitor._key_cnt, Monitor._key_gone = _key_cnt, _key_gone  # type: ignore[attr-defined]
_copy_monitor, _key_monitor = derive(Monitor, Monitor.EXPLORED)  # type: ignore[attr-defined]
_copy_mirror = derive(Mirror, Mirror.EXPLORED)[0]  # type: ignore[attr-defined]
_copy_lifecycle = derive(Lifecycle, Lifecycle.EXPLORED)[0]  # type: ignore[attr-defined]


def clone_monitor(m: Monitor, share_mirrors: bool = False) -> Monitor:
    """A copy of ``m`` sharing nothing mutable (the explorer branches on it).

    ``share_mirrors``: the copy shares ``m``'s mirrors, which only ``commit`` and ``flags``
    observations change; whoever may deliver one first calls :func:`own_mirrors`."""
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
    return _key_monitor(m, K)
