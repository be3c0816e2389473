"""What the checkers know of one session, rebuilt from ``commit`` and ``flags`` observations alone."""

from __future__ import annotations

from typing import ClassVar

from model.checkers.runs import normalize
from model.compiled import mypyc_attr


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class Mirror:
    """One session's log as the checkers see it: which send each committed message stands for, the
    flags and version, and per client the facts about its own sends in each prefix of the log that
    the send-order check needs."""

    __slots__ = ("clients", "desc", "flags", "full", "last", "name", "sends", "version")

    EXPLORED: ClassVar[dict]  # the explored state's declaration, set in model.checkers.clone

    def __init__(self, name: str):
        self.name, self.flags, self.version = name, (False, False), 0
        self.sends: list[int | None] = []
        self.full: tuple = ()  # the canonical runs of a view equal to the whole log
        self.clients: list[int] = []
        self.desc: dict[int, list[int]] = {}  # client -> descents among its own messages in log[:n]
        self.last: dict[int, list[int]] = {}  # client -> its newest own send in log[:n] (-1: none)

    def add_client(self, c: int) -> None:
        self.clients.append(c)
        self.desc[c], self.last[c] = [0], [-1]

    def matches(self, canon: tuple, opt: tuple, flags: tuple) -> bool:
        """Does the view ``(canon, opt, flags)`` equal the session's committed state (SPEC §3,
        ``convergence``): every message in server order, the server's flags, nothing optimistic?"""
        if opt or flags != self.flags:
            return False
        if canon == self.full:
            return True
        n = len(canon)  # only several runs, or an empty one, can spell the whole log differently
        return (n > 1 or (n == 1 and canon[0][2] <= canon[0][1])) and normalize(canon) == self.full
