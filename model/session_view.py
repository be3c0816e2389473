"""What a strategy may read of its session (``SessionView``): what its client has received, and
nothing else (issue 23); ``learn`` keeps that knowledge as a prefix plus runs above it."""

from __future__ import annotations

from model.compiled import mypyc_attr
from model.vocab import Message


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class SessionView:
    """What a client can know of its session: its name and the messages its events and response
    bodies carried to it, nothing else (issue 23: every driver gives a strategy the same view).

    Read-only. ``index_of`` and ``message`` answer only for messages this client has received (None
    otherwise), and a message carries no ground truth: its ``send`` and ``client`` are None, as a
    real client reading the wire would have them. ``session`` is the World's session or a live
    client's replica; ``known``, when given, is what the client has received of the session's log,
    ``[prefix, runs above it]`` (``learn``), a list the World updates in place. Without it, every
    message the session holds is known: a replica holds only what its client learnt.
    """

    __slots__ = ("_known", "_session")

    def __init__(self, session, known: list | None = None):
        self._session = session
        self._known = known

    @property
    def name(self) -> str:
        """The session's name."""
        return self._session.name

    def _knows(self, index: int) -> bool:
        known = self._known
        if known is None:
            log = self._session.log
            return 0 <= index < len(log) and log[index] is not None
        if 0 <= index < known[0]:
            return True
        return any(lo <= index < hi for lo, hi in known[1])

    def index_of(self, cmid: str) -> int | None:
        """The server index of the message committed with client message id ``cmid``, if this
        client has received it; else None."""
        index = self._session.by_cmid.get(cmid)
        return index if index is not None and self._knows(index) else None

    def message(self, index: int) -> Message | None:
        """The message at server index ``index`` if this client has received it (else None):
        ``Message(index, sender, content, cmid, None, None)``."""
        if not self._knows(index):
            return None
        m = self._session.log[index]
        return Message(m.index, m.sender, m.content, m.cmid, None, None)


def learn(prefix: int, more: tuple, lo: int, hi: int) -> tuple[int, tuple]:
    """What a client knows of its session's log, with messages ``lo … hi-1`` added: ``prefix`` (it
    has every message below it) and ``more``, the sorted disjoint ``(lo, hi)`` runs above it (a
    delta that came after a lost one). The World's fast path handles the usual case inline."""
    if hi <= lo:
        return prefix, more
    runs = sorted((*more, (lo, hi)))
    out: list = []
    for a, b in runs:
        if a <= prefix:
            prefix = max(prefix, b)
        elif out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return prefix, tuple(out)
