"""Lockstep in a browser: the live conductor's schedule, with a real client module in each page.

``BrowserConductor`` is ``simulations.live.conductor.Conductor`` (the one schedule: the simulator's
draws, ties and steps), with the client side in Chromium: each step that reaches a client releases
one thing at the page's boundary (``boundary.js``: the user's send, a POST's arrival at the server,
its answer, its timeout as a network error, a timer) or at the server (an SSE frame, a held
reconnect), lets the page settle, and reads back what the client did: its renders, errors, the POSTs
it made, the timers it set. ``PageStrategy`` turns that into the strategy effects the live
``ClientSide`` already records, so a browser trace has the records of ``run --trace``.

Free mode (``time_scale`` > 0, ``ssesim browser --mode free``): the same steps at their scaled wall
instants, as ``live --mode free``; nothing waits for a real effect to settle: a POST's fetch is a
task (its answer held for the response latency from when it really came), a pushed event is due
the SSE delay after the server pushed it. The outcome is the real race, so it differs run to run.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

from model.client_half import REOPENING
from model.errors import SsesimError
from model.strategies import Strategy
from model.vocab import (
    AWAITING,
    Abandon,
    Apply,
    Attempt,
    CancelTimer,
    Post,
    Reopen,
    Rollback,
    ShowError,
    Timer,
    Unconfirmed,
)
from simulations.browser.site import REFUSE
from simulations.browser.views import entries_view
from simulations.live import wire
from simulations.live.conductor import Conductor
from simulations.live.schedule import (
    DELIVER,
    DRAINED,
    RESPONSE,
    RETRY,
    SEND,
    TIMEOUT,
    WORKLOAD,
    Answered,
    Pushed,
)
from simulations.live.transport import TargetError

# One round trip per step; the answer as one JSON string (Playwright's own serialization of a large
# nested object, a render of hundreds of entries, costs far more than JSON.stringify and json.loads).
CALL = ("async ([t, fn, a]) => { const S = window.__ssesim; S.now = t; "
        "return JSON.stringify(await S[fn](...a)); }")


class PageStrategy(Strategy):
    """The client module in a page, as a strategy: each handler returns what the page did in the
    step that called it (prepared by the conductor before the handler runs)."""

    name = "browser"
    reads_body = reads_attempt_number = False

    def __init__(self, *args):
        super().__init__(*args)
        self.effects: list = []
        self.pending = False

    def _take(self, *_args) -> list:
        out, self.effects = self.effects, []
        return out

    on_send = on_response = on_timeout = on_retry = on_event = on_open = on_close = on_refused = _take

    def has_pending(self) -> bool:
        return self.pending


class BrowserConductor(Conductor):
    """The live conductor with pages for clients: lockstep, or free (``time_scale`` > 0: each step
    at its scaled wall instant, nothing waits for the previous step's real effects; see ``_arrive``
    and ``server_pushed``)."""

    def __init__(self, scenario, rng, obs, *, limits, pool, run, client_name: str,
                 time_scale: float = 0.0):
        page_strategy = type(f"Page_{client_name}", (PageStrategy,), {"name": client_name})
        super().__init__(scenario, page_strategy, rng, obs, lockstep=time_scale == 0,
                         time_scale=time_scale, limits=limits, target=False)
        self.pool, self.run_ = pool, run
        self.pages: list = []
        self.keys: list[dict[str, int]] = [{} for _ in self.side.clients]  # entry key -> send
        self.posts: dict[int, tuple[int, int]] = {}  # attempt number -> (client, page post id)
        self.page_timers: dict[tuple[int, int], int] = {}  # (client, send) -> page timer id
        self.timer_sends: dict[tuple[int, int], int] = {}  # (client, page timer id) -> send
        self.opens = [0] * len(self.side.clients)
        self.messages = [0] * len(self.side.clients)
        self.sent_by_content: list[list[tuple[str, int]]] = [[] for _ in self.side.clients]
        self._new_posts: dict[int, list[int]] = {}  # client -> page POST ids not yet paired
        self._unconfirmed: set[int] = set()
        self.post_sends: dict[tuple[int, int], int] = {}  # (client, page POST id) -> send
        self.reopen_timers: dict[int, int] = {}  # client -> the page timer that reopens its stream
        self.closes = [0] * len(self.side.clients)
        self._log_cache: dict[str, list] = {}

    # --- the page -----------------------------------------------------------------------------
    async def call(self, client: int, fn: str, *args):
        page = self.pages[client]
        try:
            async with asyncio.timeout(self.limits.patience):
                return json.loads(await page.evaluate(CALL, [self.now, fn, list(args)]))
        except TimeoutError:
            raise TargetError(f"the page of client {client} did not settle within "
                              f"{self.limits.patience:g} s ({fn})") from None

    async def start_pages(self, max_len: int, options: dict) -> None:
        """Client by client (the server subscribes them in that order): load the page, mount the
        module, release its first stream as connection 0 (t = 0: no event is sent)."""
        self.core = self.run_.core
        for h in self.side.clients:
            query = urlencode({"session": h.session, "max": max_len, "options": json.dumps(options)})
            self.pages.append(await self.pool.page(h.index, self.run_.token, query))
            opening = await self.run_.opening(h.index, self.limits.patience)
            opening.released.set_result(0)
            self.opens[h.index] = 1
            out = await self.call(h.index, "opened", 1)
            self._learn(h.index, out, None, None)  # a first render (an empty list) is no change
            h.strategy.effects = []
        self.collected = []  # snapshot-always: the t = 0 pushes were scheduled by the Schedule
        self.was_quiet = not self.side.pending
        self.t0 = asyncio.get_running_loop().time()

    # --- steps --------------------------------------------------------------------------------
    async def step(self, t: float, kind: int, a, b, c) -> list:
        side = self.side
        if kind == SEND:
            self.inputs -= 1
            return await self._send(t, a, b, c)
        if kind == WORKLOAD:
            return await self._workload_send(t, a)
        if kind == RESPONSE:
            if a.state == AWAITING:  # AWAITING: the answer reaches the client
                out = await self.call(a.client, "answer", self.posts[a.id][1])
                self._learn(a.client, out, "response", a.send)
            effects = await super().step(t, kind, a, b, c)
            return self._attempts(a.client, effects)
        if kind == TIMEOUT:
            if a.state == AWAITING:
                out = await self.call(a.client, "fail", self.posts[a.id][1])
                self._learn(a.client, out, "timeout", a.send)
            return self._attempts(a.client, await super().step(t, kind, a, b, c))
        if kind == RETRY:
            if (a, b) in side.timers:
                out = await self.call(a, "fire", self.page_timers.pop((a, b)))
                self._learn(a, out, "retry", b)
            return self._attempts(a, await super().step(t, kind, a, b, c))
        if kind == DELIVER or kind == DRAINED:
            if kind == DRAINED:
                raise SsesimError("old_stream_drains is not realizable by one native EventSource")
            version = c[0]
            c[1], c[2] = self.run_.core.take(a, b, version, True)
            self.messages[a] += 1
            out = await self.call(a, "delivered", self.messages[a])
            self._learn(a, out, "sse", None, version)
            return self._attempts(a, await super().step(t, kind, a, b, c))
        return await super().step(t, kind, a, b, c)

    async def _send(self, t: float, client: int, content: str, spec=None) -> list:
        send = len(self.side.sends)
        self.sent_by_content[client].append((content, send))
        out = await self.call(client, "send", content)
        self._learn(client, out, "send", send)
        return self._attempts(client, self.side.user_send(t, client, content, spec))

    async def _workload_send(self, t: float, client: int) -> list:
        calls = []
        side, self.side = self.side, _Recorder(self.side, calls)
        try:
            self._workload(t, client)
        finally:
            self.side = side
        (_, content, _spec), = calls
        return await self._send(t, client, content)

    def _attempts(self, client: int, effects) -> list:
        """Pair the Attempts the side made with the POSTs the page made, in order."""
        queue = self._new_posts.pop(client, [])
        for e in effects:
            if type(e) is Attempt:
                if not queue:
                    raise AssertionError("an attempt without a page POST")
                pid = queue.pop(0)
                self.posts[e.id] = (client, pid)
                self.post_sends[(client, pid)] = e.send
        return effects

    # --- what the page did, as effects --------------------------------------------------------
    def _learn(self, client: int, out: dict, cause, send, version=None) -> None:
        """Prepare the strategy's effects and view from one step's page output."""
        host = self.side.clients[client]
        strategy = host.strategy
        before = strategy.view
        effects = []
        if version is not None and out["renders"]:
            effects.append(Apply(version, "sse"))
        for p in out["posts"]:
            body = _json(p["body"])
            content = body.get("content", body.get("message", ""))
            cmid = body.get("client_message_id")
            deadline = body.get("deadline")
            psend = self._post_send(client, content, cmid, send)
            effects.append(Post(psend, content, cmid, deadline))
            self._new_posts.setdefault(client, []).append(p["id"])
        for pid in out["aborts"]:
            asend = self.post_sends.get((client, pid))
            if asend is not None:
                effects.append(Abandon(asend))
        for tm in out["timers"]:
            if cause == "refused":  # its EventSource closed for good: this timer opens a new one
                self.reopen_timers[client] = tm["id"]
                effects.append(Reopen())  # after sse.reconnect_delay, drawn as the model draws it
                continue
            tsend = send if send is not None else -1
            self.page_timers[(client, tsend)] = tm["id"]
            self.timer_sends[(client, tm["id"])] = tsend
            effects.append(Timer(tsend, tm["delay"]))
        for tid in out["cancels"]:
            tsend = self.timer_sends.pop((client, tid), None)
            if tsend is not None:
                self.page_timers.pop((client, tsend), None)
                effects.append(CancelTimer(tsend))
        if out["last"] is not None:
            strategy.view = entries_view(out["last"], client, self.keys[client],
                                         self.sent_by_content[client], self._logs(),
                                         host.session, send if cause == "send" else None)
            for e in out["last"]["entries"]:
                k = e["key"]
                if e["unconfirmed"] and k is not None and k in self.keys[client]:
                    s = self.keys[client][k]
                    if s not in self._unconfirmed:
                        self._unconfirmed.add(s)
                        effects.append(Unconfirmed(s))
        for err in out["errors"]:
            esend = self.keys[client].get(err["key"], send) if err["key"] is not None else send
            if esend is None:
                continue
            if cause != "send":  # the view just before the removal: the new one plus that entry
                canon, opt, flags = strategy.view
                shown = tuple(s for s in before[1] if s in opt or s == esend)
                effects.append(Rollback(esend, (canon, shown, flags), strategy.view))
            effects.append(ShowError(esend))
        strategy.effects = effects
        strategy.pending = out["pending"]

    def _post_send(self, client: int, content: str, cmid, send) -> int:
        if cmid is not None and cmid in self.side.cmids:
            return self.side.cmids[cmid]
        if send is not None:
            return send
        for c, s in self.sent_by_content[client]:
            if c == content and not any(k[0] == client and k[1] == s for k in self.side._counts):
                return s
        raise SsesimError(f"client {client} posted {content!r}, which no send of it holds")

    def _logs(self) -> dict:
        """Each session's committed (sender, content), extended as the logs grow (append-only)."""
        logs = self._log_cache
        for name, s in self.run_.core.sessions.items():
            known = logs.setdefault(name, [])
            known.extend((m.sender, m.content) for m in s.log[len(known):])
        return logs

    # --- the schedule's hooks -----------------------------------------------------------------
    def server_pushed(self, client: int, conn: int, version: int) -> None:
        self.side.pending += 1
        if self.lockstep or not self.t0:  # held at the server: nothing to receive
            self.collected.append(Pushed(client, conn, version))
        else:  # free: its delivery is due the SSE delay after now (FIFO per connection), in wall time
            self.apply(self.vnow(), [Pushed(client, conn, version)])

    def held(self, client: int, conn: int, version: int):
        return self._take(client, conn, version)  # lockstep or free: every event is held at the server

    def _take(self, client: int, conn: int, version: int):
        return self.run_.core.take(client, conn, version, False)  # lost with its connection

    async def _arrive(self, t: float, a) -> list:
        side = self.side
        if a.fault == "request_lost":
            side.pending -= 1
            self.obs.arrive(t, a.client, a.send, a.n, "lost", None)
            return []
        self.collected = []
        headers = {wire.H_CLIENT: str(a.client), wire.H_SEND: str(a.send), wire.H_ATTEMPT: str(a.n)}
        fault = self._wire_fault(a.fault)
        if fault is not None:
            headers[wire.H_FAULT] = fault
        if not self.lockstep:  # free: the POST travels while the schedule goes on
            task = asyncio.get_running_loop().create_task(self._arrive_free(a, headers))
            self.tasks.add(task)
            task.add_done_callback(self._task_done)
            return []
        got = await self.call(a.client, "arrive", self.posts[a.id][1], headers)
        side.pending -= 1
        effects = self.collected
        if not got.get("lost"):
            effects.append(_answered(a, got))
        return effects

    async def _arrive_free(self, a, headers: dict) -> None:
        """Free: the page's real fetch; its answer is held for the response latency from the
        instant it really came (as ``live --mode free``); a lost one is left to its timeout."""
        got = await self.call(a.client, "arrive", self.posts[a.id][1], headers)
        t = self.vnow()
        self.side.pending -= 1
        if not got.get("lost") and not self.ended:
            self.apply(t, [_answered(a, got)])
        self._after_step(t)

    async def _reconnect(self, t: float, client: int) -> list:
        """The browser's own reconnect (or the EventSource the client reopens) waits at the gate
        until now; it is refused (a real 503: the EventSource closes for good) or opened."""
        side = self.side
        host = side.clients[client]
        if host.closed == REOPENING:  # the client's own reopen timer: it makes a new EventSource
            out = await self.call(client, "fire", self.reopen_timers.pop(client))
            self._learn(client, out, None, None)
            host.strategy.effects = []
        opening = await self.run_.opening(client, self.limits.patience)
        host.strategy.asks_snapshot = opening.snapshot  # what the page's EventSource asked for
        refused = self.draw_refused(client)
        self.collected = []
        if refused:
            opening.released.set_result(REFUSE)
            self.closes[client] += 1
            out = await self.call(client, "closedFor", self.closes[client])
            self._learn(client, out, "refused", None)
            *_, effects = side.reconnecting(t, client, True)
            return effects
        conn, *_ = side.reconnecting(t, client, False)
        opening.released.set_result(conn)
        self.opens[client] += 1
        out = await self.call(client, "opened", self.opens[client])
        self._learn(client, out, "open", None)
        effects = self.collected + self._attempts(client, side.opened(t, client))
        if self.scenario.sse.disconnect_rate > 0:
            self._poisson(t, client)
        return effects

    def cut(self, client: int, conn: int) -> None:
        self.run_.core.cut(self.side.clients[client].session, client, conn)

    async def close(self) -> None:
        self.run_.close()


class _Recorder:
    """Stands in for the side while the schedule draws a workload send, to learn its content."""

    def __init__(self, side, calls):
        self._side, self._calls = side, calls

    def user_send(self, t, client, content, spec=None):
        self._calls.append((client, content, spec))
        return []

    def __getattr__(self, name):
        return getattr(self._side, name)


def _answered(a, got: dict) -> Answered:
    try:
        obj = json.loads(got["body"])
        event, messages = wire.decode_state(obj, wire.CHAT)
        outcome = obj.get("outcome", "answered")
    except (ValueError, wire.WireError):
        event, messages, outcome = None, [], "unknown"
    return Answered(a, (got["status"], event, messages, outcome))


def _json(body) -> dict:
    try:
        obj = json.loads(body) if body else {}
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}
