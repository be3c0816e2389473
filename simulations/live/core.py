"""The reference server's state and rules (SPEC §2.1, §2.6), without I/O: what the ASGI app runs.

It keeps each session in the model's own ``Session`` (log, versions, per-version history, event
bytes), so its events are the model's events; the order of its checks, its status codes and its
assistant are SPEC §2's. It never sleeps or schedules by itself: a ``Driver`` gives it the clock and
runs its timers (wall-clock timers for ``ssesim serve``; the conductor's virtual queue for
``ssesim live``, which is what keeps a scripted run deterministic). It reports what it does to an
``Observer`` (the trace records ``arrive``, ``commit``, ``flags`` and ``push``) for the connections
and requests that carry the ground-truth tags of the wire contract.
"""

from __future__ import annotations

import asyncio
import random
import time
from itertools import count

from model.config import Dist, ServerConfig, SseConfig
from model.observe import Observer
from model.system import STATUS, Message, Session, post_outcome
from simulations.live import wire

MAX_STREAMS = 10_000  # open SSE connections at once; more are refused (503)
MAX_SESSIONS = 10_000


class Driver:
    """Clock and timers for a server; this one is the wall clock (``ssesim serve``)."""

    epoch = 0.0  # Unix time of the clock's instant 0 (messages' ``timestamp``, SPEC §6.1)

    def __init__(self, time_scale: float = 1.0, seed: int = 0):
        self.time_scale = time_scale
        self.rng = random.Random(seed)  # draws the assistant's delays (``model.config.Dist``)
        self.core: ServerCore | None = None  # set by the core it drives

    def now(self) -> float:
        return time.time()

    def later(self, delay: Dist, kind: str, session: str, content: str) -> None:
        """After a draw of ``delay`` (scenario seconds), run the assistant's ``kind`` step (think or reply)."""
        asyncio.get_running_loop().call_later(delay.sample(self.rng) * self.time_scale, getattr(self.core, kind),
                                              session, content)

    def pushed(self, client: int, conn: int, version: int) -> None:
        """A tagged connection was sent the event of ``version`` (the conductor schedules its delivery)."""


class Stream:
    """One open SSE connection: its queue of encoded frames; ``None`` ends it."""

    __slots__ = ("client", "conn", "key", "queue", "session")

    def __init__(self, session: str, client: int | None, conn: int | None, key):
        self.session, self.client, self.conn, self.key = session, client, conn, key
        self.queue: asyncio.Queue = asyncio.Queue()


class Answer(tuple):
    """(status, outcome, body) of a POST."""

    __slots__ = ()

    def __new__(cls, status: int, outcome: str, body: dict):
        return tuple.__new__(cls, (status, outcome, body))


class ServerCore:
    """Sessions, streams and the POST rules of SPEC §2; the single place where server state changes."""

    def __init__(self, server: ServerConfig | None = None, sse: SseConfig | None = None,
                 driver: Driver | None = None, obs: Observer | None = None):
        self.config, self.sse = server or ServerConfig(), sse or SseConfig()
        self.driver = driver or Driver()
        self.driver.core = self
        self.obs = obs or Observer()
        self.snapshot_payload = self.sse.payload == "snapshot"
        self.sessions: dict[str, Session] = {}
        self.streams: dict[str, dict] = {}  # session -> {key: Stream}, in subscription order
        self.open_streams = 0
        self._anonymous = count(1)
        self._frames: dict[tuple, bytes] = {}
        self.stamps: dict[str, list[str]] = {}  # session -> each message's commit ``timestamp``

    # --- sessions and events ------------------------------------------------------------------
    def session(self, name: str) -> Session:
        s = self.sessions.get(name)
        if s is None:
            if len(self.sessions) >= MAX_SESSIONS:
                raise OverflowError(f"more than {MAX_SESSIONS} sessions")
            s = self.sessions[name] = Session(name)
            self.streams[name] = {}
            self.stamps[name] = []
        return s

    def state(self, s: Session, version: int, snapshot: bool) -> dict:
        """The state of ``version`` as first sent: a snapshot, or that change's delta."""
        name, v, lo, n, typing, processing, snap = s.event(version, snapshot)
        stamps = self.stamps[name]
        messages = [wire.message_json(m.index, m.sender, m.content, m.cmid, m.send, stamps[m.index])
                    for m in s.log[lo:n]]
        return wire.state_json(name, v, n, messages, typing, processing, snap)

    def frame(self, s: Session, version: int, snapshot: bool) -> bytes:
        key = (s.name, version, snapshot)
        data = self._frames.get(key)
        if data is None:
            if len(self._frames) > 64:
                self._frames.clear()
            data = self._frames[key] = wire.sse_frame(version, self.state(s, version, snapshot))
        return data

    def _push(self, s: Session, st: Stream, version: int, snapshot: bool) -> None:
        st.queue.put_nowait(self.frame(s, version, snapshot))
        if st.client is not None:
            now = self.driver.now()
            self.obs.push(now, s.name, st.client, st.conn, version, s.nbytes(s.event(version, snapshot)))
            self.driver.pushed(st.client, st.conn, version)

    # --- POST /api/chat -----------------------------------------------------------------------
    def receive(self, session: str, content: str, cmid: str | None, deadline: float | None,
                fault: str | None, client: int | None = None, send: int | None = None,
                attempt: int | None = None) -> Answer:
        """A POST arrives: idempotency, deadline, validation, this POST's server fault, commit (§2.6)."""
        now = self.driver.now()
        s = self.session(session)
        duplicate = cmid is not None and self.is_duplicate(s, cmid)
        expired = deadline is not None and now > deadline
        outcome = post_outcome(duplicate, expired, content, self.config.max_message_length, fault or "ok")
        status = STATUS[outcome]
        if client is not None and send is not None and attempt is not None:
            self.obs.arrive(now, client, send, attempt, outcome, status)
        if outcome in ("ok", "error_after_commit"):
            self._commit(s, Message(len(s.log), "user", content, cmid, send, client))
            if self.config.assistant:
                self.driver.later(self.config.think_delay, "think", s.name, content)
        body = self.state(s, s.version, True)
        body["outcome"] = outcome
        return Answer(status, outcome, body)

    def is_duplicate(self, s: Session, cmid: str) -> bool:
        """Idempotency: is this client message id committed in the session already?"""
        return cmid in s.by_cmid

    def _commit(self, s: Session, message: Message) -> None:
        self.stamps[s.name].append(wire.timestamp(self.driver.epoch + self.driver.now()))
        s.append(message)
        self._change(s, message)

    def _change(self, s: Session, message: Message | None) -> None:
        s.version += 1
        s.history.append((len(s.log), s.typing, s.processing))
        now = self.driver.now()
        if message is not None:
            self.obs.commit(now, s.name, message.index, message.send, message.sender, s.version,
                            s.typing, s.processing)
        else:
            self.obs.flags(now, s.name, s.version, s.typing, s.processing)
        for st in list(self.streams[s.name].values()):
            self._push(s, st, s.version, self.snapshot_payload)

    # --- the assistant ------------------------------------------------------------------------
    def think(self, session: str, content: str) -> None:
        s = self.sessions[session]
        if not (s.typing and s.processing):  # a flag change that changes no value is no change
            s.typing = s.processing = True
            self._change(s, None)
        self.driver.later(self.config.reply_delay, "reply", session, f"re: {content}")

    def reply(self, session: str, content: str) -> None:
        s = self.sessions[session]
        s.typing = s.processing = False
        self._commit(s, Message(len(s.log), "assistant", content, None, None, None))

    # --- GET /api/chat/stream -----------------------------------------------------------------
    def open(self, session: str, client: int | None, conn: int | None, last_event_id: int | None,
             snapshot: bool) -> Stream:
        """Subscribe a new connection, then queue what it starts with (SPEC §2.4): subscribing first
        leaves no gap between the replay and the live events."""
        if self.open_streams >= MAX_STREAMS:
            raise OverflowError(f"more than {MAX_STREAMS} open streams")
        s = self.session(session)
        key = (client, conn) if client is not None and conn is not None else ("anonymous", next(self._anonymous))
        streams = self.streams[s.name]
        old = streams.pop(key, None)
        if old is not None:
            self._end(old)
        st = streams[key] = Stream(s.name, client, conn, key)
        self.open_streams += 1
        # SPEC §2.6 (v3.2): a snapshot if asked or always; else nothing without an id (the server
        # cannot tell a reconnect without Last-Event-ID from a first connection); else the policy
        resume = self.sse.resume
        if snapshot or resume == "snapshot-always" or (last_event_id is not None and resume == "snapshot"):
            self._push(s, st, s.version, True)
        elif last_event_id is not None and self.sse.resume == "last-event-id":
            for v in self.replay_versions(s, last_event_id):
                self._push(s, st, v, self.snapshot_payload)
        return st

    def replay_versions(self, s: Session, last_event_id: int) -> range:
        """The versions a ``last-event-id`` reconnection replays: last+1 … current."""
        return range(max(last_event_id, 0) + 1, s.version + 1)

    def close(self, st: Stream) -> None:
        """The connection ended (the client went away, or it was cut): unsubscribe it."""
        streams = self.streams.get(st.session, {})
        if streams.get(st.key) is st:
            del streams[st.key]
            self.open_streams -= 1

    def cut(self, session: str, client: int, conn: int) -> None:
        """The network drops this connection now: nothing more is pushed on it; it ends after the
        frames already queued (those are in flight)."""
        st = self.streams.get(session, {}).get((client, conn))
        if st is not None:
            self.close(st)
            self._end(st)

    def _end(self, st: Stream) -> None:
        st.queue.put_nowait(None)

    def shutdown(self) -> None:
        """End every open stream (so that the HTTP server can stop without waiting for them)."""
        for streams in self.streams.values():
            for st in list(streams.values()):
                self.close(st)
                self._end(st)
