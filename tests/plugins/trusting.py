"""Plug-ins that read the session through ``SessionView`` beyond their own view (issue 23, item 1).

``TrustsIndexOf`` is ``reconciled`` with a weaker ``holds``: a send counts as held as soon as
``index_of`` knows its id, whether or not the canonical runs hold it. Were ``index_of`` to answer from
the server's ground truth, it would decide sends the client never saw committed, and ``run`` and
``live`` would differ. ``Probe`` is the seed, recording at every event what ``message`` answers for
every index up to 10 (in ``PROBES``: client, the most messages any state it received carried, the
messages committed then (ground truth, read here only to show what a leak would reveal), and
{index: (sender, send, client)}).
"""

from __future__ import annotations

from typing import ClassVar

from model.explored import field
from model.strategies import BUILTIN

PROBES: list = []


class TrustsIndexOf(BUILTIN["reconciled"]):
    name = "trusts-index-of"

    def holds(self, send):
        return self.session.index_of(self.cmid(send)) is not None


class Probe(BUILTIN["seed"]):
    name = "probe"
    seen = 0  # the most messages a state this client received carried (events and response bodies)

    def on_response(self, t, attempt, status, body):
        self.seen = max(self.seen, body.hi)
        return super().on_response(t, attempt, status, body)

    def on_event(self, t, event):
        self.seen = max(self.seen, event.hi)
        answers = {}
        for i in range(10):
            m = self.session.message(i)
            if m is not None:
                answers[i] = (m.sender, m.send, m.client)
        committed = len(self.session._session.log)  # ground truth, for the test's eyes only
        PROBES.append((self.client, self.seen, committed, answers))
        return super().on_event(t, event)

    EXPLORED: ClassVar[dict] = {**BUILTIN["seed"].EXPLORED, "seen": field()}
