"""The discrete-event simulator: a heap of (time, seq, kind, ...) driving the model's handlers.

Deterministic: equal times run in scheduling order (``seq``), all randomness comes from one
``random.Random(seed)``. The model's handlers return driver effects (``model.vocab``); this module
alone gives them times. Every computed instant is rounded to the nanosecond (``ns``: the nearest
float to a whole number of nanoseconds, which is what the decimal literal gives), so that instants
equal in decimal are equal here: 0.1 + 0.7 is 0.8, exactly the 0.8 timeout it ties with (SPEC §2.6:
a response exactly at its timeout is ignored; scripted scenarios must agree exactly).
"""

from __future__ import annotations

import random
import struct
from heapq import heapify, heappop, heappush

from model.compiled import mypyc_attr
from model.config import Dist, Scenario
from model.errors import SsesimError
from model.invariants import Monitor
from model.observe import Observer
from model.outcome import RunResult
from model.plugins import resolve_strategy
from model.system import World
from model.vocab import Attempt, Driver, Push, Reply, Respond, Think, drive
from simulations.io.trace import traced

STALL_STEPS = 1_000_000  # steps at one instant before a run is declared stalled
HORIZON = 86_400.0  # simulated seconds after the last input within which a run must become quiescent
MAX_EVENTS = 5_000_000  # events one run may process (about a million sends)
MAX_TIME = 1e8  # simulated seconds (about 3 years) a run may reach

SEND, ARRIVE, RESPONSE, TIMEOUT, DELIVER, DRAINED, RETRY, THINK, REPLY, DISCONNECT, POISSON, \
    RECONNECT, WORKLOAD = range(13)


_TO_WHOLE = 1.5 * 2.0**52  # x + _TO_WHOLE - _TO_WHOLE is x rounded to a whole number, ties to even
_WHOLE_EXACT, _WHOLE_EXACT_NEG = 2.0**51, -(2.0**51)  # ... when x is between (IEEE 754 doubles, round to nearest)


def ns(t: float) -> float:
    """``t`` rounded to the nanosecond, ``round(t * 1e9) / 1e9``: every instant the simulator computes
    goes through this.

    Below 2**51 ns (26 days) the whole number is found in float arithmetic: 1.5 * 2**52 added puts
    the sum where doubles are whole numbers (the addition rounds, ties to even, as ``round`` does), and
    subtracted again, exactly, leaves ``round(x)`` as a float; a third of ``round``'s instructions,
    which build an int. Bit for bit the same (tests/test_vocab.py).
    """
    x = t * 1e9
    if x < _WHOLE_EXACT and x > _WHOLE_EXACT_NEG:
        return (x + _TO_WHOLE - _TO_WHOLE) / 1e9
    return round(x) / 1e9


def warnings_for(scenario: Scenario, strategy: str) -> list[str]:
    """Preconditions a scenario breaks; it still runs (SPEC §2.6)."""
    out = []
    opts = scenario.strategy_options
    if strategy == "reconciled" and scenario.post.timeout < opts.request_deadline:
        out.append(f"{scenario.source}: post.timeout ({scenario.post.timeout:g}) < "
                   f"strategy_options.request_deadline ({opts.request_deadline:g}): reconciled needs "
                   "timeout >= deadline; a given-up attempt may still commit (ghost)")
    return out


def simulate(scenario: Scenario, *, strategy: str | None = None, seed: int | None = None,
             trace_path=None, observer: Observer | None = None, on_start=None) -> RunResult:
    """Run one scenario to its end; optionally stream a JSONL trace to ``trace_path``.

    ``on_start(simulator)``, when given, is called before the first event (a progress display
    polls ``simulator.inputs``, the inputs still to come, from another thread)."""
    name = strategy or scenario.strategy
    seed = scenario.seed if seed is None else seed
    strategy_cls = resolve_strategy(name, scenario.source)
    monitor = Monitor()
    with traced(trace_path, monitor) as obs:
        if observer is not None:
            from model.forwarding import Tee
            obs = Tee(obs, observer)
        sim = Simulator(scenario, strategy_cls, random.Random(seed), obs)
        if on_start is not None:
            on_start(sim)
        sim.run()
    world = sim.world
    metrics = monitor.metrics()
    metrics["events"] = sim.events
    metrics["end_time"] = round(sim.now, 9)
    metrics["stuck"] = sim.stuck or sim.past_horizon
    warnings = warnings_for(scenario, world.strategy_name)
    if sim.past_horizon:
        warnings.append(f"{scenario.source}: not quiescent {HORIZON:g} s (simulated) after the last "
                        "input: stopped there, without the end-of-run checks (a retry loop that "
                        "never ends?); set `until` to choose where a run stops")
    return RunResult(
        scenario=scenario.name, strategy=world.strategy_name, seed=seed, sends=monitor.sends,
        committed=monitor.committed, violations=dict(monitor.counts),
        chart_gaps=monitor.lifecycle.total, metrics=metrics, examples=dict(monitor.first),
        gaps=monitor.lifecycle.summary(), confirm_times=list(monitor.confirm_times),
        events=sim.events, warnings=warnings,
        sometimes=set(monitor.sometimes),
    )


@mypyc_attr(allow_interpreted_subclasses=True)
class Simulator(Driver):
    """Owns the clock, the heap and the RNG; gives the model's driver effects their times."""

    def __init__(self, scenario: Scenario, strategy_cls: type, rng: random.Random, obs: Observer):
        self.scenario, self.rng, self.obs = scenario, rng, obs
        self.world = World(scenario, strategy_cls, obs)
        self.heap: list = []
        self.seq = 0
        self.now = 0.0
        self.events = 0
        self.stuck = False
        self.past_horizon = False  # stopped HORIZON after the last input, never quiescent
        post, sse = scenario.post, scenario.sse
        self.req = post.request_latency.sampler(rng)
        self.resp = post.response_latency.sampler(rng)
        self.delay = sse.delay.sampler(rng)
        self.timeout = post.timeout
        self.faults = [(f, p) for f, p in post.faults if p > 0]
        self.no_fault_from = no_fault_from(self.faults)
        # Per client: the connection of its latest push and that push's delivery time (FIFO per
        # connection). A client's pushes go to its open connection, whose id only grows, so an older
        # connection's time is never needed again.
        self.last_conn = [-1] * len(scenario.clients)
        self.last_time = [0.0] * len(scenario.clients)
        self.epoch = [0] * len(scenario.clients)
        self.inputs = len(scenario.sends) + len(scenario.events)
        self.refused_p = sse.reconnect_refused
        self.apply(0.0, self.world.start(0.0))  # snapshot-always: the t = 0 snapshots come first
        for spec in scenario.sends:
            self.schedule(spec.at, SEND, spec.client, spec.content, spec)
        for ev in scenario.events:
            self.schedule(ev.at, DISCONNECT, ev.client, ev.refuse, None)
        wl = scenario.workload
        if wl is not None and wl.count > 0:
            self.inputs += wl.count * len(scenario.clients)
            self.wl_left = [wl.count] * len(scenario.clients)
            self.wl_padding = "x" * wl.content_length  # a workload send's content: its label, padded
            for c in range(len(scenario.clients)):
                self.schedule(ns(rng.expovariate(wl.rate)), WORKLOAD, c, None, None)
        if sse.disconnect_rate > 0:
            for c in range(len(scenario.clients)):
                self._poisson(0.0, c)

    def schedule(self, t: float, kind: int, a, b, c) -> None:
        self.seq += 1
        heappush(self.heap, (t, self.seq, kind, a, b, c))

    def _poisson(self, t: float, client: int) -> None:
        self.epoch[client] += 1
        self.schedule(ns(t + self.rng.expovariate(self.scenario.sse.disconnect_rate)), POISSON, client,
                      self.epoch[client], None)

    def run(self) -> None:
        """Pop and handle events until no input is left and the system is quiescent (or ``until``).

        The frequent kinds are handled inline, the rest through ``dispatch``; clock and counters live
        in locals and are stored back on every exit (speed only: the order of work is unchanged).
        """
        world, heap, obs = self.world, self.heap, self.obs
        deliver, receive, respond = world.sse_deliver, world.server_receive, world.client_response
        timeout, apply, dispatch = world.client_timeout, self.apply, self.dispatch
        think, reply, workload = world.assistant_think, world.assistant_reply, self._workload
        until = self.scenario.until
        max_events, max_time = MAX_EVENTS, MAX_TIME
        limit = max_time if until is None else min(until, max_time)
        horizon = None  # HORIZON after the last input; with no input at all, after t = 0
        if self.inputs == 0:
            horizon = limit = min(limit, HORIZON)
        was_quiet = not world.pending  # snapshot-always: the t = 0 snapshots are pending work
        same = 0
        now, events = self.now, self.events
        try:
            while heap:
                t, _seq, kind, a, b, c = heappop(heap)
                if t > limit:
                    if until is not None and limit >= until:
                        obs.end(until, False)
                        now = until
                    elif limit >= max_time:
                        raise SsesimError(too_much_work(self.scenario.source, events, t))
                    else:  # never quiescent: stop at the horizon, unchecked, with a warning
                        self.past_horizon = True
                        obs.end(limit, False)
                        now = limit
                    return
                if t == now:
                    same += 1
                    if same > STALL_STEPS:
                        raise SsesimError(f"{self.scenario.source}: time stopped advancing at t={t:g} "
                                          f"({STALL_STEPS} steps at one instant): a zero-delay loop, "
                                          "e.g. post.timeout = 0 with zero retry backoff")
                else:
                    same = 0
                    now = t
                    if events >= max_events:  # checked as time advances, not per step
                        raise SsesimError(too_much_work(self.scenario.source, events, t))
                events += 1
                if kind == DELIVER:
                    effects = deliver(t, a, b, c)
                elif kind == TIMEOUT:
                    effects = timeout(t, a)
                elif kind == ARRIVE:
                    effects = receive(t, a)
                elif kind == RESPONSE:
                    effects = respond(t, a, b, c)
                elif kind == WORKLOAD:
                    effects = workload(t, a)
                    if self.inputs == 0:  # the last input: quiescent within HORIZON (inputs: here and dispatch)
                        horizon = ns(t + HORIZON)
                        limit = min(limit, horizon)
                elif kind == THINK:
                    effects = think(t, a, b)
                elif kind == REPLY:
                    effects = reply(t, a, b)
                else:
                    self.now = now
                    effects = dispatch(t, kind, a, b, c)
                    if self.inputs == 0 and horizon is None:  # the last input: quiescent within HORIZON
                        horizon = ns(t + HORIZON)
                        limit = min(limit, horizon)
                if effects:
                    apply(t, effects)
                if world.pending:
                    was_quiet = False
                elif world.quiescent():
                    if not was_quiet:  # becomes quiescent (SPEC §3); an input that left it so is not
                        obs.quiescent(t)
                    was_quiet = True
                    if self.inputs == 0:
                        obs.end(t, True)
                        return
                else:
                    was_quiet = False
                    if self.inputs == 0 and self._only_clocks():
                        self.stuck = True
                        obs.end(t, False)
                        return
            obs.end(now, until is None)
        finally:
            self.now, self.events = now, events

    def _only_clocks(self) -> bool:
        return all(entry[2] == POISSON for entry in self.heap)

    def dispatch(self, t, kind, a, b, c):
        """The effects of an event of a kind ``run`` does not handle inline."""
        world = self.world
        if kind == SEND:
            self.inputs -= 1
            return world.user_send(t, a, b, c)
        if kind == RETRY:
            return world.client_retry(t, a, b)
        if kind == DRAINED:
            return world.sse_deliver(t, a, b, c)
        if kind == RECONNECT:  # a scripted refusal first, else a draw (only when its probability > 0)
            refused = world.refuses(a) or (self.refused_p > 0 and self.rng.random() < self.refused_p)
            effects = world.reconnect(t, a, refused)
            if self.scenario.sse.disconnect_rate > 0 and world.clients[a].connected:
                self._poisson(t, a)
            return effects
        if kind == DISCONNECT:
            self.inputs -= 1
            return world.disconnect(t, a, b)
        if kind == POISSON:
            if b != self.epoch[a] or not world.clients[a].connected:
                return ()
            return world.disconnect(t, a)
        raise AssertionError(kind)

    def _workload(self, t, client):
        wl = self.scenario.workload
        self.inputs -= 1
        left = self.wl_left[client] - 1
        self.wl_left[client] = left
        if left > 0:
            self.seq += 1
            heappush(self.heap, (ns(t + self.rng.expovariate(wl.rate)), self.seq, WORKLOAD, client, None, None))
        k = wl.count - left
        content = (f"c{client}m{k}:" + self.wl_padding)[:wl.content_length]
        return self.world.user_send(t, client, content)

    def draw_fault(self) -> str:
        """A fault drawn for a POST attempt, by the scenario's probabilities ("ok" if none)."""
        if not self.faults:
            return "ok"
        u = self.rng.random()
        return "ok" if u >= self.no_fault_from else _fault_of(self.faults, u)

    def apply(self, t: float, effects) -> None:
        """Give the model's driver effects their times: ``drive(self, t, effects)``, inlined.

        The methods below are the plain reference of each kind; this loop does the same work
        without a call per effect (``push`` first: by far the most frequent). ``seq`` is kept in a
        local and stored back around every method that schedules. tests/test_vocab.py runs both.
        """
        last_conn, last_time, heap, delay = self.last_conn, self.last_time, self.heap, self.delay
        seq = self.seq
        for e in effects:
            kind = type(e)
            if kind is tuple:  # (kind, *fields); an Attempt is itself
                kind = e[0]
            if kind is Push:
                _, event, conns = e
                for client, conn in conns:
                    x = (t + delay()) * 1e9  # d = ns(t + delay()), inline: the instant of every delivery
                    d = (x + _TO_WHOLE - _TO_WHOLE if _WHOLE_EXACT_NEG < x < _WHOLE_EXACT else round(x)) / 1e9
                    if last_conn[client] != conn:
                        if conn < last_conn[client]:
                            raise AssertionError(f"push to client {client}'s closed connection {conn}")
                        last_conn[client] = conn
                        last_time[client] = 0.0
                    if last_time[client] > d:  # noqa: PLR1730 -- max() is a call per push, the hottest effect
                        d = last_time[client]
                    last_time[client] = d
                    seq += 1
                    heappush(heap, (d, seq, DELIVER, client, conn, event))
            elif kind is Respond:
                _, a, status, body = e
                lat = a.response_latency.sample(self.rng) if a.response_latency else self.resp()
                seq += 1
                heappush(heap, (ns(t + lat), seq, RESPONSE, a, status, body))
            elif kind is Attempt:
                a = e
                if a.fault is None:
                    a.fault = self.draw_fault()
                lat = a.request_latency.sample(self.rng) if a.request_latency else self.req()
                self.obs.post(t, a.client, a.send, a.n, a.fault)
                heappush(heap, (ns(t + lat), seq + 1, ARRIVE, a, None, None))
                heappush(heap, (ns(t + self.timeout), seq + 2, TIMEOUT, a, None, None))
                seq += 2
            elif kind is Think:
                _, session, dist, content = e  # a constant's value without the call (the usual think delay)
                seq += 1
                d = dist.value if dist.kind == "constant" else dist.sample(self.rng)
                heappush(heap, (ns(t + d), seq, THINK, session, content, None))
            elif kind is Reply:
                _, session, content, dist = e
                seq += 1
                d = dist.value if dist.kind == "constant" else dist.sample(self.rng)
                heappush(heap, (ns(t + d), seq, REPLY, session, content, None))
            else:
                self.seq = seq
                drive(self, t, (e,))
                seq = self.seq
        self.seq = seq

    # --- the driver effects, one method each: the plain reference of ``apply`` ------------------
    def push(self, t: float, event, conns: tuple) -> None:
        for client, conn in conns:
            d = ns(t + self.delay())
            if self.last_conn[client] != conn:  # FIFO per connection, from its first push on
                if conn < self.last_conn[client]:
                    raise AssertionError(f"push to client {client}'s closed connection {conn}")
                self.last_conn[client] = conn
                self.last_time[client] = 0.0
            d = max(d, self.last_time[client])
            self.last_time[client] = d
            self.schedule(d, DELIVER, client, conn, event)

    def respond(self, t: float, attempt, status: int, body) -> None:
        lat = attempt.response_latency.sample(self.rng) if attempt.response_latency else self.resp()
        self.schedule(ns(t + lat), RESPONSE, attempt, status, body)

    def request(self, t: float, attempt) -> None:
        if attempt.fault is None:
            attempt.fault = self.draw_fault()
        lat = attempt.request_latency.sample(self.rng) if attempt.request_latency else self.req()
        self.obs.post(t, attempt.client, attempt.send, attempt.n, attempt.fault)
        self.schedule(ns(t + lat), ARRIVE, attempt, None, None)
        self.schedule(ns(t + self.timeout), TIMEOUT, attempt, None, None)

    def think(self, t: float, session: str, delay: Dist, content: str) -> None:
        self.schedule(ns(t + delay.sample(self.rng)), THINK, session, content, None)

    def reply(self, t: float, session: str, content: str, delay: Dist) -> None:
        self.schedule(ns(t + delay.sample(self.rng)), REPLY, session, content, None)

    def backoff(self, t: float, client: int, send: int, delay: float) -> None:
        self.schedule(ns(t + delay), RETRY, client, send, None)

    def reconnect(self, t: float, client: int, delay: Dist) -> None:
        self.schedule(ns(t + delay.sample(self.rng)), RECONNECT, client, None, None)

    def dropped(self, t: float, client: int, conn: int) -> None:
        self._drop(t, client, conn)

    def _drop(self, t: float, client: int, conn: int) -> None:
        """A connection dropped: its in-flight events are lost, or drain late (old_stream_drains).

        Its in-flight events are exactly its DELIVER entries still in the heap (a delivery pops its
        own), in push order when sorted by ``seq``.
        """
        heap = self.heap
        lost = [entry for entry in heap if entry[2] == DELIVER and entry[3] == client and entry[4] == conn]
        if not lost:
            return
        sse = self.scenario.sse
        heap[:] = [entry for entry in heap
                   if not (entry[2] == DELIVER and entry[3] == client and entry[4] == conn)]
        heapify(heap)
        if sse.old_stream_drains:
            lost.sort(key=_seq_of)
            extra = sse.old_stream_delay.sample(self.rng)  # one draw per drained stream, at the drop
            for entry in lost:
                self.schedule(ns(entry[0] + extra), DRAINED, client, conn, entry[5])
        else:
            self.world.sse_lost(len(lost))


def too_much_work(source: str, events: int, t: float) -> str:
    """The one line of a run stopped by MAX_EVENTS or MAX_TIME (bad input: exit status 2)."""
    if events >= MAX_EVENTS:
        what = f"more than {MAX_EVENTS} events (at t={t:g} s)"
    else:
        what = f"simulated time past {MAX_TIME:g} s"
    return (f"{source}: stopped: {what}, more work than a run may do; lower the rates or counts "
            "(a disconnect or retry loop?), or set `until`")


def _seq_of(entry: tuple) -> int:
    return entry[1]


def _fault_of(faults: list, u: float) -> str:
    for f, p in faults:
        if u < p:
            return f
        u -= p
    return "ok"


def no_fault_from(faults: list) -> float:
    """The least ``u`` for which ``draw_fault``'s loop gives "ok" (2.0: none in [0, 1]).

    Each step of the loop (``u < p``, then ``u -= p``) is monotone in ``u``, so every draw at or above
    this bound gives "ok": the loop runs only for the few draws below it. Bisection over the bit
    patterns of the non-negative doubles in [0, 1].
    """
    if _fault_of(faults, 1.0) != "ok":
        return 2.0
    lo, hi = 0, struct.unpack("<q", struct.pack("<d", 1.0))[0]  # _fault_of(lo) may be a fault; hi is ok
    if _fault_of(faults, 0.0) == "ok":
        return 0.0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _fault_of(faults, struct.unpack("<d", struct.pack("<q", mid))[0]) == "ok":
            hi = mid
        else:
            lo = mid
    return struct.unpack("<d", struct.pack("<q", hi))[0]
