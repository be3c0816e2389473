"""The origin a browser run's pages load from: the reference server, its held streams, the page.

One ``Site`` is served for a whole browser session (one uvicorn, one port, so the contexts' cookies
and connections stay valid); each run plugs its own ``Run`` into it: the server core, whose SSE
frames are held until the conductor delivers them (so the browser's own EventSource sees an event,
and takes its id, at the event's virtual delivery instant), and the gate where each stream a page
opens waits until the conductor releases it (the schedule's reconnect instant). A stream is tagged
by the context's cookie ``ssesim_client=<run>.<client>`` (an EventSource cannot send headers).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from simulations.live import wire
from simulations.live.app import create_app
from simulations.live.core import ServerCore

COOKIE = "ssesim_client"
PAGE = "/__ssesim/page.html"
MODULE = "/__ssesim/client.js"
RETRY_ZERO = b"retry: 0\n\n"  # reconnect at once: the schedule's delay is the hold at the gate
REFUSE = -1  # released with this instead of a connection number: a refused reconnect (503)

PAGE_HTML = """<!doctype html><meta charset="utf-8"><title>ssesim browser</title>
<script type="module">
const q = new URLSearchParams(location.search);
const S = window.__ssesim;
const { mount } = await import(%s);
S.client = mount({ backendUrl: location.origin, session: q.get("session"),
  maxMessageLength: Number(q.get("max")), options: JSON.parse(q.get("options") || "{}"),
  render: S.render, error: S.error, now: () => S.now });
S.mounted = true;
</script>"""


class HeldCore(ServerCore):
    """The reference server, except that a tagged stream's frames wait until ``release``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held: dict[tuple[int, int], deque] = {}
        self.live: dict[tuple[int, int], object] = {}  # (client, conn) -> its open Stream

    def _push(self, s, st, version: int, snapshot: bool) -> None:
        if st.client is None:
            super()._push(s, st, version, snapshot)
            return
        key = (st.client, st.conn)
        self.held.setdefault(key, deque()).append((version, self.frame(s, version, snapshot),
                                                   self.state(s, version, snapshot)))
        self.live[key] = st
        self.obs.push(self.driver.now(), s.name, st.client, st.conn, version,
                      s.nbytes(s.event(version, snapshot)))
        self.driver.pushed(st.client, st.conn, version)

    def take(self, client: int, conn: int, version: int, send: bool):
        """The held event of ``version`` (the next one of that connection): sent now, or dropped."""
        box = self.held.get((client, conn))
        if not box or box[0][0] != version:
            raise wire.WireError(f"client {client} connection {conn}: no held event of version {version}")
        _, frame, state = box.popleft()
        st = self.live.get((client, conn))
        if send and st is not None:
            st.queue.put_nowait(frame)
        return wire.decode_state(state, f"connection {conn} of client {client}")


class Opening:
    """A stream a page asked for, waiting at the gate: its Last-Event-ID and snapshot request."""

    __slots__ = ("last", "released", "snapshot")

    def __init__(self, last: int | None, snapshot: bool):
        self.last, self.snapshot = last, snapshot
        self.released: asyncio.Future = asyncio.get_running_loop().create_future()


class Run:
    """One run plugged into the site: its core and app, and its gate (per client, the streams waiting)."""

    def __init__(self, core: HeldCore, token: str):
        self.core, self.token = core, token
        self.app = create_app(core)
        self.core_app = self.app.app  # inside the fault middleware (the site does response_lost)
        self.waiting: dict[int, deque] = {}
        self.arrived = asyncio.Event()

    async def opening(self, client: int, patience: float) -> Opening:
        """The next stream client ``client``'s page asked for (waits until it asks)."""
        async with asyncio.timeout(patience):
            while not self.waiting.get(client):
                self.arrived.clear()
                await self.arrived.wait()
        return self.waiting[client].popleft()

    def close(self) -> None:
        for box in self.waiting.values():
            for o in box:
                if not o.released.done():
                    o.released.set_result(None)
        self.core.shutdown()


class Site:
    """The ASGI app of a browser session: the page, the client module, the current run's server."""

    def __init__(self):
        self.run: Run | None = None
        self.module: bytes = b""
        self.boundary = resources.files("simulations.browser").joinpath("boundary.js").read_text()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == PAGE:
            await Response(PAGE_HTML % json.dumps(MODULE), media_type="text/html")(scope, receive, send)
        elif path == MODULE:
            await Response(self.module, media_type="text/javascript",
                           headers={"Cache-Control": "no-store"})(scope, receive, send)
        elif self.run is None:
            await JSONResponse({"error": "no run"}, status_code=503)(scope, receive, send)
        elif path == wire.CHAT and _fault(scope) in wire.MIDDLEWARE_FAULTS:
            await self._lose_after_headers(scope, receive, send)
        elif path == wire.STREAM and COOKIE in Request(scope).cookies:
            response = await self._stream(Request(scope), self.run)
            await response(scope, receive, send)
        else:
            await self.run.app(scope, receive, send)

    async def _lose_after_headers(self, scope, receive, send) -> None:
        """``response_lost`` for a browser: the app commits, the status line and headers go out, then
        the connection is aborted. (Cut before any byte of the answer, Chromium sends the POST again
        on a new connection, as it does for a reused keep-alive socket that died: a second commit.)"""
        started = []

        async def keep(message):
            if message["type"] == "http.response.start":
                started.append(message)

        await self.run.core_app(scope, receive, keep)
        if started:
            await send(started[0])
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()
        await asyncio.sleep(0)

    async def _stream(self, request: Request, run: Run):
        token, _, client = request.cookies[COOKIE].partition(".")
        if token != run.token or not client.isdigit():
            return JSONResponse({"error": "a stream of another run"}, status_code=410)
        client = int(client)
        params = request.query_params
        session = params.get("session") or params.get("session_id")
        last = request.headers.get(wire.LAST_EVENT_ID)
        last = int(last) if last is not None and last.isdigit() else None
        opening = Opening(last, params.get("snapshot", "0") in ("1", "true"))
        run.waiting.setdefault(client, deque()).append(opening)
        run.arrived.set()
        conn = await opening.released
        if conn is None or run is not self.run:
            return JSONResponse({"error": "the run ended"}, status_code=503)
        if conn == REFUSE:  # an HTTP error on a reconnect: the EventSource closes for good
            return JSONResponse({"error": "reconnect refused"}, status_code=503)
        core = run.core
        st = core.open(session, client, conn, None if conn == 0 else last,
                       opening.snapshot and conn > 0)
        core.live[(client, conn)] = st

        async def frames():
            yield RETRY_ZERO
            try:
                while True:
                    frame = await st.queue.get()
                    if frame is None:
                        return
                    yield frame
            finally:
                core.close(st)

        return StreamingResponse(frames(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})


def _fault(scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == wire.H_FAULT.encode():
            return value.decode("latin-1")
    return None
