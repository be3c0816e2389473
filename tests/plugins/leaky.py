"""A planted bug for the ``isolation`` checker: a seed that also shows every other session's messages.

It stands for a client that subscribes to the wrong channel. Strategies of one run are built in client
order, so client 0's constructor starts a fresh peer list; each SSE event then adds, after the client's
own session, every message committed so far in the other sessions of the run.
"""

from __future__ import annotations

from typing import ClassVar

from model.strategies import Seed


class Leaky(Seed):
    name = "leaky"
    _peers: ClassVar[list] = []

    def __init__(self, client, session, options, max_message_length):
        super().__init__(client, session, options, max_message_length)
        if client == 0:
            Leaky._peers = []
        Leaky._peers.append(self)

    def on_event(self, t, event):
        effects = super().on_event(t, event)
        canon, optimistic, flags = self.view
        others = {p.session.name: len(p.session.log) for p in Leaky._peers
                  if p.session.name != self.session.name}
        leaked = tuple((name, 0, n) for name, n in sorted(others.items()) if n)
        self.view = (canon + leaked, optimistic, flags)
        return effects
