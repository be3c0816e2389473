"""A planted bug for the ``no-orphan`` checker: a seed whose rollback clears every optimistic entry."""

from __future__ import annotations

from model.strategies import Seed


class GreedyRollback(Seed):
    name = "greedy-rollback"

    def remove_entry(self, send):
        canon, _optimistic, flags = self.view
        self.view = (canon, (), flags)
