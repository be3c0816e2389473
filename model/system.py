"""The system model: server sessions, SSE streams and clients running a strategy (SPEC §2).

``World`` is the single place where system state changes. Its handlers carry out the strategies'
effects and return driver effects, what happens next (``model.vocab``: an ``Attempt`` leaving,
``Respond``, ``Push``, ``Backoff``, ``Think``, ``Reply``, ``Reconnect``, ``Dropped``; ``()`` when
nothing follows: no list to build, drivers only iterate them); they never
schedule anything.
The simulator gives driver effects times; the explorer turns them into enabled steps. ``pending``
counts the work of SPEC §2.6 so both can tell quiescence.
The think, reply and reconnect delays are ``model.config.Dist``s, which the driver draws (SPEC §2.5).
The client side the World shares with the live clients (``ClientHalf``: the one decoding of strategy
effects) is ``model.client_half``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from model.client_half import OPEN, ClientHalf, post_outcome, resume_of
from model.compiled import mypyc_attr
from model.config import Scenario
from model.observe import Observer
from model.strategies import SessionView, Strategy, learn
from model.vocab import (
    ANSWERED,
    AWAITING,
    TIMED_OUT,
    Apply,
    Attempt,
    Dropped,
    Event,
    Message,
    Post,
    Push,
    Reconnect,
    Reply,
    Respond,
    Think,
)

EVENT_OVERHEAD = 40  # bytes of an SSE event besides its messages (id, version, flags, framing)
MESSAGE_OVERHEAD = 60  # bytes of a message besides its content (ids, sender, timestamp, JSON)

STATUS = {"duplicate": 200, "expired": 410, "invalid": 400, "rejected": 409,
          "error_before_commit": 500, "accepted_dropped": 200, "error_after_commit": 500, "ok": 200}

# Record(*fields) without the NamedTuple's Python-level __new__: the records built on every event
_new_tuple = tuple.__new__


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class Session:
    """A session's committed state: an append-only log, flags, a version and the per-version history."""

    __slots__ = (
        "_kh",
        "by_cmid",
        "clients",
        "cum_bytes",
        "history",
        "latest",
        "log",
        "name",
        "processing",
        "streams",
        "typing",
        "version",
    )

    EXPLORED: ClassVar[dict]  # the explored state's declaration, set in model.world_state

    def __init__(self, name: str):
        self.name = name
        self.log: list[Message] = []
        self.version = 0
        self.typing = self.processing = False
        self.by_cmid: dict[str, int] = {}
        self.history = [(0, False, False)]  # version -> (messages, typing, processing)
        self.latest: Event | None = None  # the event of the newest version, as pushed
        self.streams: tuple = ()  # (client, open connection id) pairs, in order of opening
        self.cum_bytes = [0]
        self.clients: list[int] = []
        self._kh: int | None = None  # the explorer's cache of this part's key hash (model.world_state)

    def append(self, message: Message) -> None:
        """Commit ``message`` to the log (its index is the log's length): the one place that keeps
        the log, its byte sums and the client message ids together (the World and the live server)."""
        self.log.append(message)
        cum_bytes = self.cum_bytes
        cum_bytes.append(cum_bytes[-1] + len(message.content))
        if message.cmid is not None:
            self.by_cmid[message.cmid] = message.index

    def event(self, version: int, snapshot: bool) -> Event:
        """The SSE event of ``version`` as first sent: a snapshot or that change's delta."""
        n, typing, processing = self.history[version]
        lo = 0 if snapshot or version == 0 else self.history[version - 1][0]
        return Event(self.name, version, lo, n, typing, processing, snapshot)

    def snapshot(self) -> Event:
        """The snapshot of the current version."""
        latest = self.latest
        return latest if latest is not None and latest.snapshot else self.event(self.version, True)

    def nbytes(self, event: Event) -> int:
        """The size of ``event`` on the wire."""
        lo, hi = event.lo, event.hi
        return EVENT_OVERHEAD + self.cum_bytes[hi] - self.cum_bytes[lo] + MESSAGE_OVERHEAD * (hi - lo)

    def open_stream(self, client: int, conn: int) -> None:
        self.streams = (*self.streams, (client, conn))

    def close_stream(self, client: int) -> None:
        self.streams = tuple(pair for pair in self.streams if pair[0] != client)


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class Client:
    """A client: its strategy, its POSTs awaited and its SSE stream (an EventSource, SPEC §2.4).

    ``last_version`` is the ``Last-Event-ID`` its EventSource holds: the version of the last event
    it received, None before its first (and in a new EventSource, after a ``Reopen``). ``closed``:
    ``OPEN`` (connected, or reconnecting by itself), ``CLOSED`` (a reconnect was refused: closed for
    good) or ``REOPENING`` (closed, and the strategy's ``Reopen`` will open a new one); ``refuse``:
    how many of its next reconnects a scripted event refuses. ``known``: what its events and response
    bodies carried of its session's log, ``[prefix, runs above it]``, all its strategy may read
    (``SessionView``, ``model.session_view.learn``).
    """

    __slots__ = (
        "_kh",
        "closed",
        "conn",
        "connected",
        "index",
        "known",
        "last_version",
        "last_view",
        "outstanding",
        "refuse",
        "session",
        "strategy",
    )

    EXPLORED: ClassVar[dict]  # the explored state's declaration, set in model.world_state
    _key_known: ClassVar[Any]  # set by model.world_state

    def __init__(self, index: int, session: Session, strategy: Strategy):
        self.index, self.session, self.strategy = index, session, strategy
        self.connected, self.conn = True, 0
        self.last_version: int | None = None
        self.closed, self.refuse = OPEN, 0
        self._kh: int | None = None  # the explorer's cache of this part's key hash (model.world_state)
        # What it received of the session's log, [prefix, runs above it] (model.session_view.learn):
        # a list its SessionView shares (no reference back to the client: no cycle for the explorer,
        # which runs with the cycle collector off).
        self.known: list = [0, ()]
        self.outstanding: dict[int, Attempt] = {}  # send -> attempt awaited
        self.last_view = strategy.view



@mypyc_attr(allow_interpreted_subclasses=True)
class World(ClientHalf):
    """Server, streams and clients of one scenario; the single place where system state changes."""

    EXPLORED: ClassVar[dict]  # the explored state's declaration, set in model.world_state

    def __init__(self, scenario: Scenario, strategy_cls: type, obs: Observer):
        self.scenario, self.obs = scenario, obs
        self.server = scenario.server
        self.sse_payload_snapshot = scenario.sse.payload == "snapshot"
        self.sessions: dict[str, Session] = {}
        self.clients: list[Client] = []
        for i, cc in enumerate(scenario.clients):
            session = self.sessions.setdefault(cc.session, Session(cc.session))
            session.clients.append(i)
            known = [0, ()]
            strategy = strategy_cls(i, SessionView(session, known), scenario.strategy_options,
                                    scenario.server.max_message_length)
            c = Client(i, session, strategy)
            c.known = known  # what this client has received, which its strategy's view reads
            self.clients.append(c)
            session.open_stream(i, 0)
        self.strategy_name = getattr(strategy_cls, "name", strategy_cls.__name__)
        self.sends: list[tuple[int, str]] = []  # send id -> (client, content)
        self.send_specs: dict[int, object] = {}  # send id -> scripted SendSpec (first-attempt overrides)
        self.attempts = 0
        self.pending = 0
        # written by replacement, never in place: the explorer shares it between a state and its
        # successors (model.world_state)
        self.timers: frozenset[tuple[int, int]] = frozenset()
        self.committed = 0
        self.untimed = False  # explorer: a deadline has passed exactly when the attempt's timeout fired
        self._counts: dict[tuple[int, int], int] = {}
        self._strategies_with_pending = [c.strategy for c in self.clients
                                         if type(c.strategy).has_pending is not Strategy.has_pending]
        obs.config(scenario.name, self.strategy_name, scenario.seed, [c.session for c in scenario.clients])

    # --- quiescence ---------------------------------------------------------------------------
    def quiescent(self) -> bool:
        if self.pending:
            return False
        for s in self._strategies_with_pending:
            if s.has_pending():
                return False
        return True

    # --- client side --------------------------------------------------------------------------
    def user_send(self, t: float, client: int, content: str, spec=None) -> list:
        send = len(self.sends)
        self.sends.append((client, content))
        if spec is not None:
            self.send_specs[send] = spec
        self.obs.send(t, client, send, content)
        c = self.clients[client]
        effects = c.strategy.on_send(t, send, content)
        if len(effects) == 1 and type(effects[0]) is Post:  # the common case: _client's work, inline
            out = [self._attempt(t, c, effects[0])]
            view = c.strategy.view  # self._report_view(t, c, "send"), inline
            if view is not c.last_view and view != c.last_view:
                c.last_view = view
                self.obs.view(t, client, "send", view)
            return out
        return self._client(t, c, "send", effects)

    def client_response(self, t: float, attempt: Attempt, status: int, body: Event) -> list | tuple:
        c = self.clients[attempt.client]
        if attempt.state != AWAITING:
            return ()
        attempt.state = ANSWERED
        self.pending -= 1
        c.outstanding.pop(attempt.send, None)
        self.obs.response(t, c.index, attempt.send, attempt.n, status)
        known = c.known
        if body[3] > known[0]:  # .hi: the body is the server's state, a snapshot (learn, inline)
            if known[1]:
                known[0], known[1] = learn(known[0], known[1], 0, body[3])
            else:
                known[0] = body[3]
        effects = c.strategy.on_response(t, attempt, status, body)
        if not effects:  # most answers (a 2xx to the seed): _client's work, without the loop
            view = c.strategy.view  # self._report_view(t, c, "response"), inline
            if view is not c.last_view and view != c.last_view:
                c.last_view = view
                self.obs.view(t, c.index, "response", view)
            return ()
        return self._client(t, c, "response", effects)

    def sse_deliver(self, t: float, client: int, conn: int, event: Event) -> list | tuple:
        self.pending -= 1
        c = self.clients[client]
        c.last_version = version = event[1]  # .version: a record's fields by position on the hot path
        known = c.known
        if event[3] > known[0]:  # learn(...): only what reaches past every message it has
            if event[2] <= known[0] and not known[1]:
                known[0] = event[3]
            else:
                known[0], known[1] = learn(known[0], known[1], event[2], event[3])
        obs = self.obs
        obs.deliver(t, client, conn, version)
        effects = c.strategy.on_event(t, event)
        if len(effects) == 1 and type(effects[0]) is Apply:  # the common case: _client's work, inline
            e = effects[0]
            obs.apply(t, client, e[0], e[1])
            view = c.strategy.view  # self._report_view(t, c, "sse"), inline
            if view is not c.last_view and view != c.last_view:
                c.last_view = view
                obs.view(t, client, "sse", view)
            return ()
        return self._client(t, c, "sse", effects)

    def sse_lost(self, count: int) -> None:
        """``count`` in-flight events died with their connection."""
        self.pending -= count

    def start(self, t: float) -> list:
        """What happens at t = 0 before anything else: with ``sse.resume = "snapshot-always"``, the
        snapshot that starts each client's first stream, in client order (SPEC §2.6); else nothing."""
        if self.scenario.sse.resume != "snapshot-always":
            return []
        return [self._push(t, c.session, c.index, c.conn, c.session.snapshot()) for c in self.clients]

    def disconnect(self, t: float, client: int, refuse: int = 0) -> list | tuple:
        """``client``'s stream drops; it reconnects after ``sse.reconnect_delay``. ``refuse``: a
        scripted event's count of the next reconnects to refuse (SPEC §2.4 v3.2)."""
        c = self.clients[client]
        if not c.connected:
            return ()  # nothing happens, and no refusal count is set
        c.connected = False
        if refuse:
            c.refuse = refuse
        c.session.close_stream(client)
        self.pending += 1
        self.obs.disconnect(t, client, c.conn, len(c.outstanding))
        out = self._client(t, c, "close", c.strategy.on_close(t))
        return out + [Dropped(client, c.conn), Reconnect(client, self.scenario.sse.reconnect_delay)]

    def resume_of(self, c: Client) -> str:
        return resume_of(self.scenario.sse.resume, c)

    def reconnect(self, t: float, client: int, refused: bool = False) -> list:
        """``client`` reconnects (its EventSource by itself, or a new one its strategy reopened).
        ``refused``: the driver's draw (or the explorer's choice) answers it with an HTTP error; a
        scripted ``refuse`` count refuses it whatever the driver says."""
        c = self.clients[client]
        resume, refusal = self.reconnect_starts(t, c, refused)
        if refusal is not None:
            return refusal
        s = c.session
        s.open_stream(client, c.conn)
        out = []
        if resume == "snapshot":
            out.append(self._push(t, s, client, c.conn, s.snapshot()))
        elif resume == "last-event-id":
            for v in range(c.last_version + 1, s.version + 1):  # type: ignore[operator]  # resumed: an id
                out.append(self._push(t, s, client, c.conn, s.event(v, self.sse_payload_snapshot)))
        return out + self._client(t, c, "open", c.strategy.on_open(t))

    # --- server side --------------------------------------------------------------------------
    def server_receive(self, t: float, a: Attempt) -> list | tuple:
        """A POST attempt reaches the server (or is lost on the way), with its fault already drawn."""
        self.pending -= 1
        fault = a.fault or "ok"
        c = self.clients[a.client]
        s = c.session
        if fault == "request_lost":
            self.obs.arrive(t, a.client, a.send, a.n, "lost", None)
            return ()
        expired = a.deadline is not None and (a.state == TIMED_OUT if self.untimed else t > a.deadline)
        duplicate = a.cmid is not None and a.cmid in s.by_cmid
        outcome = post_outcome(duplicate, expired, a.content, self.server.max_message_length, fault)
        status = STATUS[outcome]
        self.obs.arrive(t, a.client, a.send, a.n, outcome, status)
        out = []
        if outcome in ("ok", "error_after_commit"):
            out = self._commit(t, s, "user", a.content, a.cmid, a.send, a.client)
            server = self.server
            if server.assistant:
                self.pending += 1
                out.append((Think, s.name, server.think_delay, a.content))
        if fault != "response_lost":
            body = s.latest  # s.snapshot(), inline: every answer
            if body is None or not body.snapshot:
                body = s.event(s.version, True)
            out.append((Respond, a, status, body))
        return out

    def _commit(self, t: float, s: Session, sender: str, content: str, cmid: str | None, send: int | None,
                client: int | None) -> list:
        """Commit a message of ``sender`` to the log of ``s`` (its index: the log's length); the change.

        The fields as arguments, not a ``Message``: reading a NamedTuple's fields is a slow lookup."""
        index = len(s.log)
        s.append(_new_tuple(Message, (index, sender, content, cmid, send, client)))
        if sender == "user":
            self.committed += 1
        return self._change(t, s, sender, index, send)

    def _change(self, t: float, s: Session, sender: str | None = None, index: int | None = None,
                send: int | None = None) -> list:
        """A new version of ``s``: message ``index`` committed by ``sender`` for ``send``, or (no
        ``sender``) new flags; returns the push of its event to the session's open streams."""
        version = s.version = s.version + 1
        n, typing, processing = len(s.log), s.typing, s.processing
        obs = self.obs
        if sender is not None:
            obs.commit(t, s.name, index, send, sender, version, typing, processing)  # type: ignore[arg-type]
        else:
            obs.flags(t, s.name, version, typing, processing)
        # s.event(version, snapshot) and s.nbytes(event), inline: the event of every change
        snapshot = self.sse_payload_snapshot
        history = s.history
        lo = 0 if snapshot else history[-1][0]
        history.append((n, typing, processing))
        name = s.name
        s.latest = event = _new_tuple(Event, (name, version, lo, n, typing, processing, snapshot))
        streams = s.streams
        if not streams:
            return []
        cum = s.cum_bytes
        nbytes = EVENT_OVERHEAD + cum[n] - cum[lo] + MESSAGE_OVERHEAD * (n - lo)
        push = obs.push
        for client, conn in streams:
            push(t, name, client, conn, version, nbytes)
        self.pending += len(streams)
        return [(Push, event, streams)]

    def _push(self, t: float, s: Session, client: int, conn: int, event: Event) -> tuple:
        self.pending += 1
        self.obs.push(t, s.name, client, conn, event.version, s.nbytes(event))
        return Push(event, ((client, conn),))

    def assistant_think(self, t: float, session: str, content: str) -> list:
        self.pending -= 1
        s = self.sessions[session]
        out = []
        if not (s.typing and s.processing):
            s.typing = s.processing = True
            out = self._change(t, s)
        self.pending += 1
        out.append((Reply, session, f"re: {content}", self.server.reply_delay))
        return out

    def assistant_reply(self, t: float, session: str, content: str) -> list:
        self.pending -= 1
        s = self.sessions[session]
        s.typing = s.processing = False
        return self._commit(t, s, "assistant", content, None, None, None)
