"""The README's worked plug-in strategy: the seed plus versioned events.

Run it as ``python -m simulations run SCENARIO --strategy tests.plugins.example:VersionedSeed``.

``VersionedSeed`` is the seed plus one mechanism from RESEARCH.md: versioned events (an event older
than the newest applied is ignored), which removes A7 (stale overwrite) and nothing else. It uses only
the public API: the ``Strategy`` base and its helpers, and the effect records of ``model.vocab``.
"""

from __future__ import annotations

from model.explored import field
from model.strategies import Strategy
from model.vocab import Post, ShowError


class VersionedSeed(Strategy):
    """The seed's optimistic append, POST and rollback, with full replacement by newer events only."""

    name = "versioned-seed"
    # Every field the strategy adds, declared once: the explorer copies and keys it from this.
    EXPLORED = {**Strategy.EXPLORED, "applied": field()}

    def __init__(self, *args):
        super().__init__(*args)
        self.applied = 0  # the newest version applied; every client starts at the empty state, version 0

    def on_send(self, t, send, content):
        if not self.valid(content):
            return [ShowError(send)]
        self.show_optimistic(send)
        return [Post(send, content)]

    def on_response(self, t, attempt, status, body):
        if 200 <= status < 300:
            return []
        return [self.rollback(attempt.send), ShowError(attempt.send)]

    def on_timeout(self, t, attempt):
        return [self.rollback(attempt.send), ShowError(attempt.send)]

    def on_event(self, t, event):
        if event.version <= self.applied:
            return []
        self.applied = event.version
        return [self.replace_view(event)]
