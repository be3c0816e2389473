"""The client half of the system for live runs: strategies fed from the wire, as the model feeds them.

``ClientSide`` is the live twin of the client handlers of ``model.system.World`` (user sends, POST
answers, timeouts, retries, SSE deliveries, disconnects and reconnects), with the same trace records
in the same order; the server is elsewhere (an ASGI app, or another process). A strategy reads its
session through a ``Replica``: the messages its client has received, never the server's state.
"""

from __future__ import annotations

from model.client_half import OPEN, ClientHalf
from model.config import Scenario
from model.observe import Observer
from model.strategies import SessionView, Strategy
from model.vocab import ANSWERED, AWAITING, Attempt, Dropped, Event, Message, Reconnect


class Replica:
    """What a client knows of its session (``name``, ``log``, ``by_cmid``: the strategy's read-only
    session), filled from the states it received. Unknown positions of the log are None."""

    __slots__ = ("by_cmid", "log", "name")

    def __init__(self, name: str):
        self.name = name
        self.log: list = []
        self.by_cmid: dict[str, int] = {}

    def learn(self, messages) -> None:
        log = self.log
        for m in messages:
            i = m.index
            if i >= len(log):
                log.extend([None] * (i + 1 - len(log)))
            log[i] = Message(i, m.sender, m.content, m.cmid, None, None)
            if m.cmid is not None:
                self.by_cmid[m.cmid] = i


class Host:
    """One simulated client: its strategy, its connection state and the attempts it awaits."""

    __slots__ = ("closed", "conn", "connected", "index", "last_version", "last_view", "outstanding",
                 "refuse", "replica", "session", "strategy")

    def __init__(self, index: int, session: str, strategy: Strategy, replica: Replica):
        self.index, self.session, self.strategy, self.replica = index, session, strategy, replica
        # last_version: the Last-Event-ID its EventSource holds (None before its first event);
        # closed, refuse: as model.system.Client's (SPEC §2.4 v3.2)
        self.connected, self.conn, self.last_version = True, 0, None
        self.closed, self.refuse = OPEN, 0
        self.outstanding: dict[int, Attempt] = {}
        self.last_view = strategy.view


class ClientSide(ClientHalf):
    """Every client of a scenario; ``pending`` counts the work of SPEC §2.6 that the live run adds to."""

    def __init__(self, scenario: Scenario, strategy_cls: type, obs: Observer):
        self.scenario, self.obs = scenario, obs
        self.clients: list[Host] = []
        for i, cc in enumerate(scenario.clients):
            replica = Replica(cc.session)
            strategy = strategy_cls(i, SessionView(replica), scenario.strategy_options,
                                    scenario.server.max_message_length)
            self.clients.append(Host(i, cc.session, strategy, replica))
        self.strategy_name = getattr(strategy_cls, "name", strategy_cls.__name__)
        self.sends: list[tuple[int, str]] = []
        self.send_specs: dict[int, object] = {}
        self.cmids: dict[str, int] = {}  # client message id -> send (to match a server's messages)
        self.attempts = 0
        self.pending = 0
        self.timers: set[tuple[int, int]] = set()
        self._counts: dict[tuple[int, int], int] = {}
        self._with_pending = [h.strategy for h in self.clients
                              if type(h.strategy).has_pending is not Strategy.has_pending]
        obs.config(scenario.name, self.strategy_name, scenario.seed, [c.session for c in scenario.clients])

    def quiescent(self) -> bool:
        return not self.pending and not any(s.has_pending() for s in self._with_pending)

    # --- inputs -------------------------------------------------------------------------------
    def user_send(self, t: float, client: int, content: str, spec=None) -> list:
        send = len(self.sends)
        self.sends.append((client, content))
        if spec is not None:
            self.send_specs[send] = spec
        self.obs.send(t, client, send, content)
        c = self.clients[client]
        return self._client(t, c, "send", c.strategy.on_send(t, send, content))

    def response(self, t: float, a: Attempt, status: int, body, messages) -> list:
        if a.state != AWAITING:
            return []
        c = self.clients[a.client]
        a.state = ANSWERED
        self.pending -= 1
        c.outstanding.pop(a.send, None)
        self.obs.response(t, c.index, a.send, a.n, status)
        if messages:
            c.replica.learn(messages)
        return self._client(t, c, "response", c.strategy.on_response(t, a, status, body))

    def deliver(self, t: float, client: int, conn: int, event: Event, messages) -> list:
        """An SSE event reaches the client (its ``pending`` was counted when it was pushed)."""
        self.pending -= 1
        c = self.clients[client]
        c.last_version = event.version
        self.obs.deliver(t, client, conn, event.version)
        c.replica.learn(messages)
        return self._client(t, c, "sse", c.strategy.on_event(t, event))

    def disconnect(self, t: float, client: int, refuse: int = 0) -> list:
        c = self.clients[client]
        if not c.connected:
            return []  # nothing happens, and no refusal count is set
        c.connected = False
        if refuse:
            c.refuse = refuse
        self.pending += 1
        self.obs.disconnect(t, client, c.conn, len(c.outstanding))
        out = self._client(t, c, "close", c.strategy.on_close(t))
        return out + [Dropped(client, c.conn), Reconnect(client, self.scenario.sse.reconnect_delay)]

    def reconnecting(self, t: float, client: int, refused: bool = False):
        """The reconnection starts, in ``model.system.World.reconnect``'s order: (new connection
        number, Last-Event-ID or None, snapshot first?, refused?, the strategy's effects if refused).
        A refused one opens no stream (the server answers it 503)."""
        c = self.clients[client]
        _resume, refusal = self.reconnect_starts(t, c, refused)
        refused = refusal is not None
        return c.conn, c.last_version, c.strategy.asks_snapshot, refused, refusal if refused else []

    def opened(self, t: float, client: int) -> list:
        c = self.clients[client]
        return self._client(t, c, "open", c.strategy.on_open(t))

    # --- the strategy effects (ClientHalf) ---------------------------------------------------
    def _attempt(self, t: float, c: Host, post) -> Attempt:
        a = super()._attempt(t, c, post)
        if a.cmid is not None:
            self.cmids[a.cmid] = a.send  # to match the server's messages to sends
        return a
