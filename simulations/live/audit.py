"""Server records inferred from the wire, for a server that ssesim cannot observe (``--target``).

The checkers need the server's side of the trace (``commit``, ``flags``): which messages it holds, in
which order, for which send. Against another server, ``Auditor`` writes them when a client first
learns them (from an SSE event, a POST answer, or the snapshot read before each quiescence check),
before the client's records that show them. A message stands for the send named by its ``send`` tag
when the server echoes it, else for the send of its client message id, else for a send of the same
session with the same content (the earliest not yet seen committed). A message never seen (a delta
after a gap) is recorded as committed by nobody.
"""

from __future__ import annotations

from model.observe import Observer


class _Known:
    __slots__ = ("flags", "senders", "sends", "version")

    def __init__(self):
        self.sends: list = []
        self.senders: list[str] = []
        self.version = 0
        self.flags = (False, False)


class Auditor:
    def __init__(self, obs: Observer, side):
        self.obs, self.side = obs, side
        self.known: dict[str, _Known] = {}
        self.committed: dict[int, int] = {}

    def learn(self, t: float, event: tuple, messages) -> None:
        """A client learned the state ``event`` (with ``messages``): record what is new."""
        session, version, _lo, count, typing, processing, _snap = event
        k = self.known.setdefault(session, _Known())
        if version < k.version:
            return  # older than what is known already
        by_index = {m.index: m for m in messages}
        for i in range(len(k.sends), count):
            m = by_index.get(i)
            sender = m.sender if m is not None else "system"
            send = self._send_of(session, m) if m is not None and m.sender == "user" else None
            k.sends.append(send)
            k.senders.append(sender)
            if send is not None:
                self.committed[send] = self.committed.get(send, 0) + 1
            self.obs.commit(t, session, i, send, sender, version, typing, processing)
            k.flags, k.version = (typing, processing), version
        if version > k.version or (typing, processing) != k.flags:
            k.flags, k.version = (typing, processing), version
            self.obs.flags(t, session, version, typing, processing)

    def _send_of(self, session: str, m):
        side = self.side
        clients = {h.index for h in side.clients if h.session == session}
        if m.send is not None and 0 <= m.send < len(side.sends) and side.sends[m.send][0] in clients:
            return m.send
        if m.cmid is not None and m.cmid in side.cmids:
            return side.cmids[m.cmid]
        same = [s for s, (c, content) in enumerate(side.sends) if c in clients and content == m.content]
        for s in same:
            if not self.committed.get(s):
                return s
        return same[0] if same else None
