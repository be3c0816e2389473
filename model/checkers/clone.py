"""Copies and keys of a ``Monitor`` for the exhaustive explorer, which branches on the checker's state
and deduplicates states by it."""

from __future__ import annotations

from model.checkers.mirror import Mirror
from model.checkers.monitor import Monitor


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
        c = object.__new__(Mirror)
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
