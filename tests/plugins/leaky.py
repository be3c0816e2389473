"""A planted bug for the ``isolation`` checker: a seed that also shows every other session's messages.

It stands for a client that subscribes to the wrong channel: the events of every session reach every
client of the run. Strategies of one run are built in client order, so client 0's constructor starts
a fresh record of what the run's events carried; each SSE event then adds, after the client's own
session, every message the events of the other sessions have carried so far.
"""

from __future__ import annotations

from typing import ClassVar

from model.strategies import Seed


class Leaky(Seed):
    name = "leaky"
    _carried: ClassVar[dict[str, int]] = {}  # session -> messages its events carried so far, run-wide

    def __init__(self, client, session, options, max_message_length):
        super().__init__(client, session, options, max_message_length)
        if client == 0:
            Leaky._carried = {}

    def on_event(self, t, event):
        effects = super().on_event(t, event)
        carried = Leaky._carried
        carried[event.session] = max(carried.get(event.session, 0), event.hi)
        canon, optimistic, flags = self.view
        leaked = tuple((name, 0, n) for name, n in sorted(carried.items())
                       if name != self.session.name and n)
        self.view = (canon + leaked, optimistic, flags)
        return effects
