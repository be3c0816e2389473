"""Real HTTP clients: one ``httpx.AsyncClient`` per simulated client, POSTs and SSE streams (httpx-sse).

``Wire`` does the I/O of the wire contract and nothing else: it sends a POST attempt and returns its
answer (or that there was none), and it opens a stream whose events it hands, decoded, to a callback
as they arrive. httpx-sse does not reconnect or send ``Last-Event-ID``: the conductor reconnects, and
passes the last version its client delivered. It also counts the live figures (requests, round trips,
bytes).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from dataclasses import dataclass, field

import httpx
from httpx_sse import EventSource

from model.errors import SsesimError
from simulations.live import wire

LOST = None  # a POST's answer that never came (the connection died without an answer)


async def wake_or_timeout(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` pass. Not ``asyncio.wait_for``: on Python 3.11 it loses
    a cancellation (Ctrl-C, SIGTERM) that arrives in the same loop turn as the event."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        pass


class TargetError(SsesimError):
    """The server cannot be reached, or stopped answering: one line naming its URL."""


@dataclass
class Figures:
    """What the run did on the wire (wall-clock, real bytes)."""

    posts: int = 0
    answers: int = 0
    lost_answers: int = 0
    streams: int = 0
    events: int = 0
    sse_bytes: int = 0
    post_bytes: int = 0
    answer_bytes: int = 0
    rtt: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        rtt = sorted(self.rtt)

        def pct(p):
            return round(rtt[min(len(rtt) - 1, max(0, -(-p * len(rtt) // 100) - 1))] * 1000, 3) if rtt else None

        return {"posts_sent": self.posts, "answers": self.answers, "answers_lost": self.lost_answers,
                "streams_opened": self.streams, "sse_events_received": self.events,
                "sse_bytes_received": self.sse_bytes, "post_bytes_sent": self.post_bytes,
                "answer_bytes_received": self.answer_bytes,
                "post_rtt_ms": {"p50": pct(50), "p99": pct(99), "max": pct(100)}}


class Wire:
    """The clients' side of the connections to one server at ``url``."""

    def __init__(self, url: str, clients: int, patience: float, on_event, on_end,
                 names: dict[str, str] | None = None, post_wait: float | None = None,
                 seed_names: bool = False):
        self.url = url.rstrip("/")
        # --wire seed: the seed's names ({message, session_id}, ?session_id=, isTyping, ...), no ids
        self.seed_versions = wire.SeedVersions() if seed_names else None
        self.post_wait = post_wait or patience  # the longest wait for a POST's answer
        # scenario session -> session name on the wire (unique per run against a shared server)
        self.names = names or {}
        self.local = {remote: name for name, remote in self.names.items()}
        self.patience = patience
        # on_event(client, conn, event, messages, bytes); on_end(client, conn, error or None)
        self.on_event, self.on_end = on_event, on_end
        self.figures = Figures()
        context = ssl.create_default_context()  # one context for all: each costs ~20 ms to load
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=4)
        self.http = [httpx.AsyncClient(base_url=self.url, verify=context, limits=limits,
                                       timeout=httpx.Timeout(patience, read=None), trust_env=False)
                     for _ in range(clients)]
        # a deadline on the server's clock: the virtual clock for the in-process server; for another
        # server, Unix time (set by the conductor when its clock starts)
        self.server_clock = lambda t: t
        self.readers: dict[tuple[int, int], asyncio.Task] = {}
        self.responses: dict[tuple[int, int], httpx.Response] = {}

    # --- POST /api/chat -----------------------------------------------------------------------
    async def post(self, client: int, session: str, a, fault: str | None, tags: bool = True):
        """Send attempt ``a``; its answer ``(status, event, messages, outcome)``, or LOST."""
        if self.seed_versions is not None:
            body = {"message": a.content, "session_id": self.names.get(session, session)}
        else:
            body = {"session": self.names.get(session, session), "content": a.content}
            if a.cmid is not None:
                body["client_message_id"] = a.cmid
            if a.deadline is not None:
                body["deadline"] = self.server_clock(a.deadline)
        headers = {}
        if tags:
            headers = {wire.H_CLIENT: str(client), wire.H_SEND: str(a.send), wire.H_ATTEMPT: str(a.n)}
        if fault is not None:
            headers[wire.H_FAULT] = fault
        data = json.dumps(body, separators=(",", ":")).encode()
        figures = self.figures
        figures.posts += 1
        figures.post_bytes += len(data)
        start = time.perf_counter()
        try:
            r = await self.http[client].post(wire.CHAT, content=data, headers={
                **headers, "content-type": "application/json"}, timeout=self.post_wait)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            figures.lost_answers += 1
            return LOST
        except httpx.TimeoutException:
            raise TargetError(f"{self.url}: no answer to a POST within {self.post_wait:g} s") from None
        except httpx.TransportError as exc:
            raise TargetError(f"{self.url}: {_reason(exc)}") from None
        figures.rtt.append(time.perf_counter() - start)
        figures.answers += 1
        figures.answer_bytes += len(r.content)
        if self.seed_versions is not None:
            return self._seed_answer(r, self.names.get(session, session))
        status, event, messages, outcome = decode_answer(r, self.url)
        return status, self._local(event), messages, outcome

    def _seed_answer(self, r: httpx.Response, session: str):
        """A POST answer in the seed's names: its state if the body carries one, else none."""
        try:
            event, messages = self.seed_versions.decode(r.json(), session, f"{self.url}{wire.CHAT}")
        except (ValueError, wire.WireError):
            return r.status_code, None, [], "answered"
        return r.status_code, self._local(event), messages, "answered"

    def _local(self, event):
        """The event with its session named as in the scenario."""
        if event is not None and event.session in self.local:
            return event._replace(session=self.local[event.session])
        return event

    # --- GET /api/chat/stream -----------------------------------------------------------------
    async def open(self, client: int, conn: int, session: str, last_event_id: int | None,
                   snapshot: bool, tags: bool = True, refuse: bool = False) -> None:
        """Open the stream; returns once its headers arrived (the connection is open); a reader task
        then hands its events to ``on_event`` and its end to ``on_end``. ``refuse``: the fault layer
        asks the server to refuse it (an HTTP error: the client stops, as a browser does)."""
        headers = {"accept": "text/event-stream", "cache-control": "no-store"}
        if tags:
            headers.update({wire.H_CLIENT: str(client), wire.H_CONN: str(conn)})
        if refuse:
            headers[wire.H_REFUSE] = "1"
        if last_event_id is not None:
            headers["last-event-id"] = str(last_event_id)
        params = {"session_id" if self.seed_versions is not None else "session": self.names.get(session, session)}
        if snapshot:
            params["snapshot"] = "1"
        request = self.http[client].build_request("GET", wire.STREAM, params=params, headers=headers)
        try:
            async with asyncio.timeout(self.patience):  # not wait_for: see wake_or_timeout
                r = await self.http[client].send(request, stream=True)
        except TimeoutError:
            raise TargetError(f"{self.url}: the SSE stream did not open within {self.patience:g} s") from None
        except httpx.TransportError as exc:
            raise TargetError(f"{self.url}: {_reason(exc)}") from None
        if refuse:  # an HTTP error on a reconnect: no stream, no retry
            await r.aclose()
            if r.status_code == 200:
                raise TargetError(f"{self.url}{wire.STREAM}: a reconnect to refuse was answered 200")
            return
        if r.status_code != 200 or "text/event-stream" not in r.headers.get("content-type", ""):
            await r.aclose()
            raise TargetError(f"{self.url}{wire.STREAM}: answered {r.status_code} "
                              f"{r.headers.get('content-type', '')!r}, not an SSE stream")
        self.figures.streams += 1
        self.responses[(client, conn)] = r
        self.readers[(client, conn)] = asyncio.get_running_loop().create_task(
            self._read(client, conn, r, params[next(iter(params))]))

    def _decode(self, obj, where: str, session: str, event_id: str | None = None):
        if self.seed_versions is not None:
            return self.seed_versions.decode(obj, session, where, event_id)
        return wire.decode_state(obj, where)

    async def _read(self, client: int, conn: int, r: httpx.Response, session: str = "") -> None:
        where = f"{self.url}{wire.STREAM} (client {client}, connection {conn})"
        counted = 0
        error = None
        try:
            async for sse in EventSource(r).aiter_sse():
                if not sse.data:  # a keep-alive or comment
                    continue
                try:
                    event, messages = self._decode(json.loads(sse.data), where, session, sse.id)
                except ValueError as exc:
                    raise wire.WireError(f"{where}: event data is not JSON: {exc}") from None
                self.figures.events += 1
                now = r.num_bytes_downloaded
                self.figures.sse_bytes += now - counted
                counted = now
                nbytes = len(sse.data.encode()) + len(sse.id or "") + 13  # "id: …\ndata: …\n\n"
                self.on_event(client, conn, self._local(event), messages, nbytes)
        except (httpx.TransportError, asyncio.CancelledError):
            pass  # the connection ended: a disconnect
        except wire.WireError as exc:
            error = exc
        finally:
            self.figures.sse_bytes += r.num_bytes_downloaded - counted
            self.responses.pop((client, conn), None)
            await r.aclose()
            self.on_end(client, conn, error)

    async def snapshot(self, session: str) -> tuple[tuple, list]:
        """One snapshot of ``session``, read from a fresh untagged stream (the audit of a --target run)."""
        client = self.http[0]
        remote = self.names.get(session, session)
        name = "session_id" if self.seed_versions is not None else "session"
        try:
            async with client.stream("GET", wire.STREAM, params={name: remote, "snapshot": "1"},
                                     headers={"accept": "text/event-stream"}) as r:
                async for sse in EventSource(r).aiter_sse():
                    if sse.data:
                        event, messages = self._decode(json.loads(sse.data), f"{self.url}{wire.STREAM}",
                                                       remote)
                        return self._local(event), messages
        except httpx.TransportError as exc:
            raise TargetError(f"{self.url}: {_reason(exc)}") from None
        raise TargetError(f"{self.url}{wire.STREAM}: a snapshot=1 stream ended without a snapshot")

    def close(self, client: int, conn: int) -> None:
        """Close the client's side of a stream (its reader ends)."""
        task = self.readers.get((client, conn))
        if task is not None and not task.done():
            task.cancel()

    async def aclose(self) -> None:
        for task in list(self.readers.values()):
            task.cancel()
        await asyncio.gather(*self.readers.values(), return_exceptions=True)
        for http in self.http:
            await http.aclose()


def decode_answer(r: httpx.Response, url: str):
    """(status, event, messages, outcome) of a POST's answer; a 2xx must carry a state."""
    where = f"{url}{wire.CHAT} ({r.status_code})"
    try:
        obj = r.json()
        event, messages = wire.decode_state(obj, where)
    except (ValueError, wire.WireError) as exc:
        if 200 <= r.status_code < 300:
            raise wire.WireError(f"{where}: a 2xx answer must carry the session's state: {exc}") from None
        return r.status_code, None, [], "unknown"
    return r.status_code, event, messages, obj.get("outcome", "answered") if isinstance(obj, dict) else "answered"


def _reason(exc: httpx.TransportError) -> str:
    cause = exc
    while cause is not None:  # httpx says "All connection attempts failed"; the OS error is below
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
