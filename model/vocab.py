"""The model's vocabulary: every record its parts exchange, named and typed, in one place.

Three families. The records strategies see and make are ``NamedTuple`` s (immutable, hashable, equal to
the plain tuple of their fields, read by field name); a consumer tells the kinds apart by class
(``type(e) is Post``). Driver effects, which only the drivers read, are plain tuples
``(kind, *fields)`` (``DriverEffect``), told apart by their first item (``e[0] is Push``).

**What travels.** ``Event`` is an SSE event and also the body of a POST response (always a
snapshot there); ``Message`` is one committed message of a session's log; ``Attempt`` is one POST
attempt (the one mutable record: the ``World`` tracks its state).

**Strategy effects**, what a client strategy returns from its handlers; ``World`` carries them out
(``model.system``): ``Post``, ``Timer``, ``CancelTimer``, ``Abandon``, ``ShowError``, ``Rollback``,
``Unconfirmed``, ``Apply``, ``Reopen``.

**Driver effects**, what the ``World``'s handlers return: what happens next, for a driver to give a
time (the simulator) or to turn into enabled steps (the explorer): an ``Attempt`` (it leaves the
client), ``Respond``, ``Push``, ``Backoff``, ``Think``, ``Reply``, ``Reconnect``, ``Dropped``.
``Driver`` names one method per kind and ``drive`` is the decoding: the one place that maps a driver
effect to its method.

NamedTuple records made on every event are built with ``tuple.__new__(Kind, (fields...))`` in the hot
paths, which skips the NamedTuple's Python-level ``__new__`` and gives an equal record; driver effects
made on every event are written as the tuple itself, ``(Push, event, conns)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

from model.compiled import mypyc_attr
from model.explored import OUT, derive, field

if TYPE_CHECKING:
    from model.config import Dist


# --- server state -----------------------------------------------------------------------------------
class Message(NamedTuple):
    """One committed message: its index in the session's log, and who and what it stands for."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as a NamedTuple field may
    sender: str  # "user" or "assistant"
    content: str
    cmid: str | None  # the client message id its POST carried, if any
    send: int | None  # ground truth: the user send it stands for (None: the assistant's)
    client: int | None  # the client whose POST committed it


AWAITING, ANSWERED, TIMED_OUT, ABANDONED = range(4)  # an Attempt's states


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class Attempt:
    """One POST attempt of a send: what the client sent, and where it stands.

    Strategies read ``send``, ``n`` (1 for the send's first attempt), ``content``, ``cmid`` and
    ``deadline``. As a driver effect it means: this attempt leaves the client now.
    """

    __slots__ = (
        "client",
        "cmid",
        "content",
        "deadline",
        "fault",
        "id",
        "n",
        "request_latency",
        "response_latency",
        "send",
        "sent_at",
        "state",
    )

    EXPLORED: ClassVar[dict]  # the explored state's declaration (model.explored), set below

    def __init__(self, id, client, send, n, content, cmid, deadline, sent_at):
        self.id, self.client, self.send, self.n = id, client, send, n
        self.content, self.cmid, self.deadline, self.sent_at = content, cmid, deadline, sent_at
        self.fault = None  # drawn when it leaves, unless a scripted send fixed it
        self.request_latency = self.response_latency = None  # scripted overrides (first attempt)
        self.state = AWAITING

    def _key_n(self, K) -> int:
        # Only "first attempt or not" is read (a scripted send's overrides apply to the first).
        return 1 if self.n == 1 else 2


_NO_TIME = "the untimed explorer has no time (SPEC §1.3)"
Attempt.EXPLORED = {  # type: ignore[attr-defined]
    "id": field(key=OUT, why="names the attempt in traces; no handler or checker compares ids"),
    "client": field(), "send": field(),
    "n": field(key="method:_key_n"),
    "content": field(key=OUT, why="fixed by the send: every attempt of a send posts its content"),
    "cmid": field(key=OUT, why="fixed by the client and the send"),
    "deadline": field(key=OUT, why=_NO_TIME + "; whether it is set is fixed by the strategy"),
    "sent_at": field(key=OUT, why=_NO_TIME),
    "fault": field(), "state": field(),
    "request_latency": field(key=OUT, why=_NO_TIME),
    "response_latency": field(key=OUT, why=_NO_TIME),
}
Attempt.copy_fields, Attempt.key_fields = derive(Attempt, Attempt.EXPLORED)  # type: ignore[attr-defined]


class Event(NamedTuple):
    """An SSE event, or a POST response's body: the server state at ``version``.

    It carries the session's messages ``lo … hi-1`` (all of them, ``lo == 0``, when ``snapshot``)
    and the session's flags. A canonical run ``(session, lo, hi)`` names the same messages in a view.
    """

    session: str
    version: int
    lo: int
    hi: int
    typing: bool
    processing: bool
    snapshot: bool

    def runs(self) -> tuple:
        """The canonical runs the event carries: ``((session, lo, hi),)``, or ``()`` when empty."""
        return ((self.session, self.lo, self.hi),) if self.hi > self.lo else ()

    @property
    def flags(self) -> tuple[bool, bool]:
        """``(typing, processing)``, as a view shows them."""
        return (self.typing, self.processing)


# --- strategy effects: a strategy -> the World ------------------------------------------------------
class Post(NamedTuple):
    """Send a POST attempt for ``send`` (a retry when the send already had one)."""

    send: int
    content: str
    cmid: str | None = None  # client message id: the server commits each id once
    deadline: float | None = None  # absolute time after which the server refuses it (expired)


class Timer(NamedTuple):
    """Call the strategy's ``on_retry(send)`` after ``delay`` seconds (one armed timer per send)."""

    send: int
    delay: float


class CancelTimer(NamedTuple):
    """The armed retry timer of ``send`` no longer matters."""

    send: int


class Abandon(NamedTuple):
    """Stop awaiting the outstanding attempt of ``send`` (its answer will be ignored)."""

    send: int


class ShowError(NamedTuple):
    """Show the user an error for ``send``."""

    send: int


class Rollback(NamedTuple):
    """The optimistic entry of ``send`` was removed: the view went from ``before`` to ``after``.

    Made by ``Strategy.rollback(send)``; the checkers judge what it really removed.
    """

    send: int
    before: tuple
    after: tuple


class Unconfirmed(NamedTuple):
    """The entry of ``send`` now shows as unconfirmed (its outcome is not known yet)."""

    send: int


class Apply(NamedTuple):
    """A server state, ``version``, was applied to the view; ``source`` is "sse" or "post"."""

    version: int
    source: str


class Reopen(NamedTuple):
    """Open a new SSE stream (a new EventSource) after ``delay`` seconds, or after the scenario's
    ``sse.reconnect_delay`` when ``delay`` is None (SPEC §2.4 v3.2). Meant for ``on_refused``: an
    EventSource whose reconnect got an HTTP error is closed for good. The new one carries no
    ``Last-Event-ID``, and its connection is itself a reconnect that may be refused."""

    delay: float | None = None


STRATEGY_EFFECTS = (Post, Timer, CancelTimer, Abandon, ShowError, Rollback, Unconfirmed, Apply, Reopen)


# --- driver effects: the World -> the simulator or the explorer -------------------------------------
@mypyc_attr(native_class=False)  # its instances carry __name__ and __doc__, as functions do
class DriverEffect:
    """The kind of a driver effect. A driver effect is a plain tuple ``(kind, *fields)`` (an
    ``Attempt`` leaving is the attempt itself); calling the kind makes one, checking the arity:
    ``Push(event, conns) == (Push, event, conns)``.

    Plain tuples because only the drivers read them, through ``drive`` (no plug-in does): in CPython
    3.11 a NamedTuple costs about three times a tuple to build, and its fields are slower to read.
    """

    def __init__(self, name: str, fields: tuple[str, ...], doc: str):
        self.__name__, self.fields, self.__doc__ = name, fields, doc

    def __call__(self, *fields) -> tuple:
        if len(fields) != len(self.fields):
            raise TypeError(f"{self.__name__}({', '.join(self.fields)}) takes {len(self.fields)} fields, "
                            f"got {len(fields)}")
        return (self, *fields)

    def __repr__(self) -> str:
        return self.__name__


Respond = DriverEffect("Respond", ("attempt", "status", "body"),
                       "The server answers ``attempt`` (an ``Attempt``) with ``status`` and ``body`` (an "
                       "``Event``): the response leg starts.")
Push = DriverEffect("Push", ("event", "conns"),
                    "The server pushes ``event`` on each connection of ``conns``, ``(client, conn)`` "
                    "pairs, in order.")
Backoff = DriverEffect("Backoff", ("client", "send", "delay"),
                       "A client's retry timer for ``send`` starts; it fires after ``delay`` seconds.")
Think = DriverEffect("Think", ("session", "delay", "content"),
                     "The assistant of ``session`` starts typing after ``delay`` (a ``Dist``, drawn by "
                     "the driver when the timer starts, SPEC §2.5), then replies to ``content``.")
Reply = DriverEffect("Reply", ("session", "content", "delay"),
                     "The assistant of ``session`` commits ``content`` after ``delay`` (a ``Dist``, drawn "
                     "by the driver).")
Reconnect = DriverEffect("Reconnect", ("client", "delay"),
                         "``client`` reconnects its SSE stream after ``delay`` (a ``Dist``, drawn by the "
                         "driver).")
Dropped = DriverEffect("Dropped", ("client", "conn"),
                       "Connection ``conn`` of ``client`` dropped: its in-flight events are lost, or "
                       "drain late.")


@mypyc_attr(allow_interpreted_subclasses=True)
class Driver:
    """What a driver does with each kind of driver effect, one method each; ``t`` is the time now.

    The simulator gives the effects times, the explorer keeps them as enabled steps; both receive
    them through ``drive``.
    """

    def request(self, t: float, attempt: Attempt) -> None: raise NotImplementedError
    def respond(self, t: float, attempt, status: int, body: Event) -> None: raise NotImplementedError
    def push(self, t: float, event: Event, conns: tuple) -> None: raise NotImplementedError
    def backoff(self, t: float, client: int, send: int, delay: float) -> None: raise NotImplementedError
    def think(self, t: float, session: str, delay: Dist, content: str) -> None: raise NotImplementedError
    def reply(self, t: float, session: str, content: str, delay: Dist) -> None: raise NotImplementedError
    def reconnect(self, t: float, client: int, delay: Dist) -> None: raise NotImplementedError
    def dropped(self, t: float, client: int, conn: int) -> None: raise NotImplementedError


def drive(driver, t: float, effects) -> None:
    """Hand each driver effect, in order, to the ``driver`` method of its kind (``driver``: a
    ``Driver``, or any object with the methods it needs)."""
    for e in effects:
        if type(e) is Attempt:
            driver.request(t, e)
            continue
        kind = e[0] if type(e) is tuple and e else None
        if kind is Push:
            driver.push(t, e[1], e[2])
        elif kind is Respond:
            driver.respond(t, e[1], e[2], e[3])
        elif kind is Think:
            driver.think(t, e[1], e[2], e[3])
        elif kind is Reply:
            driver.reply(t, e[1], e[2], e[3])
        elif kind is Backoff:
            driver.backoff(t, e[1], e[2], e[3])
        elif kind is Reconnect:
            driver.reconnect(t, e[1], e[2])
        elif kind is Dropped:
            driver.dropped(t, e[1], e[2])
        else:
            raise TypeError(f"not a driver effect: {e!r}")
