"""The scenario as a transition system for the explorer: its state (``Node``: the World, the
checkers' state and the network in flight), its key, its enabled steps and their successors.

Untimed (SPEC §1.3): every enabled step may come next. The same World handlers and Monitor checkers as
the simulator are driven here; this module only enumerates steps and keeps the network in flight. The
search over it is ``simulations.explore.explorer`` (one process) and ``parallel`` (several).
"""

from __future__ import annotations

from typing import Any, ClassVar

from model.checkers.clone import client_key, own_mirrors
from model.compiled import mypyc_attr
from model.config import Scenario
from model.errors import InputError
from model.explored import PART, SORTED, derive, field
from model.invariants import Monitor, clone_monitor, monitor_key
from model.plugins import resolve_strategy
from model.strategies import BUILTIN, Strategy, knows_undecided, reads
from model.system import World
from model.vocab import AWAITING, TIMED_OUT, Driver, drive
from model.world_state import Keys, clone_world, copy_attempt, own_sessions
from simulations.explore.steps import describe, describe_path, replay  # noqa: F401 - re-exported


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class Net:
    """What is in flight between the parts, and the explorer's own bounds.

    The SSE queues (tuples in a dict), the assistant's work and the reconnecting clients are written
    by replacement, never in place: a copy shares them (``Net.EXPLORED``). The requests and
    responses hold attempts, which steps write, and are rebuilt by ``Node.clone``."""

    __slots__ = ("assistant", "disconnects", "done", "drained", "next_send", "quiet", "reconnecting",
                 "refusals", "requests", "responses", "sse", "timeouts")

    EXPLORED: ClassVar[dict]  # the explored state's declaration (model.explored), set below

    def __init__(self):
        self.requests: list = []  # attempts travelling to the server
        self.responses: list = []  # (attempt, status, body)
        self.sse: dict = {}  # (client, conn) -> (events), FIFO
        self.drained: dict = {}  # (client, conn) -> (events) of dropped streams
        self.assistant: tuple = ()  # ("think"|"reply", session, content)
        self.reconnecting: tuple = ()  # clients that will reconnect
        self.disconnects = 0
        self.refusals = 0  # reconnects refused, counted against [explore].max_refusals
        self.timeouts = 0  # POST timeouts fired, counted only under [explore].max_timeouts
        self.next_send = 0
        self.quiet = True
        self.done = False

    def _key_requests(self, K) -> tuple:
        if not self.requests:
            return ()
        attempt = K.attempt
        return tuple(sorted([attempt(a, K) for a in self.requests]))

    def _key_responses(self, K) -> tuple:
        if not self.responses:
            return ()
        attempt = K.attempt
        if K.body:  # an Event equals, and hashes as, the plain tuple of its fields
            return tuple(sorted([(attempt(a, K), s, b) for a, s, b in self.responses]))
        return tuple(sorted([(attempt(a, K), s) for a, s, _b in self.responses]))

    # A client of a symmetry group (K.grouped) is keyed in its group's block (Node.key), not here.
    def _key_sse(self, K) -> tuple:
        return _key_queues(self.sse, K.grouped) if self.sse else ()

    def _key_drained(self, K) -> tuple:
        return _key_queues(self.drained, K.grouped) if self.drained else ()

    def _key_reconnecting(self, K) -> tuple:
        grouped = K.grouped
        return tuple(sorted([c for c in self.reconnecting if c not in grouped])) if self.reconnecting else ()

    def client_key(self, c: int) -> tuple:
        """What is in flight for client ``c``: its SSE queues by connection, its drained ones, and
        whether it will reconnect."""
        return (_client_queues(self.sse, c), _client_queues(self.drained, c), self.reconnecting.count(c))


def _key_queues(queues: dict, grouped: frozenset) -> tuple:
    """The non-empty event queues (tuples of events) by ``(client, conn)``, sorted; those of
    ``grouped`` clients left out."""
    return tuple(sorted([(k, v) for k, v in queues.items() if v and k[0] not in grouped]))


def _client_queues(queues: dict, c: int) -> tuple:
    """Client ``c``'s non-empty event queues by connection, as :func:`_key_queues` keys them."""
    return tuple(sorted([(k[1], v) for k, v in queues.items() if v and k[0] == c]))


Net.EXPLORED = {  # type: ignore[attr-defined]
    "requests": field(PART, "method:_key_requests"),
    "responses": field(PART, "method:_key_responses"),
    "sse": field(key="method:_key_sse"),
    "drained": field(key="method:_key_drained"),
    "assistant": field(key=SORTED), "reconnecting": field(key="method:_key_reconnecting"),
    "disconnects": field(), "refusals": field(), "timeouts": field(), "next_send": field(), "quiet": field(), "done": field(),
}
_copy_net, _key_net = derive(Net, Net.EXPLORED)  # type: ignore[attr-defined]


class ExploredKeys(Keys):
    """The key functions of one exploration (``model.world_state.Keys``) plus the network's: response
    bodies are left out for a strategy that never reads them (``Strategy.reads_body``)."""

    def __init__(self, attempt_number: bool = True, body: bool = True, history: bool = True,
                 prune: bool = False, groups: tuple = (), views: bool = True, ids: bool = True,
                 known: bool = True):
        super().__init__(attempt_number, history, prune, groups, views, ids, known)
        self.body = body


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
class Node:
    """One explored state: the world, the checkers' state and the network."""

    __slots__ = ("depth", "monitor", "net", "world")

    def __init__(self, world, monitor, net, depth):
        self.world, self.monitor, self.net, self.depth = world, monitor, net, depth

    def clone(self, share: bool = False) -> Node:
        """A copy sharing nothing mutable; ``share``: it shares the sessions and the checkers' mirrors
        until ``Model.advance`` takes a step that may change them (copy on write)."""
        memo: dict = {}
        monitor = clone_monitor(self.monitor, share)
        world = clone_world(self.world, monitor, memo, share)
        n = self.net
        net = _copy_net(n)
        net.requests = [copy_attempt(a, memo) for a in n.requests] if n.requests else []
        net.responses = [(copy_attempt(a, memo), s, b) for a, s, b in n.responses] if n.responses else []
        return Node(world, monitor, net, self.depth + 1)

    def fingerprint(self, K: ExploredKeys) -> int:
        """A 64-bit fingerprint of the state's key under ``K``: Python's ``hash`` of the key in which
        each session and client is its cached key hash (``Keys.with_part_hashes``), so the parts a
        step left alone are not keyed again and nothing is pickled. Like any ``hash`` of strings it
        is the same only within one process and the processes it forks (``parallel.py`` forks; a
        spawned worker uses :func:`portable_fingerprint`)."""
        return hash(self.key(K.hashing)) & _MASK64

    def key(self, K: ExploredKeys | None = None) -> tuple:
        K = FULL_KEYS if K is None else K
        m = self.monitor
        K.quiet = self.net.quiet
        if K.prune:  # the sends whose checker entries can still change a verdict (Keys.prune)
            K.live = _live_sends(self) if m.failed or m.ghosted or any(m.gone) else None
        key = (K.world(self.world, K), monitor_key(m, K), _key_net(self.net, K))
        if K.groups:
            return (*key, _group_blocks(self, K))
        return key


def _live_sends(node: Node) -> set | None:
    """The sends that may still commit, be shown failed, or be posted again: a request in flight,
    an attempt awaited, a retry timer armed, or one its client's strategy has not decided (None:
    a strategy cannot tell, so every send's entries stay)."""
    world = node.world
    live = {a.send for a in node.net.requests}
    for c in world.clients:
        if c.outstanding:
            live.update(c.outstanding)
        undecided = c.strategy.undecided()
        if undecided is None:
            return None
        if undecided:
            live.update(undecided)
    for _client, send in world.timers:
        live.add(send)
    return live


def _group_blocks(node: Node, K: ExploredKeys) -> tuple:
    """Client symmetry: each group of interchangeable clients as the sorted tuple of its clients'
    blocks (everything the key holds about a client), the same for every renaming in the group."""
    world, monitor, net = node.world, node.monitor, node.net
    client = K.client
    out = []
    for group in K.groups:
        blocks = []
        for c in group:
            cl = world.clients[c]
            blocks.append((client(cl, K), client_key(monitor, c, K),
                           tuple([conn for k, conn in cl.session.streams if k == c]), net.client_key(c)))
        blocks.sort()  # built-in strategies only (symmetry_groups): like values at every place
        out.append(tuple(blocks))
    return tuple(out)


FULL_KEYS = ExploredKeys()


# The steps that may change a session (a commit, a flag change, a stream opened or closed) and so
# the checkers' mirrors: before one, a node takes copies of its own (Node.clone shares them).
_WRITES_SESSIONS = frozenset(("arrive", "assistant", "disconnect", "reconnect", "refuse"))
# The steps of the client ``action[1]`` (a send's and a response's client are found in the step).
_CLIENT_STEP = frozenset(("timeout", "deliver", "drain", "retry", "reconnect", "refuse", "disconnect"))
_MASK64 = (1 << 64) - 1


class Model:
    """The scenario as a transition system: ``initial()``, ``actions(node)``, ``step(node, action)``."""

    def __init__(self, scenario: Scenario, strategy: str | None = None, *, symmetry: bool = False,
                 prune: bool = True):
        self.scenario = scenario
        self.strategy_cls = cls = resolve_strategy(strategy or scenario.strategy, scenario.source)
        self.faults = scenario.explore.faults
        self.max_disconnects = scenario.explore.max_disconnects
        self.max_refusals = scenario.explore.max_refusals if self.max_disconnects > 0 else 0
        self.max_timeouts = scenario.explore.max_timeouts  # None: any POST may time out
        self.sends = scenario.sends
        # The checkers' counts just before the last quiescence checks a step ran (``advance``): what
        # the step raised itself, told apart from what the checks of every session raised
        # (``simulations.explore.sessions``).
        self.settling: Any = None
        # The key leaves out what no step of this scenario and strategy can read (README: What the
        # explored key leaves out): response bodies, for a strategy that never reads them; attempt
        # numbers, unless the strategy reads them or a scripted send forces a fault on its first;
        # a session's past versions and a client's last delivered version, unless a stream can
        # resume from its last event id; the checkers' entries of sends that can no longer change
        # a verdict (``prune``, where the strategy tells its undecided sends); the checkers' copy of
        # each view, where the strategy's derived key holds it. ``symmetry``: interchangeable
        # clients are keyed up to a renaming (README: Client symmetry).
        forced = any(spec.fault for spec in scenario.sends)
        view = cls.EXPLORED.get("view")
        derived_view = cls.state_key is Strategy.state_key and view is not None and view.key is not None
        self.groups = symmetry_groups(scenario, cls) if symmetry else ()
        options: dict[str, Any] = {"attempt_number": forced or reads(cls, "reads_attempt_number"),
                       "body": reads(cls, "reads_body"),
                       "history": scenario.sse.resume == "last-event-id" and self.max_disconnects > 0,
                       "ids": self.max_disconnects > 0 and not cls.asks_snapshot
                       and scenario.sse.resume != "snapshot-always",
                       "known": cls not in BUILTIN.values(),
                       "prune": prune and knows_undecided(cls), "groups": self.groups,
                       "views": not derived_view}
        self.keys = ExploredKeys(**options)
        self.keys.hashing = ExploredKeys(**options).part_hashing()  # what Node.fingerprint keys with

    def initial(self, monitor: Monitor | None = None, obs=None) -> Node:
        """The start state. ``obs`` may be an observer that forwards to ``monitor`` (a trace
        writer, for a replay that records its trace; a copied node observes its own monitor)."""
        monitor = Monitor() if monitor is None else monitor
        world = World(self.scenario, self.strategy_cls, monitor if obs is None else obs)
        world.untimed = True
        _check_declared(world)
        node = Node(world, monitor, Net(), 0)
        self._apply(node, world.start(0.0))  # snapshot-always: the t = 0 snapshots
        node.net.quiet = world.pending == 0
        return node

    def actions(self, node: Node) -> list[tuple]:
        """Every enabled step, in a deterministic order."""
        net, world = node.net, node.world
        if net.done:
            return []
        acts: list[tuple] = []
        if net.next_send < len(self.sends):
            acts.append(("send", net.next_send))
        for i, a in enumerate(net.requests):
            spec = world.send_specs.get(a.send) if a.n == 1 else None
            faults = (spec.fault,) if spec is not None and spec.fault else self.faults
            for f in faults:
                acts.append(("arrive", i, f))
        for i, (a, _s, _b) in enumerate(net.responses):
            acts.append(("response", i))
        if self.max_timeouts is None or net.timeouts < self.max_timeouts:
            for c in world.clients:
                for send in sorted(c.outstanding):
                    acts.append(("timeout", c.index, send))
        for key in sorted(net.sse):
            if net.sse[key]:
                acts.append(("deliver", key[0], key[1]))
        for key in sorted(net.drained):
            if net.drained[key]:
                acts.append(("drain", key[0], key[1]))
        for client, send in sorted(world.timers):
            acts.append(("retry", client, send))
        for i in range(len(net.assistant)):
            acts.append(("assistant", i))
        refusable = net.refusals < self.max_refusals
        for c in sorted(set(net.reconnecting)):  # ([[events]] and their refuse counts are not explored)
            acts.append(("reconnect", c))
            if refusable:
                acts.append(("refuse", c))
        if net.disconnects < self.max_disconnects:
            for c in world.clients:
                if c.connected:
                    acts.append(("disconnect", c.index))
        return acts

    def step(self, node: Node, action: tuple) -> Node:
        """The successor of ``node`` under ``action`` (``node`` is left unchanged)."""
        return self.advance(node.clone(share=True), action)

    def advance(self, new: Node, action: tuple) -> Node:
        """Take ``action`` in ``new`` itself, whose depth is already the successor's; return it.

        The explorer uses it on the last successor of a node it will not look at again, saving
        that copy, and a replay on its one node (which keeps the replay's trace writer).
        """
        world, net, t = new.world, new.net, float(new.depth)
        kind = action[0]
        if kind in _WRITES_SESSIONS:  # copy on write: the sessions and mirrors may be shared
            own_sessions(world)
            own_mirrors(new.monitor)
        # The client this step may write forgets its cached key hash (Keys.with_part_hashes); a
        # server step (an arrival, the assistant) writes no client, and sessions forget theirs when
        # copied on write (own_sessions). tests/test_part_keys.py checks every state for a stale cache.
        if kind in _CLIENT_STEP:
            world.clients[action[1]]._kh = None
        if kind == "send":
            spec = self.sends[action[1]]
            net.next_send += 1
            world.clients[spec.client]._kh = None
            effects = world.user_send(t, spec.client, spec.content, spec)
        elif kind == "arrive":
            a = net.requests.pop(action[1])
            a.fault = action[2]
            effects = world.server_receive(t, a)
        elif kind == "response":
            a, status, body = net.responses.pop(action[1])
            world.clients[a.client]._kh = None
            effects = world.client_response(t, a, status, body)
        elif kind == "timeout":
            if self.max_timeouts is not None:
                net.timeouts += 1
            effects = world.client_timeout(t, world.clients[action[1]].outstanding[action[2]])
        elif kind == "deliver":
            key = (action[1], action[2])
            queue = net.sse[key]
            net.sse = {**net.sse, key: queue[1:]}
            effects = world.sse_deliver(t, action[1], action[2], queue[0])
        elif kind == "drain":
            key = (action[1], action[2])
            queue = net.drained[key]
            net.drained = {**net.drained, key: queue[1:]}
            effects = world.sse_deliver(t, action[1], action[2], queue[0])
        elif kind == "retry":
            effects = world.client_retry(t, action[1], action[2])
        elif kind == "assistant":
            i = action[1]
            what, session, content = net.assistant[i]
            net.assistant = net.assistant[:i] + net.assistant[i + 1:]
            handler = world.assistant_think if what == "think" else world.assistant_reply
            effects = handler(t, session, content)
        elif kind == "reconnect":
            net.reconnecting = _without(net.reconnecting, action[1])
            effects = world.reconnect(t, action[1])
        elif kind == "refuse":
            net.reconnecting = _without(net.reconnecting, action[1])
            net.refusals += 1
            effects = world.reconnect(t, action[1], True)
        elif kind == "disconnect":
            net.disconnects += 1
            effects = world.disconnect(t, action[1])
        else:
            raise AssertionError(action)
        self._apply(new, effects)
        self._collect(new)
        if world.pending == 0 and world.quiescent():
            self.settling = new.monitor.counts.copy()  # before the checks that read every session
            if not net.quiet:  # becomes quiescent (SPEC §3), as in the simulator
                world.obs.quiescent(t)
            net.quiet = True
            if net.next_send >= len(self.sends):
                net.done = True
                world.obs.end(t, True)
        else:
            net.quiet = False
        return new

    def _apply(self, node: Node, effects) -> None:
        drive(_Network(node.net, node.world, self.scenario.sse.old_stream_drains), float(node.depth), effects)

    def _collect(self, node: Node) -> None:
        """Drop what can no longer change anything, so that unbounded retries stay finite.

        A response nobody awaits is ignored on delivery. A request whose attempt carries a deadline
        and has timed out is refused as expired on arrival (untimed rule, SPEC §1), and its answer
        goes to nobody: its arrival is a no-op, taken now.
        """
        net = node.net
        if net.responses:
            net.responses = [r for r in net.responses if r[0].state == AWAITING]
        if net.requests:
            dead = [a for a in net.requests if a.deadline is not None and a.state == TIMED_OUT]
            if dead:
                net.requests = [a for a in net.requests if not (a.deadline is not None
                                                                and a.state == TIMED_OUT)]
                node.world.pending -= len(dead)


def symmetry_groups(scenario: Scenario, strategy_cls: type) -> tuple:
    """The groups (two clients or more) of interchangeable clients: the same client configuration
    (so the same session), named by no scripted send, under a built-in strategy. Renaming clients
    within a group then maps the transition system onto itself (README: Client symmetry)."""
    if strategy_cls not in BUILTIN.values():
        return ()  # a plug-in may treat clients by their index
    senders = {spec.client for spec in scenario.sends}
    groups: dict = {}
    for i, cc in enumerate(scenario.clients):
        if i not in senders:
            groups.setdefault(cc, []).append(i)
    return tuple(tuple(g) for g in groups.values() if len(g) > 1)


def _check_declared(world: World) -> None:
    """A strategy must declare every field it holds (``Strategy.EXPLORED``): the explorer copies and
    keys only declared fields, so an undeclared one would be lost or merge distinct states."""
    strategy = world.clients[0].strategy if world.clients else None
    if strategy is None:
        return
    cls: Any = type(strategy)  # a plug-in's class, read through Python attribute lookup
    if cls.clone is not Strategy.clone and cls.state_key is not Strategy.state_key:
        return  # the strategy copies and keys itself
    missing = strategy.undeclared()
    if missing:
        raise InputError("strategy", None, f"{cls.__module__}:{cls.__qualname__} holds "
                         f"{', '.join(sorted(missing))} but its EXPLORED does not declare "
                         f"{'it' if len(missing) == 1 else 'them'} (README: Plug-in strategies)")


class _Network(Driver):
    """The explorer's driver: a driver effect becomes work in flight, which enables a step.

    Times and backoffs are abstracted away (SPEC §1.3): any step in flight may come next.
    """

    __slots__ = ("drains", "net", "world")

    def __init__(self, net: Net, world: World, drains: bool):
        self.net, self.world, self.drains = net, world, drains

    def request(self, t: float, attempt):
        self.world.obs.post(t, attempt.client, attempt.send, attempt.n, attempt.fault or "?")
        self.net.requests.append(attempt)

    def respond(self, t: float, attempt, status, body):
        self.net.responses.append((attempt, status, body))

    # The network's queues are written by replacement (Net).
    def push(self, t: float, event, conns):
        net = self.net
        sse = net.sse.copy()
        for key in conns:
            sse[key] = (*sse.get(key, ()), event)
        net.sse = sse

    def think(self, t: float, session, delay, content):
        self.net.assistant = (*self.net.assistant, ("think", session, content))

    def reply(self, t: float, session, content, delay):
        self.net.assistant = (*self.net.assistant, ("reply", session, content))

    def reconnect(self, t: float, client, delay):
        self.net.reconnecting = (*self.net.reconnecting, client)

    def dropped(self, t: float, client, conn):
        net, key = self.net, (client, conn)
        q = net.sse.get(key, ())
        if key in net.sse:
            net.sse = {k: v for k, v in net.sse.items() if k != key}
        if q and self.drains:
            net.drained = {**net.drained, key: net.drained.get(key, ()) + q}
        elif q:
            self.world.sse_lost(len(q))

    def backoff(self, t: float, client, send, delay: float):
        pass  # world.timers holds the armed retry timers



def _without(values: tuple, value) -> tuple:
    """``values`` less its first ``value``."""
    i = values.index(value)
    return values[:i] + values[i + 1:]

