"""The SimPy twin: the realistic workload with the ``seed`` strategy, as a SimPy user writes it.

What a user would write instead of ssesim: a ``simpy.Environment``, a process per client
generating Poisson sends, a process per POST (request leg, server, response leg) raced
against the client's timeout with ``AnyOf`` (``response | env.timeout(...)``), an SSE pipe
process per connection draining a ``simpy.Store`` (which gives FIFO delivery at
max(push + delay, previous delivery), SPEC §2.4), an assistant process per user commit
(think, then reply), and a connectivity process per client (Poisson disconnects while
connected, reconnect after ``reconnect_delay``). The client is the seed's: optimistic
append, rollback by temp id on a non-2xx or a timeout, full replacement on every SSE
snapshot. No checkers, no chart, no trace. Semantics and data (a snapshot refers to a
prefix of the append-only session log, as in ssesim) match ``heap_twin``.

Counting: the run is driven by ``env.step()`` in a loop; each call pops exactly one event
off SimPy's heap and runs its callbacks, so ``events`` (the number of calls) is directly
comparable to ssesim's heap pops. SimPy needs more heap events per model step than a
hand-written loop (a process's start, its end, a ``Condition``, ``Store`` puts and gets),
so ``logical_events`` also counts the model steps, in the bare loop's unit.
The run ends at the first quiescent instant (§2.6 pending work) after the last send;
the pending work is counted in one integer, as in the bare loop.
"""

from __future__ import annotations

from random import Random

import simpy

from simulations.bench.workload import (
    ACCEPTED_DROPPED,
    ERROR_AFTER,
    ERROR_BEFORE,
    REJECTED,
    REQUEST_LOST,
    RESPONSE_LOST,
    TwinResult,
    Workload,
    content_for,
    fault_drawer,
    sampler,
)


class _Connection:
    """One SSE stream: its FIFO queue, the pipe process draining it, its in-flight count."""

    __slots__ = ("inflight", "proc", "store")

    def __init__(self, env: simpy.Environment):
        self.store = simpy.Store(env)
        self.inflight = 0
        self.proc = None


class SimpyTwin:
    """One run of workload ``w`` with seed ``seed``; :meth:`run` returns its counters."""

    def __init__(self, w: Workload, seed: int):
        self.w, self.env = w, simpy.Environment()
        rng = self.rng = Random(seed)
        self.req_lat, self.resp_lat = (
            sampler(w.request_latency, rng),
            sampler(w.response_latency, rng),
        )
        self.sse_delay, self.draw_fault = sampler(w.sse_delay, rng), fault_drawer(w, rng)
        names = sorted(set(w.sessions))
        self.sess_of = [names.index(s) for s in w.sessions]
        self.members = [
            [c for c, s in enumerate(self.sess_of) if s == k] for k in range(len(names))
        ]
        self.msgs: list[list[tuple]] = [[] for _ in names]
        self.version, self.busy = [0] * len(names), [False] * len(names)
        self.snap = [(0, 0, False) for _ in names]  # (version, log length, flags)
        n = len(w.sessions)
        # A view: the first canon[c] messages of the session log, then the optimistic entries.
        self.canon, self.opt = [0] * n, [[] for _ in range(n)]
        self.flags = [False] * n
        self.conns: list[_Connection | None] = [None] * n
        self.result = TwinResult(sends=n * w.count)
        self.sends_left, self.pending, self.sid, self.temp = n * w.count, 0, 0, 0

    # -- driving ---------------------------------------------------------------------
    def run(self) -> TwinResult:
        """Start the processes, step until quiescence after the last send, return counters."""
        env, w = self.env, self.w
        for c in range(len(w.sessions)):
            self.connect(c)
            if w.count:
                env.process(self.client(c))
            if w.disconnect_rate:
                env.process(self.connectivity(c))
        step, events = env.step, 0
        try:
            while True:
                step()
                events += 1
                if not self.pending and not self.sends_left:
                    break
        except simpy.core.EmptySchedule:
            pass
        self.result.events, self.result.end_time = events, env.now
        return self.result

    # -- processes -------------------------------------------------------------------
    def client(self, c: int):
        """The user of client ``c``: ``count`` sends, Poisson at ``rate``."""
        gap, rate = self.rng.expovariate, self.w.rate
        for i in range(1, self.w.count + 1):
            yield self.env.timeout(gap(rate))
            self.result.logical_events += 1
            self.env.process(self.send(c, content_for(c, i, self.w.content_length)))

    def send(self, c: int, content: str):
        """The seed's ``postMessageToBackend``: validate, optimistic entry, POST, rollback."""
        env, r = self.env, self.result
        self.sends_left -= 1  # here, not in ``client``: the run may not end before this runs
        if not content or len(content) > self.w.max_message_length:
            r.errors_shown += 1
            return
        self.temp += 1
        key = -self.temp
        self.opt[c].append((key, content))
        r.posts += 1
        self.pending += 1  # the client awaits this POST's outcome
        response = env.event()
        env.process(self.post(c, content, self.draw_fault(), response))
        timer = env.timeout(self.w.timeout)
        timer.callbacks.append(self._tick)  # the bare loop pops every timeout: count it alike
        outcome = yield response | timer
        self.pending -= 1
        if timer in outcome or outcome[response] != 200:  # a response at the timeout is late
            self.opt[c] = [e for e in self.opt[c] if e[0] != key]
            r.errors_shown += 1

    def post(self, c: int, content: str, fault: int, response: simpy.Event):
        """One POST on the wire: request leg, the server, response leg."""
        if fault == REQUEST_LOST:
            return
        self.pending += 1  # a request travelling to the server
        yield self.env.timeout(self.req_lat())
        self.result.logical_events += 1
        self.pending -= 1
        status = self.server_receive(c, content, fault)
        if status is not None:
            yield self.env.timeout(self.resp_lat())
            self.result.logical_events += 1
            response.succeed(status)

    def assistant(self, s: int):
        """One reply cycle: after ``think_delay`` set the flags, after ``reply_delay`` reply."""
        self.pending += 1
        yield self.env.timeout(self.w.think_delay)
        self.result.logical_events += 1
        if not self.busy[s]:
            self.busy[s] = True
            self.change(s)
        yield self.env.timeout(self.w.reply_delay)
        self.result.logical_events += 1
        self.pending -= 1
        self.sid += 1
        self.msgs[s].append((self.sid, "assistant", "reply"))
        self.busy[s] = False
        self.change(s)

    def connectivity(self, c: int):
        """Poisson disconnects of client ``c`` while connected; reconnect after a delay."""
        env, gap, rate = self.env, self.rng.expovariate, self.w.disconnect_rate
        while True:
            yield env.timeout(gap(rate))
            self.result.logical_events += 1
            conn, self.conns[c] = self.conns[c], None
            conn.proc.interrupt()
            self.pending += 1 - conn.inflight  # the client is down; in-flight events are lost
            yield env.timeout(self.w.reconnect_delay)
            self.result.logical_events += 1
            self.pending -= 1
            self.connect(c)

    def pipe(self, c: int, conn: _Connection):
        """The SSE stream's delivery: FIFO, each event at its due time or after the previous."""
        env = self.env
        try:
            while True:
                due, payload = yield conn.store.get()
                if due > env.now:
                    yield env.timeout(due - env.now)
                self.result.logical_events += 1
                conn.inflight -= 1
                self.pending -= 1
                self.canon[c], self.opt[c] = payload[1], []  # the seed's full replacement
                self.flags[c] = payload[2]
        except simpy.Interrupt:
            return

    # -- plain functions called by the processes -------------------------------------
    def _tick(self, _event: simpy.Event) -> None:
        self.result.logical_events += 1

    def server_receive(self, c: int, content: str, fault: int) -> int | None:
        """The server's answer to a POST that arrived (None: the response is lost)."""
        if not content or len(content) > self.w.max_message_length:
            return 400
        if fault == REJECTED:
            return 422
        if fault == ERROR_BEFORE:
            return 500
        if fault == ACCEPTED_DROPPED:
            return 200
        s = self.sess_of[c]
        self.sid += 1
        self.msgs[s].append((self.sid, "user", content))
        self.result.committed += 1
        self.change(s)
        if self.w.assistant:
            self.env.process(self.assistant(s))
        return 500 if fault == ERROR_AFTER else None if fault == RESPONSE_LOST else 200

    def change(self, s: int) -> None:
        """A new server state of session ``s``: push its snapshot to every open stream."""
        self.version[s] += 1
        payload = self.snap[s] = (self.version[s], len(self.msgs[s]), self.busy[s])
        for c in self.members[s]:
            if self.conns[c] is not None:
                self.push(self.conns[c], payload)

    def push(self, conn: _Connection, payload: tuple) -> None:
        """Queue ``payload`` on ``conn``; the pipe delivers it after an ``sse.delay`` sample."""
        conn.inflight += 1
        self.pending += 1
        conn.store.put((self.env.now + self.sse_delay(), payload))

    def connect(self, c: int) -> None:
        """Open a new stream for client ``c`` (a snapshot first if ``resume = snapshot``)."""
        conn = self.conns[c] = _Connection(self.env)
        conn.proc = self.env.process(self.pipe(c, conn))
        if self.env.now > 0 and self.w.resume == "snapshot":
            self.push(conn, self.snap[self.sess_of[c]])


def run_simpy(w: Workload, seed: int) -> TwinResult:
    """Run workload ``w`` with random seed ``seed`` in SimPy; return the run's counters."""
    return SimpyTwin(w, seed).run()
