"""The conductor: a virtual-time queue that plays a scenario over real HTTP and SSE.

Its base, ``Schedule``, is the simulator's schedule (same kinds, same draws from the same seeded RNG
in the same order, ties broken by a sequence number); the conductor does each step's real action: a
POST is sent, a stream is opened or cut, an SSE event is taken from what a real connection received.
Two ways to release steps:

* **lockstep** (the server in this process): a step starts only when the previous one is *settled*,
  i.e. its real effects are complete (the POST answered or its connection died; the stream's headers
  arrived; every event the server pushed was received). Responses, timeouts and deliveries reach the
  strategy at their virtual instants; real timeouts are only watchdogs. Wall-clock jitter cannot
  reorder anything, so a scripted scenario plays exactly as simulated. ``time_scale`` > 0 only paces
  it (a step is not released before its scaled wall instant).
* **free** (``--mode free``, and ``--target``): virtual time is wall time / ``time_scale``. Steps are
  released at their wall instants and real effects land when they land: a POST's answer is held for
  the response latency from the instant it really came, an SSE event for the SSE delay from the
  instant it was received (FIFO per connection). This is where real races show up.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from heapq import heappop

from model.config import Dist, Scenario
from model.errors import SsesimError
from model.observe import Observer
from model.vocab import Reply, Think
from simulations.live import wire
from simulations.live.audit import Auditor
from simulations.live.clients import ClientSide
from simulations.live.driver import ConductorDriver, Limits  # noqa: F401 - re-exported
from simulations.live.schedule import (
    ARRIVE,
    DELIVER,
    DISCONNECT,
    DRAINED,
    HORIZON,
    POISSON,
    RECONNECT,
    REPLY,
    RESPONSE,
    RETRY,
    SEND,
    STALL_STEPS,
    THINK,
    TIMEOUT,
    WORKLOAD,
    Answered,
    Pushed,
    Schedule,
    instant,
)
from simulations.live.target import TargetAudit
from simulations.live.transport import LOST, TargetError, Wire, wake_or_timeout


class Conductor(Schedule, TargetAudit):
    """Owns the virtual clock, the queue and the RNG of one live run; the clients are real."""

    settle = 0.25  # --target: wall seconds of quiet before a quiescence check (set by the runner)
    seed_names = False  # --wire seed: the clients speak the seed's names (set by the runner)

    def __init__(self, scenario: Scenario, strategy_cls: type, rng: random.Random, obs: Observer,
                 *, lockstep: bool, time_scale: float, limits: Limits, target: bool):
        if lockstep and target:
            raise SsesimError("lockstep needs the server in this process (no --target)")
        if not lockstep and time_scale <= 0:
            raise SsesimError("--time-scale must be > 0 when the run is free (or has a --target)")
        self.lockstep, self.time_scale, self.limits, self.target = lockstep, time_scale, limits, target
        self.wakeup = asyncio.Event()
        self.activity = 0.0  # free runs: wall time of the last thing that happened
        super().__init__(scenario, ClientSide(scenario, strategy_cls, obs), rng, obs)
        self.core = None  # the in-process server core, if any (set by start)
        self.wire: Wire | None = None
        self.auditor = Auditor(obs, self.side) if target else None
        self.steps = 0
        self.stuck = self.past_horizon = self.stopped = False
        self.ended = False
        self.failure: BaseException | None = None
        # lockstep: pushes and timers the server reported during the current step, as effects
        self.collected: list = []
        self.inbox: dict[tuple[int, int], list] = {}
        self.pushed: dict[tuple[int, int], int] = {}
        self.received: dict[tuple[int, int], int] = {}
        self.unreceived = 0
        self.tasks: set[asyncio.Task] = set()
        self.t0 = 0.0
        self.was_quiet = True
        self.quiet_wall: float | None = None  # --target: when the client side last became quiet

    # --- clock --------------------------------------------------------------------------------
    def schedule(self, t: float, kind: int, a, b, c) -> None:
        super().schedule(t, kind, a, b, c)
        if not self.lockstep:  # free runs: the loop may be sleeping until a later step
            self.activity = asyncio.get_running_loop().time()
            self.wakeup.set()

    def vnow(self) -> float:
        """The current virtual instant: the step's in lockstep, scaled wall time when free."""
        if self.lockstep or not self.t0:
            return self.now
        return max(self.now, instant((asyncio.get_running_loop().time() - self.t0) / self.time_scale))

    def server_now(self) -> float:
        return self.vnow()

    # --- the in-process server's hooks --------------------------------------------------------
    def server_pushed(self, client: int, conn: int, version: int) -> None:
        self.side.pending += 1
        key = (client, conn)
        self.pushed[key] = self.pushed.get(key, 0) + 1
        if self.lockstep:
            self.unreceived += 1
            self.collected.append(Pushed(client, conn, version))

    def server_timer(self, delay: Dist, kind: str, session: str, content: str) -> None:
        self.side.pending += 1
        if self.lockstep:  # drawn when the schedule takes it, in the simulator's order
            self.collected.append(Think(session, delay, content) if kind == "think"
                                  else Reply(session, content, delay))
        else:
            self.schedule(instant(self.vnow() + delay.sample(self.rng)), THINK if kind == "think" else REPLY,
                          session, content, None)

    # --- the wire's callbacks -----------------------------------------------------------------
    def on_event(self, client: int, conn: int, event: tuple, messages, nbytes: int) -> None:
        key = (client, conn)
        self.received[key] = self.received.get(key, 0) + 1
        if self.lockstep:
            self.inbox.setdefault(key, []).append((event, messages))
            self.unreceived -= 1
            if not self.unreceived:
                self.wakeup.set()
            return
        t = self.vnow()
        if self.auditor is not None:
            self.side.pending += 1
            self.auditor.learn(t, event, messages)
            self.obs.push(t, event.session, client, conn, event.version, nbytes)  # the bytes received
            self.quiet_wall = None
        host = self.side.clients[client]
        if host.conn == conn and host.connected:
            d = instant(t + self.delay())
            if self.last_conn[client] != conn:
                self.last_conn[client], self.last_time[client] = conn, 0.0
            d = max(d, self.last_time[client])
            self.last_time[client] = d
            self.schedule(d, DELIVER, client, conn, [event.version, event, messages])
        elif self.scenario.sse.old_stream_drains:
            late = self.delay() + self.scenario.sse.old_stream_delay.sample(self.rng)
            self.schedule(instant(t + late), DRAINED, client, conn, [event.version, event, messages])
        else:
            self.side.pending -= 1  # in flight on a dropped connection: lost
            self._after_step(t)

    def on_end(self, client: int, conn: int, error) -> None:
        key = (client, conn)
        if error is not None and self.failure is None:
            self.failure = error
        elif self.target and not self.lockstep:
            host = self.side.clients[client]
            if host.conn == conn and host.connected and not self.ended and self.failure is None:
                # the server ended the stream: a disconnect it chose (counts as a scripted one would)
                self.schedule(self.vnow(), POISSON, client, self.epoch[client], None)
        if not self.lockstep and not self.target:
            missing = self.pushed.get(key, 0) - self.received.get(key, 0)
            if missing > 0:  # pushed, never received: lost with their connection
                self.side.pending -= missing
                self.received[key] = self.pushed[key]
        self.activity = asyncio.get_running_loop().time()
        self.wakeup.set()

    # --- running ------------------------------------------------------------------------------
    async def start(self, url: str, core=None, names: dict[str, str] | None = None) -> None:
        """Connect every client (in client order: the server subscribes them in that order);
        ``names``: the session names to use on the wire."""
        self.core = core
        # a POST may take its timeout and then the patience before the server counts as silent
        post_wait = self.limits.patience + self.time_scale * self.timeout
        self.wire = Wire(url, len(self.side.clients), self.limits.patience, self.on_event, self.on_end,
                         names, post_wait, seed_names=self.seed_names)
        for h in self.side.clients:
            await self.wire.open(h.index, 0, h.session, None, False, tags=True)
        self.collected = []  # snapshot-always: the t = 0 pushes were scheduled by the Schedule
        if self.lockstep:
            await self._settle()  # ... and they must have been received before the first step
        self.was_quiet = not self.side.pending
        self.t0 = asyncio.get_running_loop().time()
        if self.target:  # another server's clock is Unix time: deadlines are sent on it
            epoch0, scale = time.time(), self.time_scale
            self.wire.server_clock = lambda t: epoch0 + t * scale

    async def run(self) -> None:
        """Play the scenario to its end (SPEC §2.6), within the limits."""
        loop = asyncio.get_running_loop()
        self.wall_deadline = loop.time() + self.limits.wall
        until = self.scenario.until
        limit = math.inf if until is None else until
        horizon = None
        if self.inputs == 0:
            horizon = limit = min(limit, HORIZON)
        same = 0
        while not self.ended:
            if self.failure is not None:
                raise self.failure
            if loop.time() > self.wall_deadline or self.steps >= self.limits.steps:
                self.stopped = True
                self._end(self.vnow(), False)
                return
            if self.quiet_wall is not None and loop.time() >= self.quiet_wall + self.settle:
                await self._settle_target()
                continue
            if not self.heap:
                if self.lockstep or not self._busy(loop):
                    break
                await self._sleep(min(self._idle_wait(loop), self.limits.patience))
                continue
            t = self.heap[0][0]
            if t > limit:
                if until is not None and limit >= until:
                    self._end(until, False)
                else:
                    self.past_horizon = True
                    self._end(limit, False)
                return
            if self.time_scale > 0:
                wait = self.t0 + t * self.time_scale - loop.time()
                if wait > 0:
                    await self._sleep(min(wait, self._idle_wait(loop)))
                    continue
            t, _seq, kind, a, b, c = heappop(self.heap)
            if t == self.now:
                same += 1
                if same > STALL_STEPS:
                    raise SsesimError(f"{self.scenario.source}: time stopped advancing at t={t:g}")
            else:
                same = 0
            self.now = t if self.lockstep else max(self.now, t)
            if not self.lockstep:
                t = self.now = self.vnow()
            self.steps += 1
            effects = await self.step(t, kind, a, b, c)
            if effects:
                self.apply(t, effects)
            if self.lockstep:
                await self._settle()
            if horizon is None and self.inputs == 0:
                horizon = instant(t + HORIZON)
                limit = min(limit, horizon)
            self._after_step(t)
        if not self.ended:
            self._end(self.now, until is None)

    def _busy(self, loop) -> bool:
        """Free runs: real work still under way that may schedule steps (a request or a stream
        opening; an event on its way, unless nothing has come for ``patience`` seconds)."""
        if self.tasks or self.quiet_wall is not None:
            return True
        return bool(self.side.pending) and loop.time() - self.activity < self.limits.patience

    def _idle_wait(self, loop) -> float:
        """How long the loop may sleep when nothing is due: until the settle time or the wall limit."""
        wait = self.wall_deadline - loop.time()
        if self.quiet_wall is not None:
            wait = min(wait, self.quiet_wall + self.settle - loop.time())
        return max(wait, 0.0)

    async def _sleep(self, seconds: float) -> None:
        self.wakeup.clear()
        await wake_or_timeout(self.wakeup, seconds)

    async def _settle(self) -> None:
        """Lockstep: wait until every event the server pushed has been received."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.patience
        while self.unreceived:
            if self.failure is not None:
                raise self.failure
            left = deadline - loop.time()
            if left <= 0:
                raise TargetError(f"{self.wire.url}: {self.unreceived} pushed SSE event(s) not received "
                                  f"within {self.limits.patience:g} s")
            self.wakeup.clear()
            await wake_or_timeout(self.wakeup, left)

    def _after_step(self, t: float) -> None:
        """SPEC §2.6: quiescence evaluated after every step; the end after the last input."""
        if self.ended:
            return
        side = self.side
        quiet = not side.pending and side.quiescent()
        if self.target:
            # Another server's own work (an assistant timer, an event on its way) is invisible: a
            # quiet client side is only a candidate, confirmed by _settle_target.
            if quiet and self.was_quiet:
                if self.inputs == 0:
                    self._end(t, True)
            elif quiet or (not side.pending and self.inputs == 0 and self._only_clocks()):
                if self.quiet_wall is None:
                    self.quiet_wall = asyncio.get_running_loop().time()
                    self.wakeup.set()
            else:
                self.was_quiet = False
                self.quiet_wall = None
            return
        if side.pending:
            self.was_quiet = False
        elif quiet:
            if not self.was_quiet:
                self.obs.quiescent(t)
            self.was_quiet = True
            if self.inputs == 0:
                self._end(t, True)
        else:
            self.was_quiet = False
            if self.inputs == 0 and self._only_clocks() and not self.tasks:
                self.stuck = True
                self._end(t, False)

    def _only_clocks(self) -> bool:
        return all(e[2] == POISSON for e in self.heap)

    def _end(self, t: float, checked: bool) -> None:
        """The ``end`` record; nothing is recorded after it (requests still under way while the run
        shuts down are not part of the trace)."""
        if not self.ended:
            self.ended = True
            self.wakeup.set()
            self.now = max(self.now, t)
            self.obs.end(t, checked)
            self.obs = self.side.obs = Observer()
            if self.core is not None:
                self.core.obs = Observer()
            if self.auditor is not None:
                self.auditor.obs = Observer()

    def interrupt(self) -> None:
        """Ctrl-C or SIGTERM: end the trace here, unchecked."""
        self._end(self.vnow() if self.t0 else self.now, False)

    # --- steps --------------------------------------------------------------------------------
    async def step(self, t: float, kind: int, a, b, c) -> list:
        side = self.side
        if kind == DELIVER or kind == DRAINED:
            version, event, messages = c
            if event is None:
                event, messages = self._take(a, b, version)
            return side.deliver(t, a, b, event, messages)
        if kind == TIMEOUT:
            return side.client_timeout(t, a)
        if kind == ARRIVE:
            return await self._arrive(t, a)
        if kind == RESPONSE:
            status, event, messages, _outcome = b
            return side.response(t, a, status, event, messages)
        if kind == SEND:
            self.inputs -= 1
            return side.user_send(t, a, b, c)
        if kind == WORKLOAD:
            return self._workload(t, a)
        if kind == RETRY:
            return side.client_retry(t, a, b)
        if kind == THINK or kind == REPLY:
            side.pending -= 1
            self.collected = []
            (self.core.think if kind == THINK else self.core.reply)(a, b)
            return self.collected if self.lockstep else []
        if kind == RECONNECT:
            return await self._reconnect(t, a)
        if kind == DISCONNECT:
            self.inputs -= 1
            return side.disconnect(t, a, b)
        if kind == POISSON:
            if b != self.epoch[a] or not side.clients[a].connected:
                return []
            return side.disconnect(t, a)
        raise AssertionError(kind)

    def _take(self, client: int, conn: int, version: int):
        box = self.inbox.get((client, conn))
        if not box:
            raise wire.WireError(f"{self.wire.url}: the event of version {version} pushed to client "
                                 f"{client} (connection {conn}) was never received")
        event, messages = box.pop(0)
        if event.version != version:
            raise wire.WireError(f"{self.wire.url}: client {client} (connection {conn}) received version "
                                 f"{event.version} where version {version} was pushed (not FIFO)")
        return event, messages

    def _wire_fault(self, fault: str) -> str | None:
        """The fault header to send: server faults, and response_lost when the server is ours."""
        if fault in wire.SERVER_FAULTS or (fault in wire.MIDDLEWARE_FAULTS and not self.target):
            return fault
        return None

    async def _arrive(self, t: float, a) -> list:
        side = self.side
        host = side.clients[a.client]
        if a.fault == "request_lost":  # the fault layer drops it: it never reaches the server
            side.pending -= 1
            self.obs.arrive(t, a.client, a.send, a.n, "lost", None)
            return []
        if self.lockstep:
            self.collected = []
            answer = await self.wire.post(a.client, host.session, a, self._wire_fault(a.fault))
            side.pending -= 1
            effects = self.collected
            if answer is not LOST:
                effects.append(Answered(a, answer))
            return effects
        task = asyncio.get_running_loop().create_task(self._post_free(a, host.session))
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return []

    async def _post_free(self, a, session: str) -> None:
        answer = await self.wire.post(a.client, session, a, self._wire_fault(a.fault))
        t = self.vnow()
        self.side.pending -= 1
        if self.auditor is not None:
            if answer is LOST:
                self.obs.arrive(t, a.client, a.send, a.n, "unanswered", None)
            else:
                status, event, messages, outcome = answer
                self.obs.arrive(t, a.client, a.send, a.n, outcome, status)
                if event is not None:
                    self.auditor.learn(t, event, messages)
            if a.fault == "response_lost":  # the client's fault layer loses the answer
                answer = LOST
        if answer is not LOST:
            self.apply(t, [Answered(a, answer)])
        self._after_step(t)

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()
        self.activity = asyncio.get_running_loop().time()
        self.wakeup.set()

    async def _reconnect(self, t: float, client: int) -> list:
        side = self.side
        conn, last, asks, refused, effects = side.reconnecting(t, client, self.draw_refused(client))
        session = side.clients[client].session
        self.collected = []
        if refused:  # the server really answers it 503; the client stops, as a browser's EventSource
            if self.lockstep or not self.target:
                await self.wire.open(client, conn, session, last, asks, refuse=True)
            return effects
        if self.lockstep:
            await self.wire.open(client, conn, session, last, asks)
            effects = self.collected + side.opened(t, client)
        else:  # the client stays pending (as a disconnected one) until its stream is open
            side.pending += 1
            task = asyncio.get_running_loop().create_task(self._open_free(client, conn, session, last, asks))
            self.tasks.add(task)
            task.add_done_callback(self._task_done)
            effects = []
        if self.scenario.sse.disconnect_rate > 0:
            self._poisson(t, client)
        return effects

    async def _open_free(self, client, conn, session, last, asks) -> None:
        await self.wire.open(client, conn, session, last, asks)
        t = self.vnow()
        self.side.pending -= 1
        host = self.side.clients[client]
        if host.conn == conn and host.connected:
            effects = self.side.opened(t, client)
            if effects:
                self.apply(t, effects)
        self._after_step(t)

    def cut(self, client: int, conn: int) -> None:
        """The network drops the connection: at the server (ours), or the client closes it."""
        if self.core is not None:
            self.core.cut(self.side.clients[client].session, client, conn)
        else:
            self.wire.close(client, conn)

    def held(self, client: int, conn: int, version: int):
        """Lockstep: the received event of ``version`` that a delivery or a drain will hand over."""
        return self._take(client, conn, version) if self.lockstep else None

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.wire is not None:
            await self.wire.aclose()
