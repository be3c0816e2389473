"""The simulator's schedule, for live runs: what happens when, with the simulator's draws and ties.

``Schedule`` is the live twin of ``simulations.engine.simulator.Simulator``'s scheduling: the same
event kinds, the same draws from the same seeded RNG in the same order, the same sequence numbers
for ties, the same handling of a dropped connection. The conductor (a subclass) performs each step
for real; a lockstep run therefore plays exactly the simulated run (``tests/test_live.py`` compares
the traces byte for byte).
"""

from __future__ import annotations

import random
from heapq import heapify, heappush
from typing import NamedTuple

from model.config import Scenario
from model.observe import Observer
from model.system import Attempt
from model.vocab import Backoff, Dropped, Reconnect, Reply, Think

STALL_STEPS = 1_000_000
HORIZON = 86_400.0

SEND, ARRIVE, RESPONSE, TIMEOUT, DELIVER, DRAINED, RETRY, THINK, REPLY, DISCONNECT, POISSON, \
    RECONNECT, WORKLOAD = range(13)


class Pushed(NamedTuple):
    """Lockstep only: the server sent the event of ``version`` on connection ``conn`` of ``client``
    (the live twin of one connection of ``model.vocab.Push``; the event itself arrives by wire)."""

    client: int
    conn: int
    version: int


class Answered(NamedTuple):
    """Lockstep only: the server answered ``attempt``; ``answer`` is the wire's
    ``(status, event, messages, outcome)`` (the live twin of ``model.vocab.Respond``)."""

    attempt: Attempt
    answer: tuple


def instant(t: float) -> float:
    return round(t * 1e9) / 1e9  # exact decimal instants, as the simulator's


class Schedule:
    """The virtual-time queue of one run: (time, seq, kind, a, b, c) entries, as the simulator's."""

    def __init__(self, scenario: Scenario, side, rng: random.Random, obs: Observer):
        self.scenario, self.side, self.rng, self.obs = scenario, side, rng, obs
        self.heap: list = []
        self.seq = 0
        self.now = 0.0
        post, sse = scenario.post, scenario.sse
        self.req = post.request_latency.sampler(rng)
        self.resp = post.response_latency.sampler(rng)
        self.delay = sse.delay.sampler(rng)
        self.timeout = post.timeout
        self.faults = [(f, p) for f, p in post.faults if p > 0]
        n = len(scenario.clients)
        # per client: the connection of its latest delivery and that delivery's instant (FIFO)
        self.last_conn, self.last_time, self.epoch = [-1] * n, [0.0] * n, [0] * n
        self.inputs = len(scenario.sends) + len(scenario.events)
        self.refused_p = sse.reconnect_refused
        if sse.resume == "snapshot-always":  # the t = 0 snapshots come first, in client order
            self.apply(0.0, [Pushed(c, 0, 0) for c in range(n)])
        for spec in scenario.sends:
            self.schedule(spec.at, SEND, spec.client, spec.content, spec)
        for ev in scenario.events:
            self.schedule(ev.at, DISCONNECT, ev.client, ev.refuse, None)
        wl = scenario.workload
        if wl is not None and wl.count > 0:
            self.inputs += wl.count * n
            self.wl_left = [wl.count] * n
            for c in range(n):
                self.schedule(instant(rng.expovariate(wl.rate)), WORKLOAD, c, None, None)
        if sse.disconnect_rate > 0:
            for c in range(n):
                self._poisson(0.0, c)

    def schedule(self, t: float, kind: int, a, b, c) -> None:
        self.seq += 1
        heappush(self.heap, (t, self.seq, kind, a, b, c))

    def _poisson(self, t: float, client: int) -> None:
        self.epoch[client] += 1
        self.schedule(instant(t + self.rng.expovariate(self.scenario.sse.disconnect_rate)), POISSON,
                      client, self.epoch[client], None)

    def _workload(self, t: float, client: int) -> list:
        wl = self.scenario.workload
        self.inputs -= 1
        left = self.wl_left[client] - 1
        self.wl_left[client] = left
        if left > 0:
            self.schedule(instant(t + self.rng.expovariate(wl.rate)), WORKLOAD, client, None, None)
        k = wl.count - left
        length = wl.content_length
        content = (f"c{client}m{k}:" + "x" * length)[:length]
        return self.side.user_send(t, client, content)

    def draw_refused(self, client: int) -> bool:
        """Whether this reconnect is refused: a scripted count first, else a draw (only when > 0)."""
        return self.side.refuses(client) or (self.refused_p > 0 and self.rng.random() < self.refused_p)

    def draw_fault(self) -> str:
        if not self.faults:
            return "ok"
        u = self.rng.random()
        for f, p in self.faults:
            if u < p:
                return f
            u -= p
        return "ok"

    # --- effects ------------------------------------------------------------------------------
    def apply(self, t: float, effects) -> None:
        """Give effects their instants, as the simulator's ``apply`` does (same draws, same order)."""
        for e in effects:
            kind = type(e)
            if kind is tuple:  # a model driver effect, (kind, *fields) (model.vocab.DriverEffect)
                kind = e[0]
            if kind is Pushed:  # lockstep only: free runs schedule a delivery when it is received
                client, conn, version = e
                d = instant(t + self.delay())
                if self.last_conn[client] != conn:
                    self.last_conn[client], self.last_time[client] = conn, 0.0
                d = max(d, self.last_time[client])
                self.last_time[client] = d
                self.schedule(d, DELIVER, client, conn, [version, None, None])
            elif kind is Answered:
                a = e.attempt
                lat = a.response_latency.sample(self.rng) if a.response_latency else self.resp()
                self.schedule(instant(t + lat), RESPONSE, a, e.answer, None)
            elif kind is Attempt:
                a = e
                if a.fault is None:
                    a.fault = self.draw_fault()
                lat = a.request_latency.sample(self.rng) if a.request_latency else self.req()
                self.obs.post(t, a.client, a.send, a.n, a.fault)
                self.schedule(instant(t + lat), ARRIVE, a, None, None)
                self.schedule(instant(t + self.timeout), TIMEOUT, a, None, None)
            elif kind is Think:
                _, session, delay, content = e
                self.schedule(instant(t + delay.sample(self.rng)), THINK, session, content, None)
            elif kind is Reply:
                _, session, content, delay = e
                self.schedule(instant(t + delay.sample(self.rng)), REPLY, session, content, None)
            elif kind is Backoff:
                _, client, send, delay = e
                self.schedule(instant(t + delay), RETRY, client, send, None)
            elif kind is Reconnect:
                _, client, delay = e
                self.schedule(instant(t + delay.sample(self.rng)), RECONNECT, client, None, None)
            elif kind is Dropped:
                _, client, conn = e
                self._drop(client, conn)
            else:
                raise AssertionError(e)

    def _drop(self, client: int, conn: int) -> None:
        """A connection dropped: the network cuts it; its events in flight (held for their delivery
        instant) are lost, or drain late (old_stream_drains), as in the simulator."""
        heap = self.heap
        lost = [e for e in heap if e[2] == DELIVER and e[3] == client and e[4] == conn]
        self.cut(client, conn)
        if lost:
            heap[:] = [e for e in heap if not (e[2] == DELIVER and e[3] == client and e[4] == conn)]
            heapify(heap)
            lost.sort(key=lambda e: e[1])
            for e in lost:
                if e[5][1] is None:
                    e[5][1], e[5][2] = self.held(client, conn, e[5][0])
            sse = self.scenario.sse
            if sse.old_stream_drains:
                extra = sse.old_stream_delay.sample(self.rng)  # one draw per drained stream, as the simulator
                for e in lost:
                    self.schedule(instant(e[0] + extra), DRAINED, client, conn, e[5])
            else:
                self.side.pending -= len(lost)

    def cut(self, client: int, conn: int) -> None:
        """The connection is dropped (done for real by the conductor)."""
        raise NotImplementedError

    def held(self, client: int, conn: int, version: int):
        """(event, messages) of a delivery that was scheduled before its event was taken."""
        raise NotImplementedError
