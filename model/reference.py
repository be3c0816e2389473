"""A reference checker: the ten invariants of SPEC §3 evaluated literally over a recorded trace.

Slow and plain on purpose, to check the online ``Monitor`` (its fast paths) and to be read beside the
SPEC. It shares no code with the Monitor. It takes the records of a JSONL trace (``run --trace``,
parsed into dicts; README, *Traces*) and works in two steps:

1. ``rebuild`` replays the records into plain data: every client's views in full (each entry spelled
   out as the message or send it stands for), the server's logs, who sent what, the commits, errors,
   applied versions and rollbacks, and at every quiescence check a snapshot of what then was.
2. One function per invariant reads that data and returns its episodes, following SPEC §3's episode
   definition word for word.

The records are trusted to be well formed (``check-trace`` validates files; this takes what the
simulator writes).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from model.checkers.ids import INVARIANTS


class Entry(NamedTuple):
    """One entry of a view: a committed message ``session#index`` (canonical) or an optimistic send."""

    canonical: bool
    session: str | None
    index: int | None  # type: ignore[assignment]  # shadows tuple.index, as a NamedTuple field may
    send: int | None  # the user send it stands for (None: an assistant message)


class View(NamedTuple):
    """A client's view as the user sees it, after the record ``seq``."""

    seq: int
    t: float
    cause: str
    entries: tuple[Entry, ...]
    flags: tuple[bool, bool]

    def canonical(self) -> list[tuple[str | None, int | None]]:
        return [(e.session, e.index) for e in self.entries if e.canonical]

    def optimistic(self) -> list[int | None]:
        return [e.send for e in self.entries if not e.canonical]

    def per_send(self) -> Counter:
        """How many entries stand for each send (assistant messages stand for none)."""
        return Counter(e.send for e in self.entries if e.send is not None)


class Check(NamedTuple):
    """A quiescence check (a ``quiescent`` record, or an ``end`` record with ``checked``), and what
    then was."""

    seq: int
    t: float
    only_new: bool  # the end check: only episodes begun since the previous check
    views: tuple[View, ...]  # every client's view
    server: dict  # session -> (number of committed messages, (typing, processing))
    committed: frozenset  # sends committed so far
    failed: frozenset  # sends shown failed so far
    sent: tuple  # sends sent so far, in order


class Episode(NamedTuple):
    invariant: str
    seq: int  # the record at which the episode happens
    t: float
    detail: str


@dataclass
class Recording:
    """Everything the invariants read, rebuilt from the records."""

    sessions: list[str] = field(default_factory=list)  # client -> session
    logs: dict[str, list] = field(default_factory=dict)  # session -> send of each committed message
    owner: dict[int, int] = field(default_factory=dict)  # send -> the client that sent it
    commits: list[tuple] = field(default_factory=list)  # (seq, t, session, index, send)
    errors: list[tuple] = field(default_factory=list)  # (seq, t, client, send)
    applies: list[tuple] = field(default_factory=list)  # (seq, t, client, version)
    rollbacks: list[tuple] = field(default_factory=list)  # (seq, t, client, send, before, after)
    views: list[list[View]] = field(default_factory=list)  # per client, from the empty view at t = 0
    checks: list[Check] = field(default_factory=list)


def _view(rec: Recording, seq: int, t: float, cause: str, value: dict) -> View:
    """Spell out a trace view: every canonical run as its messages, every optimistic send."""
    entries = []
    for session, lo, hi in value["canonical"]:
        for i in range(lo, hi):
            entries.append(Entry(True, session, i, rec.logs[session][i]))
    for send in value["optimistic"]:
        entries.append(Entry(False, None, None, send))
    return View(seq, t, cause, tuple(entries), tuple(value["flags"]))


def rebuild(records: Iterable[dict]) -> Recording:
    """Replay the trace records into a ``Recording``."""
    rec = Recording()
    flags: dict[str, tuple] = {}
    sent: list[int] = []
    for r in records:
        kind, seq, t = r["kind"], r["seq"], r["t"]
        if kind == "config":
            rec.sessions = list(r["sessions"])
            for s in rec.sessions:
                rec.logs.setdefault(s, [])
                flags.setdefault(s, (False, False))
            rec.views = [[View(0, 0.0, "start", (), (False, False))] for _ in rec.sessions]
        elif kind == "send":
            rec.owner[r["send"]] = r["client"]
            sent.append(r["send"])
        elif kind == "commit":
            log = rec.logs.setdefault(r["session"], [])
            assert r["index"] == len(log), f"record {seq}: commit index {r['index']}, log has {len(log)}"
            log.append(r["send"])
            flags[r["session"]] = (r["typing"], r["processing"])
            rec.commits.append((seq, t, r["session"], r["index"], r["send"]))
        elif kind == "flags":
            flags[r["session"]] = (r["typing"], r["processing"])
        elif kind == "error":
            rec.errors.append((seq, t, r["client"], r["send"]))
        elif kind == "apply":
            rec.applies.append((seq, t, r["client"], r["version"]))
        elif kind == "view":
            rec.views[r["client"]].append(_view(rec, seq, t, r["cause"], r["view"]))
        elif kind == "rollback":
            rec.rollbacks.append((seq, t, r["client"], r["send"], _view(rec, seq, t, "", r["before"]),
                                  _view(rec, seq, t, "", r["after"])))
        elif kind == "quiescent" or (kind == "end" and r["checked"]):
            rec.checks.append(Check(
                seq, t, kind == "end", tuple(views[-1] for views in rec.views),
                {s: (len(log), flags.get(s, (False, False))) for s, log in rec.logs.items()},
                frozenset(c[4] for c in rec.commits if c[4] is not None),
                frozenset(e[3] for e in rec.errors), tuple(sent)))
    return rec


def _steps(rec: Recording):
    """Every view change: (client, the view before, the view after)."""
    for client, views in enumerate(rec.views):
        for before, after in itertools.pairwise(views):
            yield client, before, after


# --- the ten invariants, as SPEC §3 counts their episodes ------------------------------------------

def sse_only(rec: Recording) -> list[Episode]:
    """One per (step, client) that changes the client's canonical entries or flags in a step that
    delivers no SSE event to it (a view record is one client's change in one step; its cause names
    the step)."""
    return [Episode("sse-only", b.seq, b.t, f"client {c}'s canonical entries or flags changed on a {b.cause}")
            for c, a, b in _steps(rec)
            if b.cause != "sse" and (a.canonical() != b.canonical() or a.flags != b.flags)]


def no_orphan(rec: Recording) -> list[Episode]:
    """One per rollback that removes anything but its own (optimistic) entry; one per optimistic entry
    left at a quiescent instant (at the end check: one not there at the previous check)."""
    out = []
    for seq, t, client, send, before, after in rec.rollbacks:
        removed = Counter(before.entries) - Counter(after.entries)
        own = Counter([Entry(False, None, None, send)])
        if removed and removed != own:
            out.append(Episode("no-orphan", seq, t, f"client {client}'s rollback of send {send} "
                                                    f"removed {sorted(removed.elements(), key=repr)}"))
    previous = None
    for check in rec.checks:
        for client, view in enumerate(check.views):
            left = Counter(view.optimistic())
            if check.only_new and previous is not None:
                left -= Counter(previous.views[client].optimistic())
            for send in left.elements():
                out.append(Episode("no-orphan", check.seq, check.t,
                                   f"client {client} still shows send {send} as optimistic at quiescence"))
        previous = check
    return out


def no_ghost(rec: Recording) -> list[Episode]:
    """One per send that the user was told failed and that the server committed (at the later of the two)."""
    first_error: dict[int, tuple] = {}
    for seq, t, _client, send in rec.errors:
        first_error.setdefault(send, (seq, t))
    first_commit: dict[int, tuple] = {}
    for seq, t, _session, _index, send in rec.commits:
        if send is not None:
            first_commit.setdefault(send, (seq, t))
    return [Episode("no-ghost", *max(first_error[s], first_commit[s]),  # type: ignore[call-arg]
                    f"send {s} shown failed and committed")
            for s in first_error if s in first_commit]


def no_flicker(rec: Recording) -> list[Episode]:
    """One per reappearance of a send's entry in a view: shown, then not shown, then shown again."""
    out = []
    for client, views in enumerate(rec.views):
        shown_before: set[int] = set()  # sends some earlier view of this client showed
        for before, after in itertools.pairwise(views):
            shown_before |= set(before.per_send())
            was = before.per_send()
            for send in sorted(after.per_send()):
                if not was[send] and send in shown_before:
                    out.append(Episode("no-flicker", after.seq, after.t,
                                       f"send {send} reappeared in client {client}'s view"))
    return out


def no_duplicate(rec: Recording) -> list[Episode]:
    """One each time a view starts showing two entries for one send; one per extra commit of a send."""
    out = []
    for client, before, after in _steps(rec):
        was, now = before.per_send(), after.per_send()
        for send in sorted(now):
            if now[send] >= 2 > was[send]:
                out.append(Episode("no-duplicate", after.seq, after.t,
                                   f"client {client} shows send {send} twice"))
    seen: Counter = Counter()
    for seq, t, _session, _index, send in rec.commits:
        if send is not None:
            seen[send] += 1
            if seen[send] > 1:
                out.append(Episode("no-duplicate", seq, t, f"send {send} committed {seen[send]} times"))
    return out


def equals_server(view: View, session: str, server: dict) -> bool:
    """SPEC §3 convergence: the session's committed messages in server order, its flags, nothing
    optimistic."""
    n, flags = server[session]
    return (not view.optimistic() and view.canonical() == [(session, i) for i in range(n)]
            and view.flags == flags)


def convergence(rec: Recording) -> list[Episode]:
    """One per client whose view differs from the server at a quiescent instant (at the end check:
    one that equalled it at the previous check)."""
    out = []
    previous = None
    for check in rec.checks:
        for client, view in enumerate(check.views):
            session = rec.sessions[client]
            if equals_server(view, session, check.server):
                continue
            if check.only_new and previous is not None and not equals_server(
                    previous.views[client], session, previous.server):
                continue
            out.append(Episode("convergence", check.seq, check.t,
                               f"client {client}'s view differs from the server at quiescence"))
        previous = check
    return out


def monotonic(rec: Recording) -> list[Episode]:
    """One per applied state whose version is below the highest the client applied before (0 at t = 0)."""
    out = []
    highest = dict.fromkeys(range(len(rec.sessions)), 0)  # every client starts at version 0
    for seq, t, client, version in rec.applies:
        if version < highest[client]:
            out.append(Episode("monotonic", seq, t, f"client {client} applied version {version} after "
                                                    f"version {highest[client]}"))
        highest[client] = max(highest[client], version)
    return out


def isolation(rec: Recording) -> list[Episode]:
    """One per appearance of another session's message in a view."""
    out = []
    for client, before, after in _steps(rec):
        own = rec.sessions[client]
        appeared = Counter(after.canonical()) - Counter(before.canonical())
        for session, index in appeared.elements():
            if session != own:
                out.append(Episode("isolation", after.seq, after.t,
                                   f"client {client} (session {own}) shows message {session}#{index}"))
    return out


def in_send_order(view: View, client: int, owner: dict) -> bool:
    """Are the client's own entries (canonical and optimistic) in the order their sends were made?
    Send ids increase in send order; two entries of one send are in order."""
    own = [e.send for e in view.entries if e.send is not None and owner.get(e.send) == client]
    return all(a <= b for a, b in itertools.pairwise(own))


def send_order(rec: Recording) -> list[Episode]:
    """One each time a client's own entries go from in order to out of order."""
    return [Episode("send-order", b.seq, b.t, f"client {c}'s own messages are out of send order")
            for c, a, b in _steps(rec)
            if in_send_order(a, c, rec.owner) and not in_send_order(b, c, rec.owner)]


def no_silent_loss(rec: Recording) -> list[Episode]:
    """One per send, at the first quiescent instant at which it was never committed and never shown failed."""
    out, counted = [], set()
    for check in rec.checks:
        for send in check.sent:
            if send not in counted and send not in check.committed and send not in check.failed:
                counted.add(send)
                out.append(Episode("no-silent-loss", check.seq, check.t,
                                   f"send {send} was never committed and never shown failed"))
    return out


CHECKERS = {"sse-only": sse_only, "no-orphan": no_orphan, "no-ghost": no_ghost, "no-flicker": no_flicker,
            "no-duplicate": no_duplicate, "convergence": convergence, "monotonic": monotonic,
            "isolation": isolation, "send-order": send_order, "no-silent-loss": no_silent_loss}
assert tuple(CHECKERS) == INVARIANTS


def episodes(records: Iterable[dict]) -> list[Episode]:
    """Every episode of the ten invariants in the trace, ordered by record."""
    rec = rebuild(records)
    found = [e for check in CHECKERS.values() for e in check(rec)]
    return sorted(found, key=lambda e: (e.seq, INVARIANTS.index(e.invariant)))


def counts(records: Iterable[dict]) -> dict[str, int]:
    """The episode count of each of the ten invariants (all ten, zeros included)."""
    out = dict.fromkeys(INVARIANTS, 0)
    for e in episodes(records):
        out[e.invariant] += 1
    return out
