"""Exhaustive bounded exploration: breadth-first over every interleaving of the model's steps.

Untimed (SPEC §1.3): every enabled step may come next. States are deduplicated, so the first path
that violates an invariant is a shortest one. The same World handlers and Monitor checkers as the
simulator are driven here; this module only enumerates steps and keeps the network in flight.
"""

from __future__ import annotations

import gc
import io
import pickle
import time
from array import array
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from hashlib import blake2b

from model.checkers.clone import own_mirrors
from model.config import Scenario
from model.errors import InputError
from model.explored import COPY, COPY2, PART, SORTED, derive, field
from model.invariants import INVARIANTS, Monitor, clone_monitor, monitor_key
from model.strategies import Strategy, reads, resolve_strategy
from model.system import World
from model.world_state import Keys, clone_world, copy_attempt, own_sessions
from model.vocab import AWAITING, TIMED_OUT, Driver, drive
from simulations.explore.reduction import NO_SLEEP, ample, idents, independent
from simulations.explore.reduction import applicable as ample_applicable
from simulations.explore.store import FingerprintSet, Frontier, Packer


class Net:
    """What is in flight between the parts, and the explorer's own bounds."""

    __slots__ = ("assistant", "disconnects", "done", "drained", "next_send", "quiet", "reconnecting",
                 "requests", "responses", "sse")

    def __init__(self):
        self.requests: list = []  # attempts travelling to the server
        self.responses: list = []  # (attempt, status, body)
        self.sse: dict = {}  # (client, conn) -> [events], FIFO
        self.drained: dict = {}  # (client, conn) -> [events] of dropped streams
        self.assistant: list = []  # ("think"|"reply", session, content)
        self.reconnecting: list = []  # clients that will reconnect
        self.disconnects = 0
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
        if K.body:  # events as plain tuples: equal, and far cheaper to fingerprint than NamedTuples
            return tuple(sorted([(attempt(a, K), s, tuple(b)) for a, s, b in self.responses]))
        return tuple(sorted([(attempt(a, K), s) for a, s, _b in self.responses]))

    def _key_sse(self, K) -> tuple:
        return tuple(sorted([(k, tuple(map(tuple, v))) for k, v in self.sse.items() if v])) if self.sse else ()

    def _key_drained(self, K) -> tuple:
        return tuple(sorted([(k, tuple(map(tuple, v))) for k, v in self.drained.items() if v])) \
            if self.drained else ()


Net.EXPLORED = {  # type: ignore[attr-defined]
    "requests": field(PART, "method:_key_requests"),
    "responses": field(PART, "method:_key_responses"),
    "sse": field(COPY2, "method:_key_sse"),
    "drained": field(COPY2, "method:_key_drained"),
    "assistant": field(COPY, SORTED), "reconnecting": field(COPY, SORTED),
    "disconnects": field(), "next_send": field(), "quiet": field(), "done": field(),
}
_copy_net, _key_net = derive(Net, Net.EXPLORED)  # type: ignore[attr-defined]


class ExploredKeys(Keys):
    """The key functions of one exploration (``model.system.Keys``) plus the network's: response
    bodies are left out for a strategy that never reads them (``Strategy.reads_body``)."""

    def __init__(self, attempt_number: bool = True, body: bool = True, history: bool = True):
        super().__init__(attempt_number, history)
        self.body = body


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
        net.requests = [copy_attempt(a, memo) for a in n.requests]
        net.responses = [(copy_attempt(a, memo), s, b) for a, s, b in n.responses]
        return Node(world, monitor, net, self.depth + 1)

    def key(self, K: ExploredKeys | None = None) -> tuple:
        K = FULL_KEYS if K is None else K
        return (K.world(self.world, K), monitor_key(self.monitor, K), _key_net(self.net, K))


FULL_KEYS = ExploredKeys()


# The steps that may change a session (a commit, a flag change, a stream opened or closed) and so
# the checkers' mirrors: before one, a node takes copies of its own (Node.clone shares them).
_WRITES_SESSIONS = frozenset(("arrive", "assistant", "disconnect", "reconnect"))


class Model:
    """The scenario as a transition system: ``initial()``, ``actions(node)``, ``step(node, action)``."""

    def __init__(self, scenario: Scenario, strategy: str | None = None):
        self.scenario = scenario
        self.strategy_cls = resolve_strategy(strategy or scenario.strategy, scenario.source)
        self.faults = scenario.explore.faults
        self.max_disconnects = scenario.explore.max_disconnects
        self.sends = scenario.sends
        # The key leaves out what no step of this scenario and strategy can read (README: What the
        # explored key leaves out): response bodies, for a strategy that never reads them; attempt
        # numbers, unless the strategy reads them or a scripted send forces a fault on its first;
        # a session's past versions, unless a stream can resume from its last event id.
        forced = any(spec.fault for spec in scenario.sends)
        self.keys = ExploredKeys(attempt_number=forced or reads(self.strategy_cls, "reads_attempt_number"),
                                 body=reads(self.strategy_cls, "reads_body"),
                                 history=scenario.sse.resume == "last-event-id" and self.max_disconnects > 0)

    def initial(self, monitor: Monitor | None = None, obs=None) -> Node:
        """The start state. ``obs`` may be an observer that forwards to ``monitor`` (a trace
        writer, for a replay that records its trace; a copied node observes its own monitor)."""
        monitor = Monitor() if monitor is None else monitor
        world = World(self.scenario, self.strategy_cls, monitor if obs is None else obs)
        world.untimed = True
        _check_declared(world)
        return Node(world, monitor, Net(), 0)

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
        for c in sorted(set(net.reconnecting)):
            acts.append(("reconnect", c))
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
        if kind == "send":
            spec = self.sends[action[1]]
            net.next_send += 1
            effects = world.user_send(t, spec.client, spec.content, spec)
        elif kind == "arrive":
            a = net.requests.pop(action[1])
            a.fault = action[2]
            effects = world.server_receive(t, a)
        elif kind == "response":
            a, status, body = net.responses.pop(action[1])
            effects = world.client_response(t, a, status, body)
        elif kind == "timeout":
            effects = world.client_timeout(t, world.clients[action[1]].outstanding[action[2]])
        elif kind == "deliver":
            event = net.sse[(action[1], action[2])].pop(0)
            effects = world.sse_deliver(t, action[1], action[2], event)
        elif kind == "drain":
            event = net.drained[(action[1], action[2])].pop(0)
            effects = world.sse_deliver(t, action[1], action[2], event)
        elif kind == "retry":
            effects = world.client_retry(t, action[1], action[2])
        elif kind == "assistant":
            what, session, content = net.assistant.pop(action[1])
            handler = world.assistant_think if what == "think" else world.assistant_reply
            effects = handler(t, session, content)
        elif kind == "reconnect":
            net.reconnecting.remove(action[1])
            effects = world.reconnect(t, action[1])
        elif kind == "disconnect":
            net.disconnects += 1
            effects = world.disconnect(t, action[1])
        else:
            raise AssertionError(action)
        self._apply(new, effects)
        self._collect(new)
        if world.pending == 0 and world.quiescent():
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


def _check_declared(world: World) -> None:
    """A strategy must declare every field it holds (``Strategy.EXPLORED``): the explorer copies and
    keys only declared fields, so an undeclared one would be lost or merge distinct states."""
    strategy = world.clients[0].strategy if world.clients else None
    if strategy is None:
        return
    cls = type(strategy)
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

    def request(self, t, attempt):
        self.world.obs.post(t, attempt.client, attempt.send, attempt.n, attempt.fault or "?")
        self.net.requests.append(attempt)

    def respond(self, t, attempt, status, body):
        self.net.responses.append((attempt, status, body))

    def push(self, t, event, conns):
        sse = self.net.sse
        for key in conns:
            sse.setdefault(key, []).append(event)

    def think(self, t, session, delay, content):
        self.net.assistant.append(("think", session, content))

    def reply(self, t, session, content, delay):
        self.net.assistant.append(("reply", session, content))

    def reconnect(self, t, client, delay):
        self.net.reconnecting.append(client)

    def dropped(self, t, client, conn):
        q = self.net.sse.pop((client, conn), [])
        if q and self.drains:
            self.net.drained.setdefault((client, conn), []).extend(q)
        elif q:
            self.world.sse_lost(len(q))

    def backoff(self, t, client, send, delay):
        pass  # world.timers holds the armed retry timers


@dataclass
class Exploration:
    scenario: str
    strategy: str
    states: int
    transitions: int
    complete: bool
    seconds: float
    violations: dict  # invariant -> list of step labels (shortest counterexample) or None
    paths: dict  # invariant -> list of actions
    max_depth: int = 0
    sometimes: set = dataclass_field(default_factory=set)
    reduced: bool = False  # sleep sets
    ample: bool = False  # persistent (ample) sets
    collision_probability: float | None = None  # None: full keys, no fingerprints
    workers: int = 1  # processes that shared the search (parallel.py)
    traffic: dict | None = None  # parallel.py: fingerprints offered and children shipped between workers

    def to_json(self) -> dict:
        return {"scenario": self.scenario, "strategy": self.strategy, "states": self.states,
                "transitions": self.transitions, "complete": self.complete,
                "violations": {k: self.violations[k] for k in INVARIANTS},
                "fingerprint_collision_probability": self.collision_probability}


PROGRESS_EVERY = 4096


def fingerprint(key: tuple) -> int:
    """A 64-bit fingerprint of a state key, the same in every process (TLC's visited set holds these).

    The key is pickled without a memo (identical bytes for equal keys, whatever objects they share)
    and hashed with BLAKE2b: Python's own ``hash`` of a string differs between processes.
    """
    buffer = _BUFFER
    buffer.seek(0)
    buffer.truncate()
    _PICKLER.dump(key)
    return int.from_bytes(blake2b(buffer.getvalue(), digest_size=8).digest(), "little")


_BUFFER = io.BytesIO()
_PICKLER = pickle.Pickler(_BUFFER, 5)
_PICKLER.fast = True  # no memo: the bytes depend on the values only, not on which objects they share


def collision_probability(states: int, transitions: int) -> float:
    """TLC's estimate of the chance that two distinct states shared a fingerprint, so that one was
    never explored: ``states × (transitions − states) / 2^64`` (each of the transitions that
    reached an already-seen fingerprint could have been a new state among ``states`` others)."""
    return states * max(transitions - states, 0) / 2.0 ** 64


def explore(scenario: Scenario, strategy: str | None = None, *, max_states: int = 1_000_000,
            reduction: bool = False, progress=None, full_keys: bool = False,
            ample: bool = False, frontier_objects: int | None = None) -> Exploration:
    """Breadth-first search of every interleaving; shortest counterexample per invariant.

    ``reduction``: sleep sets skip steps that an explored sibling path already took (every state is
    still visited, at its breadth-first depth: same verdicts, same shortest counterexamples).
    ``ample``: persistent sets also skip states (same verdicts; counterexamples may be longer).

    The visited set holds 64-bit fingerprints of the canonical state keys (``full_keys``: the keys
    themselves, collision-free at a higher memory cost). Each visited state keeps only the index of
    its parent and the code of the step that reached it, for the counterexamples.
    ``progress(states, transitions)``, when given, is called every ``PROGRESS_EVERY`` states."""
    # The states are trees of containers without reference cycles, freed by reference counting:
    # the cyclic collector would only rescan the growing frontier (a quarter of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _explore(scenario, strategy, max_states, reduction, progress, full_keys, ample,
                        frontier_objects)
    finally:
        if collecting:
            gc.enable()


def _explore(scenario, strategy, max_states, sleep, progress, full_keys, ample_sets,
             frontier_objects=None) -> Exploration:
    model = Model(scenario, strategy)
    reduce = ample_sets and ample_applicable(model)
    start = time.perf_counter()
    keys = model.keys
    seal = (lambda key: key) if full_keys else fingerprint
    root = model.initial()
    root_seal = seal(root.key(keys))
    seen = {root_seal} if full_keys else FingerprintSet([root_seal])
    parents = array("q", [-1])  # state index -> its parent's index
    steps = array("i", [-1])  # state index -> the code of the step from its parent
    codes: dict = {}  # step -> code
    # (node, index, seal, only): ``only`` None expands the node; a set of step names re-expands a
    # state met again with a smaller sleep set, taking just the steps that slept there before.
    # The queue packs its states once it is large (simulations/explore/store.py).
    queue = Frontier(Packer(root), hot=frontier_objects)
    queue.append((root, 0, root_seal, None))
    sleeping: dict = {}  # seal -> the state's sleep set (absent: empty)
    waiting: set = {root_seal} if sleep else set()  # seals queued and not yet expanded
    paths: dict[str, list] = {}
    transitions = 0
    complete = True
    max_depth = 0
    table: list = []  # code -> step
    while queue:
        node, index, sealed, only = queue.popleft()
        max_depth = max(max_depth, node.depth)
        acts = model.actions(node)
        if reduce:
            acts = ample(model, node, acts)
        if sleep:
            asleep = sleeping.get(sealed, NO_SLEEP)
            if only is None:
                waiting.discard(sealed)
            names = idents(node, acts)
            todo = [(a, n) for a, n in zip(acts, names)
                    if (n is None or n not in asleep) and (only is None or n in only)]
            done: list = []
        else:
            todo = [(a, None) for a in acts]
        for (action, name), child, broken in expand(model, node, todo):
            if sleep:  # the steps asleep after this one: those independent of it
                child_sleep = frozenset([u for u in asleep if independent(u, name)]
                                        + [u for u in done if independent(u, name)])
                if name is not None:
                    done.append(name)
            transitions += 1
            for inv in broken:
                if inv not in paths:
                    paths[inv] = _path(parents, steps, table, index) + [action]
            child_seal = seal(child.key(keys))
            if child_seal in seen:
                if sleep:
                    old = sleeping.get(child_seal, NO_SLEEP)
                    if old and not old <= child_sleep:
                        # Met again with fewer steps asleep: the steps that slept there and do not
                        # sleep now must be taken (Godefroid's rule for sleep sets with a visited set).
                        if old & child_sleep:
                            sleeping[child_seal] = old & child_sleep
                        else:
                            del sleeping[child_seal]
                        if child_seal not in waiting:
                            parents.append(index)
                            steps.append(_code(codes, table, action))
                            queue.append((child, len(parents) - 1, child_seal, old - child_sleep))
                continue
            if len(seen) >= max_states:
                complete = False
                continue
            seen.add(child_seal)
            if sleep:
                waiting.add(child_seal)
                if child_sleep:
                    sleeping[child_seal] = child_sleep
            parents.append(index)
            steps.append(_code(codes, table, action))
            queue.append((child, len(parents) - 1, child_seal, None))
            if progress is not None and not len(seen) % PROGRESS_EVERY:
                progress(len(seen), transitions)
    seconds = time.perf_counter() - start
    labels = {inv: (describe_path(model, paths[inv]) if inv in paths else None) for inv in INVARIANTS}
    result = Exploration(scenario.name, getattr(model.strategy_cls, "name", strategy), len(seen),
                         transitions, complete, seconds, labels, paths, max_depth)
    result.reduced = sleep
    result.ample = reduce
    result.collision_probability = None if full_keys else collision_probability(len(seen), transitions)
    result.sometimes = set(root.monitor.sometimes)  # one set, shared by every cloned monitor
    return result


def expand(model: Model, node: Node, todo: list):
    """Take each step of ``todo`` (items whose first element is the action) from ``node``; yield
    ``(item, child, broken)``, ``broken`` the invariants whose count that step raised. The last
    child reuses ``node`` (not needed again), so ``node`` must not be read after the last yield.
    The serial search and each worker of the parallel one (``parallel.py``) expand with it."""
    last = len(todo) - 1
    for i, item in enumerate(todo):
        if i < last:
            before = node.monitor.counts
            child = model.step(node, item[0])
        else:  # the node is not needed again: its last successor reuses it
            before = dict(node.monitor.counts)
            node.depth += 1
            child = model.advance(node, item[0])
        after = child.monitor.counts
        yield item, child, [inv for inv in INVARIANTS if after[inv] > before[inv]]


def _code(codes: dict, table: list, action: tuple) -> int:
    code = codes.get(action)
    if code is None:
        code = codes[action] = len(table)
        table.append(action)
    return code


def _path(parents, steps, table: list, index: int) -> list:
    out = []
    while parents[index] >= 0:
        out.append(table[steps[index]])
        index = parents[index]
    out.reverse()
    return out


def replay(model: Model, actions: list) -> Node:
    """Run ``actions`` from the initial state; raise ValueError if one is not enabled."""
    node = model.initial()
    for i, action in enumerate(actions):
        action = tuple(action)
        if action not in model.actions(node):
            raise ValueError(f"step {i + 1} {list(action)} is not enabled there")
        node = model.step(node, action)
    return node


def describe_path(model: Model, actions: list) -> list[str]:
    """Readable one-line steps for a path, computed by replaying it."""
    node = model.initial()
    out = []
    for action in actions:
        out.append(describe(model, node, tuple(action)))
        node = model.step(node, tuple(action))
    return out


def describe(model: Model, node: Node, action: tuple) -> str:
    world, net = node.world, node.net
    kind = action[0]
    if kind == "send":
        spec = model.sends[action[1]]
        return f"user of client {spec.client} sends {spec.content!r} (send {action[1]})"
    if kind == "arrive":
        a = net.requests[action[1]]
        content = world.sends[a.send][1]
        return f"POST {content!r} (send {a.send}, attempt {a.n}) reaches the server; fault {action[2]}"
    if kind == "response":
        a, status, body = net.responses[action[1]]
        return f"client {a.client} gets HTTP {status} for send {a.send} attempt {a.n} (body v{body.version})"
    if kind == "timeout":
        return f"client {action[1]}'s POST for send {action[2]} times out"
    if kind in ("deliver", "drain"):
        q = (net.sse if kind == "deliver" else net.drained)[(action[1], action[2])]
        ev = q[0]
        what = "snapshot" if ev.snapshot else "delta"
        flags = " typing" if ev.typing else ""
        old = " from the dropped stream" if kind == "drain" else ""
        return f"client {action[1]} gets SSE v{ev.version} {what} ({ev.hi - ev.lo} messages{flags}){old}"
    if kind == "retry":
        return f"client {action[1]} retries send {action[2]}"
    if kind == "assistant":
        what, session, _c = net.assistant[action[1]]
        return f"assistant in {session} {'starts typing' if what == 'think' else 'replies'}"
    if kind == "reconnect":
        return f"client {action[1]} reconnects"
    if kind == "disconnect":
        return f"client {action[1]}'s SSE connection drops"
    return str(action)
