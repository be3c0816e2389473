"""The system model: server sessions, SSE streams and clients running a strategy (SPEC §2).

``World`` is the single place where system state changes. Its handlers carry out the strategies'
effects and return driver effects, what happens next (``model.vocab``: an ``Attempt`` leaving,
``Respond``, ``Push``, ``Backoff``, ``Think``, ``Reply``, ``Reconnect``, ``Dropped``); they never
schedule anything.
The simulator gives driver effects times; the explorer turns them into enabled steps. ``pending``
counts the work of SPEC §2.6 so both can tell quiescence.
The think, reply and reconnect delays are ``model.config.Dist``s, which the driver draws (SPEC §2.5).
"""

from __future__ import annotations

from model.config import Scenario
from model.explored import COPY, LEN, OUT, PART, SORTED, config, derive, field
from model.observe import Observer
from model.strategies import SessionView, Strategy
from model.vocab import (
    ABANDONED,
    ANSWERED,
    AWAITING,
    TIMED_OUT,
    Abandon,
    Apply,
    Attempt,
    Backoff,
    CancelTimer,
    Dropped,
    Event,
    Message,
    Post,
    Push,
    Reconnect,
    Reply,
    Respond,
    Rollback,
    ShowError,
    Think,
    Timer,
    Unconfirmed,
)

EVENT_OVERHEAD = 40  # bytes of an SSE event besides its messages (id, version, flags, framing)
MESSAGE_OVERHEAD = 60  # bytes of a message besides its content (ids, sender, timestamp, JSON)

STATUS = {"duplicate": 200, "expired": 410, "invalid": 400, "rejected": 409,
          "error_before_commit": 500, "accepted_dropped": 200, "error_after_commit": 500, "ok": 200}

# Record(*fields) without the NamedTuple's Python-level __new__: the records built on every event
_new_tuple = tuple.__new__


class Session:
    """A session's committed state: an append-only log, flags, a version and the per-version history."""

    __slots__ = (
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


class Client:
    __slots__ = (
        "conn",
        "connected",
        "index",
        "last_version",
        "last_view",
        "outstanding",
        "session",
        "strategy",
    )

    def __init__(self, index: int, session: Session, strategy: Strategy):
        self.index, self.session, self.strategy = index, session, strategy
        self.connected, self.conn, self.last_version = True, 0, 0
        self.outstanding: dict[int, Attempt] = {}  # send -> attempt awaited
        self.last_view = strategy.view



def post_outcome(duplicate: bool, expired: bool, content: str, max_length: int, fault: str) -> str:
    """What the server does with a POST that reached it, in SPEC §2.6's order: idempotency first,
    then the deadline, validation, and this POST's server fault. The World's and the live server's."""
    if duplicate:  # its client message id is committed already
        return "duplicate"
    if expired:
        return "expired"
    if not content or len(content) > max_length:
        return "invalid"
    if fault in ("rejected", "error_before_commit", "accepted_dropped"):
        return fault
    return "error_after_commit" if fault == "error_after_commit" else "ok"

class ClientHalf:
    """What a strategy's effects do on the client side: the one decoding of strategy effects
    (``model.vocab``), shared by the World and the live clients (``simulations.live.clients``).

    The class that mixes it in holds ``obs``, ``strategy_name``, ``attempts``, ``pending``,
    ``timers``, ``send_specs`` and ``_counts``; its clients have ``index``, ``strategy``,
    ``outstanding`` and ``last_view``.
    """

    def _client(self, t: float, c: Client, cause: str, effects) -> list:
        """Carry out a strategy's effects; report its view if it changed; return driver effects.

        The one decoding of strategy effects (``model.vocab``), most frequent kinds first.
        """
        out = []
        obs = self.obs
        for e in effects:
            kind = type(e)
            if kind is Apply:  # every SSE event applied
                obs.apply(t, c.index, e.version, e.source)
            elif kind is Post:
                out.append(self._attempt(t, c, e))
            elif kind is ShowError:
                obs.error(t, c.index, e.send)
            elif kind is Rollback:
                obs.rollback(t, c.index, e.send, e.before, e.after)
            elif kind is Timer:
                key = (c.index, e.send)
                if key not in self.timers:
                    self.timers.add(key)
                    self.pending += 1
                out.append(Backoff(c.index, e.send, e.delay))
            elif kind is CancelTimer:
                key = (c.index, e.send)
                if key in self.timers:
                    self.timers.discard(key)
                    self.pending -= 1
            elif kind is Abandon:
                a = c.outstanding.pop(e.send, None)
                if a is not None and a.state == AWAITING:
                    a.state = ABANDONED
                    self.pending -= 1
            elif kind is Unconfirmed:
                obs.unconfirmed(t, c.index, e.send)
            else:
                raise ValueError(f"strategy {self.strategy_name!r} returned {e!r}, not an effect of "
                                 "model.vocab (Post, Timer, CancelTimer, Abandon, ShowError, "
                                 "Rollback, Unconfirmed, Apply)")
        self._report_view(t, c, cause)
        return out

    def _report_view(self, t: float, c: Client, cause: str) -> None:
        """Report the client's view if it changed since the last report."""
        view = c.strategy.view
        if view is not c.last_view and view != c.last_view:
            c.last_view = view
            self.obs.view(t, c.index, cause, view)

    def _attempt(self, t: float, c: Client, post: Post) -> Attempt:
        send = post[0]  # .send; the fields by position (every send)
        prev = c.outstanding.get(send)
        key = (c.index, send)
        n = prev.n + 1 if prev is not None else self._counts.get(key, 0) + 1
        deadline = post[3]
        if deadline is not None:
            deadline = round(deadline * 1e9) / 1e9  # exact decimal instants (SPEC §2.6)
        a = Attempt(self.attempts, c.index, send, n, post[1], post[2], deadline, t)
        self.attempts += 1
        self._counts[key] = n
        spec = self.send_specs.get(send) if n == 1 and self.send_specs else None
        if spec is not None:
            a.fault = spec.fault
            a.request_latency, a.response_latency = spec.request_latency, spec.response_latency
        c.outstanding[send] = a
        self.pending += 2  # the request travelling, and the client awaiting its outcome
        return a


class World(ClientHalf):
    """Server, streams and clients of one scenario; the single place where system state changes."""

    def __init__(self, scenario: Scenario, strategy_cls: type, obs: Observer):
        self.scenario, self.obs = scenario, obs
        self.server = scenario.server
        self.sse_payload_snapshot = scenario.sse.payload == "snapshot"
        self.sessions: dict[str, Session] = {}
        self.clients: list[Client] = []
        for i, cc in enumerate(scenario.clients):
            session = self.sessions.setdefault(cc.session, Session(cc.session))
            session.clients.append(i)
            strategy = strategy_cls(i, SessionView(session), scenario.strategy_options,
                                    scenario.server.max_message_length)
            self.clients.append(Client(i, session, strategy))
            session.open_stream(i, 0)
        self.strategy_name = getattr(strategy_cls, "name", strategy_cls.__name__)
        self.sends: list[tuple[int, str]] = []  # send id -> (client, content)
        self.send_specs: dict[int, object] = {}  # send id -> scripted SendSpec (first-attempt overrides)
        self.attempts = 0
        self.pending = 0
        self.timers: set[tuple[int, int]] = set()
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

    def client_response(self, t: float, attempt: Attempt, status: int, body: Event) -> list:
        c = self.clients[attempt.client]
        if attempt.state != AWAITING:
            return []
        attempt.state = ANSWERED
        self.pending -= 1
        c.outstanding.pop(attempt.send, None)
        self.obs.response(t, c.index, attempt.send, attempt.n, status)
        effects = c.strategy.on_response(t, attempt, status, body)
        if not effects:  # most answers (a 2xx to the seed): _client's work, without the loop
            view = c.strategy.view  # self._report_view(t, c, "response"), inline
            if view is not c.last_view and view != c.last_view:
                c.last_view = view
                self.obs.view(t, c.index, "response", view)
            return []
        return self._client(t, c, "response", effects)

    def client_timeout(self, t: float, attempt: Attempt) -> list:
        if attempt.state != AWAITING:
            return []
        c = self.clients[attempt.client]
        attempt.state = TIMED_OUT
        self.pending -= 1
        c.outstanding.pop(attempt.send, None)
        self.obs.timeout(t, c.index, attempt.send, attempt.n)
        return self._client(t, c, "timeout", c.strategy.on_timeout(t, attempt))

    def client_retry(self, t: float, client: int, send: int) -> list:
        key = (client, send)
        if key not in self.timers:
            return []
        self.timers.discard(key)
        self.pending -= 1
        c = self.clients[client]
        return self._client(t, c, "retry", c.strategy.on_retry(t, send))

    def sse_deliver(self, t: float, client: int, conn: int, event: Event) -> list:
        self.pending -= 1
        c = self.clients[client]
        c.last_version = version = event[1]  # .version: a record's fields by position on the hot path
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
            return []
        return self._client(t, c, "sse", effects)

    def sse_lost(self, count: int) -> None:
        """``count`` in-flight events died with their connection."""
        self.pending -= count

    def disconnect(self, t: float, client: int) -> list:
        c = self.clients[client]
        if not c.connected:
            return []
        c.connected = False
        c.session.close_stream(client)
        self.pending += 1
        self.obs.disconnect(t, client, c.conn, len(c.outstanding))
        out = self._client(t, c, "close", c.strategy.on_close(t))
        return out + [Dropped(client, c.conn), Reconnect(client, self.scenario.sse.reconnect_delay)]

    def reconnect(self, t: float, client: int) -> list:
        c = self.clients[client]
        self.pending -= 1
        c.connected = True
        c.conn += 1
        s = c.session
        s.open_stream(client, c.conn)
        resume = "snapshot" if c.strategy.asks_snapshot else self.scenario.sse.resume
        self.obs.reconnect(t, client, c.conn, resume)
        out = []
        if resume == "snapshot":
            out.append(self._push(t, s, client, c.conn, s.snapshot()))
        elif resume == "last-event-id":
            for v in range(c.last_version + 1, s.version + 1):
                out.append(self._push(t, s, client, c.conn, s.event(v, self.sse_payload_snapshot)))
        return out + self._client(t, c, "open", c.strategy.on_open(t))

    # --- server side --------------------------------------------------------------------------
    def server_receive(self, t: float, a: Attempt) -> list:
        """A POST attempt reaches the server (or is lost on the way), with its fault already drawn."""
        self.pending -= 1
        fault = a.fault or "ok"
        c = self.clients[a.client]
        s = c.session
        if fault == "request_lost":
            self.obs.arrive(t, a.client, a.send, a.n, "lost", None)
            return []
        expired = a.deadline is not None and (a.state == TIMED_OUT if self.untimed else t > a.deadline)
        duplicate = a.cmid is not None and a.cmid in s.by_cmid
        outcome = post_outcome(duplicate, expired, a.content, self.server.max_message_length, fault)
        status = STATUS[outcome]
        self.obs.arrive(t, a.client, a.send, a.n, outcome, status)
        out = []
        if outcome in ("ok", "error_after_commit"):
            out = self._commit(t, s, _new_tuple(Message, (len(s.log), "user", a.content, a.cmid, a.send, a.client)))
            server = self.server
            if server.assistant:
                self.pending += 1
                out.append(_new_tuple(Think, (s.name, server.think_delay, a.content)))
        if fault != "response_lost":
            body = s.latest  # s.snapshot(), inline: every answer
            if body is None or not body.snapshot:
                body = s.event(s.version, True)
            out.append(_new_tuple(Respond, (a, status, body)))
        return out

    def _commit(self, t: float, s: Session, message: Message) -> list:
        s.append(message)
        if message.sender == "user":
            self.committed += 1
        return self._change(t, s, message)

    def _change(self, t: float, s: Session, message: Message | None) -> list:
        version = s.version = s.version + 1
        n, typing, processing = len(s.log), s.typing, s.processing
        obs = self.obs
        if message is not None:
            obs.commit(t, s.name, message.index, message.send, message.sender, version, typing, processing)
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
        return [_new_tuple(Push, (event, streams))]

    def _push(self, t: float, s: Session, client: int, conn: int, event: Event) -> Push:
        self.pending += 1
        self.obs.push(t, s.name, client, conn, event.version, s.nbytes(event))
        return Push(event, ((client, conn),))

    def assistant_think(self, t: float, session: str, content: str) -> list:
        self.pending -= 1
        s = self.sessions[session]
        out = []
        if not (s.typing and s.processing):
            s.typing = s.processing = True
            out = self._change(t, s, None)
        self.pending += 1
        out.append(_new_tuple(Reply, (session, f"re: {content}", self.server.reply_delay)))
        return out

    def assistant_reply(self, t: float, session: str, content: str) -> list:
        self.pending -= 1
        s = self.sessions[session]
        s.typing = s.processing = False
        return self._commit(t, s, _new_tuple(Message, (len(s.log), "assistant", content, None, None, None)))


# --- the explored state: declared once, copies and keys derived (model.explored) ---------------------
_DERIVED = "determined by the keyed fields"
Session.EXPLORED = {  # type: ignore[attr-defined]
    "name": field(),
    "log": field(COPY, "method:_key_log"),
    "version": field(key=OUT, why=_DERIVED + ": len(history) - 1"),
    "typing": field(key=OUT, why=_DERIVED + ": the last entry of history"),
    "processing": field(key=OUT, why=_DERIVED + ": the last entry of history"),
    "by_cmid": field(COPY, OUT, _DERIVED + ": the client message ids of the log's messages"),
    "history": field(COPY, "method:_key_history"),
    "latest": field(key=OUT, why=_DERIVED + ": the event of the newest entry of history"),
    "streams": field(key=SORTED),
    "cum_bytes": field(COPY, OUT, "sizes of the log's contents (fixed by its sends); only metrics read them"),
    "clients": config(),
}
Client.EXPLORED = {  # type: ignore[attr-defined]
    "index": config(),
    "connected": field(), "conn": field(), "last_version": field(),
    "last_view": field(key=OUT, why="equals the strategy's view after every step (each handler "
                                    "reports the view last)"),
    "outstanding": field(PART, "method:_key_outstanding"),
    "session": field(PART, OUT, "the client's session, keyed with the sessions"),
    "strategy": field(PART, "method:_key_strategy"),
}
World.EXPLORED = {  # type: ignore[attr-defined]
    "scenario": config(), "server": config(), "sse_payload_snapshot": config(),
    "strategy_name": config(), "untimed": config(),
    "obs": field(PART, OUT, "the observer: the checkers' state is keyed on its own"),
    "sessions": field(PART, "method:_key_sessions"),
    "clients": field(PART, "method:_key_clients"),
    "sends": field(COPY, LEN),
    "send_specs": field(COPY, OUT, "the scripted specs of the sends made so far: fixed by their number"),
    "attempts": field(key=OUT, why="the next attempt id; ids only name attempts in traces"),
    "pending": field(),
    "timers": field(COPY, SORTED),
    "committed": field(key=OUT, why="a count for the metrics; the logs hold the commits"),
    "_counts": field(COPY, "method:_key_counts"),
    "_strategies_with_pending": field(PART, OUT, _DERIVED + ": the clients' strategies"),
}


def _key_log(self, K) -> tuple:
    return tuple([(m.sender, m.send) for m in self.log])


def _key_history(self, K) -> tuple:
    # Versions before the current one are read only to resume a stream from its last event id.
    history = self.history
    return tuple(history) if K.history else (len(history), history[-1])


def _key_outstanding(self, K) -> tuple:
    outstanding = self.outstanding
    if not outstanding:
        return ()
    if K.attempt_n is _no_n:
        return tuple(sorted([(s, a.state) for s, a in outstanding.items()]))
    return tuple(sorted([(s, 1 if a.n == 1 else 2, a.state) for s, a in outstanding.items()]))


def _key_strategy(self, K):
    return self.strategy.state_key()


def _key_sessions(self, K) -> tuple:
    session = K.session
    return tuple([session(s, K) for s in self.sessions.values()])


def _key_clients(self, K) -> tuple:
    client = K.client
    return tuple([client(c, K) for c in self.clients])


def _key_counts(self, K) -> tuple:
    if K.attempt_n is _no_n:
        return ()
    return tuple(sorted([(k, 1 if n == 1 else 2) for k, n in self._counts.items()]))


def _no_n(a, K) -> int:
    return 0


Session._key_log, Session._key_history = _key_log, _key_history  # type: ignore[attr-defined]
Client._key_outstanding, Client._key_strategy = _key_outstanding, _key_strategy  # type: ignore[attr-defined]
World._key_sessions, World._key_clients, World._key_counts = (  # type: ignore[attr-defined]
    _key_sessions, _key_clients, _key_counts)
_copy_session, _key_session = derive(Session, Session.EXPLORED)  # type: ignore[attr-defined]
_copy_client, _key_client = derive(Client, Client.EXPLORED)  # type: ignore[attr-defined]
_copy_world, _key_world = derive(World, World.EXPLORED)  # type: ignore[attr-defined]
_copy_attempt = Attempt.copy_fields  # type: ignore[attr-defined]


class Keys:
    """The key functions of one exploration: the declared ones, less what its scenario and strategy
    can never read. ``attempt_number``: whether any step reads an attempt's number (a scripted send
    forces a fault on its first attempt, or the strategy reads ``attempt.n``). ``history``: whether
    a session's past versions can be read (a stream resumed from its last event id)."""

    def __init__(self, attempt_number: bool = True, history: bool = True):
        self.history = history
        fields = dict(Attempt.EXPLORED)  # type: ignore[attr-defined]
        if attempt_number:
            self.attempt_n = Attempt._key_n  # type: ignore[attr-defined]
        else:
            fields["n"] = field(key=OUT, why="no scripted fault and a strategy that never reads it")
            self.attempt_n = _no_n
        self.attempt = derive(Attempt, fields)[1]
        self.session, self.client, self.world = _key_session, _key_client, _key_world


def clone_world(world: World, obs: Observer, attempts: dict, share_sessions: bool = False) -> World:
    """A copy of ``world`` that shares nothing mutable with it; ``attempts`` maps old → new attempts.

    ``share_sessions``: the copy shares ``world``'s sessions, which only commits, flag changes and
    stream openings and closings change; whoever may cause one first calls :func:`own_sessions`."""
    new = _copy_world(world)
    new.obs = obs
    sessions = world.sessions if share_sessions else {name: _copy_session(s)
                                                       for name, s in world.sessions.items()}
    new.sessions = sessions
    clients = []
    for cl in world.clients:
        c = _copy_client(cl)
        c.session = sessions[cl.session.name]
        c.strategy = cl.strategy.clone()
        c.strategy.session = SessionView(c.session)
        c.outstanding = {s: copy_attempt(a, attempts) for s, a in cl.outstanding.items()}
        clients.append(c)
    new.clients = clients
    new._strategies_with_pending = [c.strategy for c in clients
                                    if type(c.strategy).has_pending is not Strategy.has_pending]
    return new


def own_sessions(world: World) -> None:
    """Give ``world`` sessions of its own (copies), before a step may change them."""
    sessions = {name: _copy_session(s) for name, s in world.sessions.items()}
    world.sessions = sessions
    for c in world.clients:
        c.session = sessions[c.session.name]
        c.strategy.session = SessionView(c.session)


def copy_attempt(a: Attempt, memo: dict) -> Attempt:
    new = memo.get(id(a))
    if new is None:
        new = memo[id(a)] = _copy_attempt(a)
    return new


_FULL_KEYS = Keys()


def attempt_key(a: Attempt, K: Keys = _FULL_KEYS) -> tuple:
    return K.attempt(a, K)


def world_key(world: World, K: Keys = _FULL_KEYS) -> tuple:
    """Everything about the system that can influence what happens next (times excluded)."""
    return _key_world(world, K)
