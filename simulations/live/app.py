"""The reference server as an ASGI app (Starlette): SPEC §2's server on the wire contract.

``POST /api/chat`` answers per SPEC §2.6 with the session's state in the body; ``GET
/api/chat/stream`` is the SSE stream (``id:`` = version, ``Last-Event-ID`` resume, ``snapshot=1``
for a snapshot first); ``GET /openapi.json`` is the contract as an OpenAPI document. The network
fault ``response_lost`` lives in ``FaultMiddleware``, between the app and the connection.
"""

from __future__ import annotations

import asyncio
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from simulations.live import wire
from simulations.live.core import ServerCore
from simulations.live.openapi import openapi_document


def create_app(core: ServerCore) -> FaultMiddleware:
    """The ASGI app serving ``core``, inside the fault middleware; ``app.core`` is the core."""

    async def chat(request: Request):
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _problem(422, "the body must be a JSON object")
        problem = _bad_post(body)
        if problem:
            return _problem(422, problem)
        session, content = wire.post_fields(body)
        tags = _tags(request, wire.H_CLIENT, wire.H_SEND, wire.H_ATTEMPT)
        if tags is None:
            return _problem(422, "ssesim tag headers must be integers")
        fault = request.headers.get(wire.H_FAULT)
        try:
            status, _outcome, state = core.receive(session, content,
                                                   body.get("client_message_id"), body.get("deadline"),
                                                   fault if fault in wire.SERVER_FAULTS else None, *tags)
        except OverflowError as exc:
            return _problem(503, str(exc))
        return JSONResponse(state, status_code=status)

    async def stream(request: Request):
        params = request.query_params
        session = params.get("session") or params.get("session_id")  # ours, or the seed's name
        if not session:
            return _problem(422, "the query parameter session (or session_id) is required")
        snapshot = request.query_params.get("snapshot", "0") in ("1", "true")
        last = request.headers.get(wire.LAST_EVENT_ID)
        if last is not None:
            try:
                last = int(last)
            except ValueError:
                return _problem(400, "Last-Event-ID must be an integer version")
        tags = _tags(request, wire.H_CLIENT, wire.H_CONN)
        if tags is None:
            return _problem(422, "ssesim tag headers must be integers")
        if request.headers.get(wire.H_REFUSE):  # a refused reconnect (SPEC §2.4 v3.2)
            return _problem(503, "reconnect refused")
        try:
            st = core.open(session, tags[0], tags[1], last, snapshot)
        except OverflowError as exc:
            return _problem(503, str(exc))

        async def frames():
            try:
                while True:
                    frame = await st.queue.get()
                    if frame is None:
                        return
                    yield frame
            finally:
                core.close(st)

        return StreamingResponse(frames(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def openapi(_request: Request):
        return JSONResponse(openapi_document(core))

    app = Starlette(routes=[Route(wire.CHAT, chat, methods=["POST"]),
                            Route(wire.STREAM, stream, methods=["GET"]),
                            Route(wire.OPENAPI, openapi, methods=["GET"])])
    return FaultMiddleware(app, core)


class FaultMiddleware:
    """Network faults on the server's side of the connection.

    ``response_lost`` (request header ``X-Ssesim-Fault``): the app runs (and commits), its answer is
    swallowed and the connection is aborted, so the client sees the connection die without an answer.
    """

    def __init__(self, app, core: ServerCore):
        self.app, self.core = app, core

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or _header(scope, wire.H_FAULT) not in wire.MIDDLEWARE_FAULTS:
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()

        async def swallow(message):
            if message["type"] == "http.response.start":
                started.set()

        await self.app(scope, receive, swallow)
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:  # a server other than uvicorn: close without an answer instead
            raise ConnectionAbortedError("response_lost")
        transport.abort()
        await asyncio.sleep(0)


def _header(scope, name: str) -> str | None:
    raw = name.encode()
    for key, value in scope.get("headers", ()):
        if key == raw:
            return value.decode("latin-1")
    return None


def _tags(request: Request, *names: str):
    """The integer tag headers (None where absent), or None if one is not an integer."""
    out = []
    for name in names:
        value = request.headers.get(name)
        if value is None:
            out.append(None)
            continue
        try:
            out.append(int(value))
        except ValueError:
            return None
    return out


def _bad_post(body) -> str | None:
    fields = wire.post_fields(body)
    if isinstance(fields, str):
        return fields
    cmid = body.get("client_message_id")
    if cmid is not None and not isinstance(cmid, str):
        return "client_message_id must be a string"
    deadline = body.get("deadline")
    if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, (int, float))):
        return "deadline must be a number"
    return None


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": detail}, status_code=status)
