"""Client strategies (SPEC §2.2): the ``Strategy`` base a plug-in subclasses, and the built-ins.

A strategy is pure client logic, like a Stateright actor: each ``on_*`` handler gets the time and
its input and returns a list of effects (``model.vocab``: ``Post``, ``Timer``, ``CancelTimer``,
``Abandon``, ``ShowError``, ``Rollback``, ``Unconfirmed``, ``Apply``, ``Reopen``); it never schedules or sends
anything itself. The view it exposes is ``self.view``: ``(canonical runs, optimistic sends,
(is_typing, is_processing))`` where a canonical run ``(session, lo, hi)`` stands for the server
messages ``lo … hi-1`` of that session's log, and the optimistic entries follow the canonical ones,
in the order given.
"""

from __future__ import annotations

from typing import Any, ClassVar

from model.compiled import mypyc_attr
from model.config import StrategyOptions
from model.explored import COPY, ITEMS, OUT, PART, TUPLE, config, derive, field, undeclared
from model.session_view import SessionView, learn  # noqa: F401 -- re-exported: strategies read it here
from model.vocab import (
    Abandon,
    Apply,
    CancelTimer,
    Event,
    Post,
    Reopen,
    Rollback,
    ShowError,
    Timer,
    Unconfirmed,
)

NO_FLAGS = (False, False)
EMPTY_VIEW = ((), (), NO_FLAGS)

_new_tuple = tuple.__new__  # Record(*fields) without the NamedTuple's Python-level __new__ (model.vocab)

_APPLIED_SSE: list[Apply] = []  # version -> Apply(version, "sse"), made once: records are immutable


def applied_sse(version: int) -> Apply:
    """``Apply(version, "sse")``, the same record every time (the seed applies every SSE event)."""
    while len(_APPLIED_SSE) <= version:
        _APPLIED_SSE.append(_new_tuple(Apply, (len(_APPLIED_SSE), "sse")))
    return _APPLIED_SSE[version]


def merge_runs(runs: tuple, event: Event) -> tuple:
    """``runs`` plus the event's messages they do not hold (by server index), adjacent runs merged.

    How a strategy that keeps its own canonical runs applies a delta without duplicating a message.
    """
    session, lo, hi = event.session, event.lo, event.hi
    out = list(runs)
    for i in range(lo, hi):
        if any(s == session and a <= i < b for s, a, b in out):
            continue
        if out and out[-1][0] == session and out[-1][2] == i:
            out[-1] = (session, out[-1][1], i + 1)
        else:
            out.append((session, i, i + 1))
    return tuple(out)


@mypyc_attr(allow_interpreted_subclasses=True)
class Strategy:
    """The base of every strategy: override the ``on_*`` handlers you need; each returns effects.

    Class attributes: ``name`` (shown in reports), ``asks_snapshot`` (a snapshot first on every
    (re)connect), ``option_keys`` (the ``[strategy_options]`` keys it reads beyond the built-in four).
    The constructor gets ``(client, session, options, max_message_length)``: ``session`` is a
    read-only ``SessionView``, ``options`` the scenario's ``[strategy_options]``.
    """

    name: ClassVar[str] = "base"
    asks_snapshot: ClassVar[bool] = False
    option_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, client: int, session: SessionView | None, options: StrategyOptions | None,
                 max_message_length: int):
        self.client = client
        self.session: Any = session  # a SessionView (None in tests of a bare strategy)
        self.options: Any = options  # StrategyOptions
        self.max_len = max_message_length
        self.view: tuple = EMPTY_VIEW

    # --- inputs -------------------------------------------------------------------------------
    def on_send(self, t: float, send: int, content: str) -> list:
        """The user sends ``content``; ``send`` identifies this send from now on."""
        return []

    def on_response(self, t: float, attempt, status: int, body: Event) -> list:
        """An in-time answer to ``attempt`` (``.send``, ``.n``, ``.cmid``); ``body``: a snapshot."""
        return []

    def on_timeout(self, t: float, attempt) -> list:
        """``attempt`` timed out: its answer, if any, will be ignored."""
        return []

    def on_retry(self, t: float, send: int) -> list:
        """The ``Timer`` the strategy set for ``send`` fired."""
        return []

    def on_event(self, t: float, event: Event) -> list:
        """An SSE event arrived."""
        return []

    def on_open(self, t: float) -> list:
        """The SSE connection (re)opened."""
        return []

    def on_close(self, t: float) -> list:
        """The SSE connection dropped."""
        return []

    def on_refused(self, t: float) -> list:
        """A reconnect was answered with an HTTP error: the EventSource is closed for good and will
        not reconnect by itself (SPEC §2.4 v3.2). Return ``Reopen()`` to open a new one; the base,
        like a plain EventSource client (the seed), does nothing."""
        return []

    # --- queries ------------------------------------------------------------------------------
    def has_pending(self) -> bool:
        """True while the strategy itself holds undecided work (SPEC §2.6 pending work)."""
        return False

    def undecided(self):
        """The sends this strategy may still post or show failed on its own, beyond an attempt it
        awaits and a retry ``Timer`` armed (the explorer keys the checkers' entries of the other
        sends only while they can change a verdict). ``None``: it cannot tell (any send may)."""
        return None  # noqa: RET501 - None is an answer here: "cannot tell"

    # --- the explored state (model.explored) -------------------------------------------------
    EXPLORED: ClassVar[dict] = {
        "client": config(), "options": config(), "max_len": config(),
        "session": field(PART, OUT, "a read-only view of the client's session, keyed with it"),
        "view": field(),
    }
    # on_response reads the body (False: the explorer leaves bodies out of keys)
    reads_body: ClassVar[bool] = True
    # the handlers read attempt.n (False: left out when no fault is scripted)
    reads_attempt_number: ClassVar[bool] = True
    _explored_copy: ClassVar[Any]  # derived from EXPLORED, per class (below, and __init_subclass__)
    _explored_key: ClassVar[Any]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._explored_copy, cls._explored_key = derive(cls, cls.EXPLORED)

    def undeclared(self) -> set[str]:
        """The fields this strategy holds that its class's ``EXPLORED`` does not declare."""
        return undeclared(self, type(self).EXPLORED)

    def state_key(self):
        """A hashable summary of everything that influences future behaviour (for the explorer),
        derived from ``EXPLORED``."""
        return type(self)._explored_key(self)

    def clone(self) -> Strategy:
        """A copy for the explorer, derived from ``EXPLORED``."""
        return type(self)._explored_copy(self)

    # --- helpers ------------------------------------------------------------------------------
    def valid(self, content: str) -> bool:
        """The seed's client-side validation: non-empty and not longer than the maximum."""
        return bool(content) and len(content) <= self.max_len

    def show_optimistic(self, send: int) -> None:
        """Append ``send`` to the view's optimistic entries."""
        canon, opt, flags = self.view
        self.view = (canon, (*opt, send), flags)

    def replace_view(self, event: Event, source: str = "sse") -> Apply:
        """Show exactly the server state ``event`` carries (the seed's full replacement: optimistic
        entries go too); return the ``Apply`` effect that reports it."""
        self.view = (event.runs(), (), (event.typing, event.processing))
        return Apply(event.version, source)

    def remove_entry(self, send: int) -> None:
        """Remove the optimistic entry of ``send`` from the view (override in planted bugs only)."""
        canon, opt, flags = self.view
        self.view = (canon, tuple(s for s in opt if s != send), flags)

    def rollback(self, send: int) -> Rollback:
        """Remove the optimistic entry of ``send`` (through ``remove_entry``); return the ``Rollback``
        effect that reports the view before and after, for the checkers to judge."""
        before = self.view
        self.remove_entry(send)
        return Rollback(send, before, self.view)


Strategy._explored_copy, Strategy._explored_key = derive(Strategy, Strategy.EXPLORED)

_HANDLERS = ("on_send", "on_response", "on_timeout", "on_retry", "on_event", "on_open", "on_close",
             "on_refused")
_READERS = {"reads_body": ("on_response",), "reads_attempt_number": ("on_response", "on_timeout")}


def knows_undecided(cls: type) -> bool:
    """Whether ``cls.undecided`` answers for every handler ``cls`` runs: a class other than the base
    defined it, and no handler is defined in a subclass of that class (a plug-in that overrides a
    handler without defining ``undecided`` again is taken not to know). An ``undecided()`` that
    returns None keeps every send's entries in that state."""
    owner = next(k for k in cls.__mro__ if "undecided" in k.__dict__)
    if owner is Strategy:
        return False
    for name in _HANDLERS:
        defined = next(k for k in cls.__mro__ if name in k.__dict__)
        if defined is not owner and issubclass(defined, owner):
            return False
    return True


def reads(cls: type, flag: str) -> bool:
    """Whether ``cls`` may read what ``flag`` (``reads_body``, ``reads_attempt_number``) names.

    A ``False`` holds only for the handlers of the class that declared it: a subclass that
    overrides one of them without declaring the flag again is taken to read it (always sound).
    """
    owner = next(k for k in cls.__mro__ if flag in k.__dict__)
    if getattr(owner, flag):
        return True
    for name in _READERS[flag]:
        defined = next(k for k in cls.__mro__ if name in k.__dict__)
        if defined is not owner and issubclass(defined, owner):
            return True
    return False


@mypyc_attr(allow_interpreted_subclasses=True)
class Seed(Strategy):
    """Exactly the seed document's code: optimistic append, POST, rollback on failure, full replacement."""

    name = "seed"

    def on_send(self, t: float, send, content):
        if not self.valid(content):
            return [ShowError(send)]
        canon, opt, flags = self.view  # self.show_optimistic(send), inline: every send
        self.view = (canon, (*opt, send), flags)
        return [_new_tuple(Post, (send, content, None, None))]  # Post(send, content), without the class call

    def on_response(self, t: float, attempt, status, body):
        if 200 <= status < 300:
            return []
        return self.failed(t, attempt.send)

    def on_timeout(self, t: float, attempt):
        return self.failed(t, attempt.send)

    reads_body = False  # SPEC §2.2: a 2xx needs nothing; an error reads only the status
    reads_attempt_number = False

    def failed(self, t: float, send):
        return [self.rollback(send), ShowError(send)]

    def on_event(self, t: float, event):
        # [self.replace_view(event)], inline: every delivery (tests/test_vocab.py checks they agree)
        session, version, lo, hi, typing, processing, _snapshot = event
        self.view = (((session, lo, hi),) if hi > lo else (), (), (typing, processing))
        applied = _APPLIED_SSE  # a test, not try/except: a raised IndexError costs far more
        return [applied[version] if version < len(applied) else applied_sse(version)]

    def undecided(self):
        return ()  # it posts a send only in on_send, and fails one only for an attempt it awaits


@mypyc_attr(allow_interpreted_subclasses=True)
class DualWrite(Seed):
    """The design the seed moved away from: a 2xx body's server state is applied as well."""

    name = "dual-write"
    reads_body = True  # it applies a 2xx body
    reads_attempt_number = False

    def on_response(self, t: float, attempt, status, body):
        if 200 <= status < 300:
            return [self.replace_view(body, "post")]
        return self.failed(t, attempt.send)

    def undecided(self):
        return ()  # as the seed: a 2xx body shows only committed messages


@mypyc_attr(allow_interpreted_subclasses=True)
class SeedRetry(Seed):
    """The seed plus its phase-3 plan: retry failed POSTs (same content, no id), then roll back."""

    name = "seed-retry"

    def __init__(self, client: int, session: SessionView | None, options: StrategyOptions | None,
                 max_message_length: int):
        # The parameters spelled out: mypyc 2.4 passes super().__init__(*args)'s tuple as one argument.
        super().__init__(client, session, options, max_message_length)
        self.retried: dict[int, int] = {}
        self.content: dict[int, str] = {}

    def on_send(self, t: float, send, content):
        self.content[send] = content
        self.retried[send] = 0
        return super().on_send(t, send, content)

    reads_body = False  # its handlers read the status and attempt.send only
    reads_attempt_number = False

    def on_response(self, t: float, attempt, status, body):
        if 200 <= status < 300:
            self.retried.pop(attempt.send, None)  # the send is over: nothing reads its count again
            return []
        return self.failed(t, attempt.send)

    def failed(self, t: float, send):
        used = self.retried.get(send, 0)
        if used < self.options.retries:
            self.retried[send] = used + 1
            return [Timer(send, self.options.backoff(used + 1))]
        self.retried.pop(send, None)  # the final rollback: the send is over
        return super().failed(t, send)

    def on_retry(self, t: float, send):
        return [Post(send, self.content[send])]

    def undecided(self):
        return ()  # a send posts again only when its retry Timer fires (the World holds the timers)

    EXPLORED: ClassVar[dict] = {**Seed.EXPLORED,
                "retried": field(COPY, ITEMS),
                "content": field(COPY, OUT, "each send's content, fixed by the scenario")}


@mypyc_attr(allow_interpreted_subclasses=True)
class Reconciled(Strategy):
    """Ids, versions, rebase, decided sends, watermark drop detection, idempotent retries (SPEC §2.2)."""

    name = "reconciled"
    asks_snapshot = True

    def __init__(self, client: int, session: SessionView | None, options: StrategyOptions | None,
                 max_message_length: int):
        # The parameters spelled out: mypyc 2.4 passes super().__init__(*args)'s tuple as one argument.
        super().__init__(client, session, options, max_message_length)
        self.applied = 0
        self.canon: tuple = ()
        self.flags = NO_FLAGS
        self.pending: list[int] = []  # undecided sends in send order; pending[0] is the active one
        self.active: int | None = None
        self.content: dict[int, str] = {}
        self.fails: dict[int, int] = {}
        self.ok_version: dict[int, int] = {}
        self.unconfirmed: set[int] = set()

    def cmid(self, send: int) -> str:
        return f"c{self.client}-{send}"

    def holds(self, send: int) -> bool:
        """Whether the canonical runs hold the message committed for ``send``."""
        index = self.session.index_of(self.cmid(send))
        if index is None:
            return False
        name = self.session.name
        return any(s == name and lo <= index < hi for s, lo, hi in self.canon)

    def render(self):
        self.view = (self.canon, tuple(self.pending), self.flags)

    def on_send(self, t: float, send, content):
        if not self.valid(content):
            return [ShowError(send)]
        self.content[send] = content
        self.fails[send] = 0
        self.pending.append(send)
        self.render()
        return self._start_next(t)

    def _start_next(self, t: float):
        if self.active is not None or not self.pending:
            return []
        self.active = self.pending[0]
        return [self._post(t, self.active)]

    def _post(self, t: float, send):
        return Post(send, self.content[send], self.cmid(send), t + self.options.request_deadline)

    def _decide(self, send, effects):
        self.pending.remove(send)
        if self.active == send:
            self.active = None
            effects.append(Abandon(send))
            effects.append(CancelTimer(send))

    def _fail_definitely(self, t: float, send):
        effects: list = []
        self._decide(send, effects)
        effects.append(self.rollback(send))
        effects.append(ShowError(send))
        self.render()
        return effects + self._start_next(t)

    def on_response(self, t: float, attempt, status, body):
        send = attempt.send
        if send not in self.pending:
            return []
        if 200 <= status < 300:
            self.ok_version[send] = max(self.ok_version.get(send, -1), body.version)
            if self.ok_version[send] <= self.applied and not self.holds(send):
                return self._fail_definitely(t, send)
            return []
        if 400 <= status < 500:
            return self._fail_definitely(t, send)
        return self._ambiguous(send)

    def on_timeout(self, t: float, attempt):
        if attempt.send not in self.pending:
            return []
        return self._ambiguous(attempt.send)

    def _ambiguous(self, send):
        self.fails[send] += 1
        effects = []
        if self.fails[send] >= max(self.options.retries, 1) and send not in self.unconfirmed:
            self.unconfirmed.add(send)
            effects.append(Unconfirmed(send))
        effects.append(Timer(send, self.options.backoff(self.fails[send])))
        return effects

    def on_retry(self, t: float, send):
        if send not in self.pending:
            return []
        return [self._post(t, send)]

    def on_event(self, t: float, event):
        version = event.version
        if version <= self.applied:
            return []
        self.canon = event.runs() if event.snapshot else merge_runs(self.canon, event)
        self.applied = version
        self.flags = (event.typing, event.processing)
        effects: list = [Apply(version, "sse")]
        for send in list(self.pending):
            if self.holds(send):
                self._decide(send, effects)
            elif self.ok_version.get(send, version + 1) <= version:
                self.render()
                self._decide(send, effects)
                effects.append(self.rollback(send))
                effects.append(ShowError(send))
        self.render()
        return effects + self._start_next(t)

    def on_refused(self, t: float):
        return [Reopen()]  # a new EventSource after sse.reconnect_delay, asking for a snapshot first

    def has_pending(self):
        return bool(self.pending)

    def undecided(self):
        return self.pending  # every post, rollback and ShowError is of a pending send

    # Failures beyond the unconfirmed threshold change nothing but the backoff, which the
    # explorer abstracts away: saturating the count keeps unbounded retries finite. Decided sends
    # are never read again.
    reads_attempt_number = False
    EXPLORED: ClassVar[dict] = {**Strategy.EXPLORED,
                "applied": field(), "canon": field(), "flags": field(),
                "pending": field(COPY, TUPLE), "active": field(),
                "content": field(COPY, OUT, "each send's content, fixed by the scenario"),
                "fails": field(COPY, "method:_key_fails"),
                "ok_version": field(COPY, "method:_key_ok_version"),
                "unconfirmed": field(COPY, "method:_key_unconfirmed")}

    def _key_fails(self, K=None):
        cap = max(self.options.retries, 1)
        return tuple(sorted((s, min(n, cap)) for s, n in self.fails.items() if s in self.pending))

    def _key_ok_version(self, K=None):
        return tuple(sorted((s, v) for s, v in self.ok_version.items() if s in self.pending))

    def _key_unconfirmed(self, K=None):
        return tuple(sorted(self.unconfirmed & set(self.pending)))


BUILTIN = {cls.name: cls for cls in (Seed, DualWrite, SeedRetry, Reconciled)}
