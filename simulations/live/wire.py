"""The wire contract between live clients and a chat server (README, *Wire contract*).

One place for the paths, headers, JSON bodies and SSE framing, used by the reference server to
encode and by the live clients to decode, so both sides agree by construction. A state on the wire
(an SSE event's data, a POST answer's body) is::

    {"session": "s1", "version": 3, "payload": "snapshot" | "delta", "count": 5,
     "messages": [{"index": 3, "sender": "user", "content": "B", "client_message_id": "c0-1",
                   "send": 1}, ...],
     "is_typing": false, "is_processing": false}

``count`` is the number of messages the session holds at ``version``; ``messages`` are its last
ones (all of them in a snapshot, that change's in a delta), so they are the log's
``count - len(messages) … count - 1``. Decoding gives the model's event tuple
``(session, version, lo, hi, typing, processing, snapshot)`` plus the messages.
"""

from __future__ import annotations

import json
import math
import time
from typing import NamedTuple

from model.errors import SsesimError
from model.vocab import Event

CHAT = "/api/chat"
STREAM = "/api/chat/stream"
OPENAPI = "/openapi.json"

# Test hooks: ground-truth tags and injected faults. A server that ignores them still works with
# `ssesim live --target`; it then gets no server-side faults, and sends are matched by client
# message id or content (README, *Wire contract*).
H_CLIENT = "x-ssesim-client"
H_SEND = "x-ssesim-send"
H_ATTEMPT = "x-ssesim-attempt"
H_CONN = "x-ssesim-conn"
H_FAULT = "x-ssesim-fault"
H_REFUSE = "x-ssesim-refuse"  # a stream request the server must refuse (503): a refused reconnect
LAST_EVENT_ID = "last-event-id"

SERVER_FAULTS = ("rejected", "error_before_commit", "error_after_commit", "accepted_dropped")
MIDDLEWARE_FAULTS = ("response_lost",)  # the fault middleware aborts the connection after the app ran


class WireError(SsesimError):
    """A server broke the wire contract (malformed body, event or framing)."""


class WireMessage(NamedTuple):
    index: int
    sender: str
    content: str
    cmid: str | None
    send: int | None  # the X-Ssesim-Send tag of the POST that committed it, when the server echoes it


EPOCH = 946_684_800.0  # 2000-01-01T00:00:00Z: instant 0 of a lockstep run's timestamps (SPEC §6.1)


def timestamp(seconds: float) -> str:
    """ISO 8601 (UTC, milliseconds) of Unix time ``seconds``: the seed reads ``timestamp``."""
    whole = math.floor(seconds)
    ms = min(round((seconds - whole) * 1000), 999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"


def message_json(index: int, sender: str, content: str, cmid: str | None, send: int | None,
                 at: str | None = None) -> dict:
    """One message; ``sender``, ``content`` and ``timestamp`` are also the seed's names (§6.1)."""
    out = {"index": index, "sender": sender, "content": content, "client_message_id": cmid,
           "send": send}
    if at is not None:
        out["timestamp"] = at
    return out


def state_json(session: str, version: int, count: int, messages: list[dict], typing: bool,
               processing: bool, snapshot: bool) -> dict:
    """A state; ``isTyping`` and ``isProcessing`` repeat the flags under the seed's names (§6.1)."""
    return {"session": session, "version": version, "payload": "snapshot" if snapshot else "delta",
            "count": count, "messages": messages, "is_typing": typing, "is_processing": processing,
            "isTyping": typing, "isProcessing": processing}


def post_fields(body) -> tuple[str, str] | str:
    """(session, content) of a POST body in either naming: ours (``session``, ``content``) or the
    seed's (``session_id``, ``message``); or the problem, as one sentence."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    seed = "session" not in body and "content" not in body and ("message" in body or "session_id" in body)
    session = body.get("session_id" if seed else "session")
    content = body.get("message" if seed else "content")
    names = ("session_id", "message") if seed else ("session", "content")
    if not isinstance(session, str) or not session:
        return f"{names[0]} must be a non-empty string"
    if not isinstance(content, str):
        return f"{names[1]} must be a string"
    return session, content


def sse_frame(version: int, data: dict) -> bytes:
    """One SSE event: ``id:`` is the version; the data is one line of JSON."""
    return b"id: %d\ndata: %s\n\n" % (version, json.dumps(data, separators=(",", ":")).encode())


def decode_state(obj, where: str) -> tuple[Event, list[WireMessage]]:
    """The model's ``Event`` and the messages of a state on the wire; WireError when malformed."""
    if not isinstance(obj, dict):
        raise WireError(f"{where}: expected a JSON object with session, version, count, messages")
    try:
        session, version, count = obj["session"], obj["version"], obj["count"]
        raw, typing, processing = obj["messages"], obj["is_typing"], obj["is_processing"]
        payload = obj.get("payload", "snapshot")
    except KeyError as exc:
        raise WireError(f"{where}: state without {exc.args[0]!r}") from None
    if not (isinstance(session, str) and _int(version) and _int(count) and isinstance(raw, list)
            and isinstance(typing, bool) and isinstance(processing, bool)
            and payload in ("snapshot", "delta") and 0 <= len(raw) <= count):
        raise WireError(f"{where}: malformed state (session, version, count, messages, flags)")
    lo = count - len(raw)
    if payload == "snapshot" and lo != 0:
        raise WireError(f"{where}: a snapshot must carry all {count} messages, got {len(raw)}")
    messages = []
    for i, m in enumerate(raw, lo):
        if not (isinstance(m, dict) and m.get("index") == i and isinstance(m.get("sender"), str)
                and isinstance(m.get("content"), str)):
            raise WireError(f"{where}: message {i} of version {version} is malformed or out of order")
        cmid, send = m.get("client_message_id"), m.get("send")
        messages.append(WireMessage(i, m["sender"], m["content"],
                                    cmid if isinstance(cmid, str) else None,
                                    send if _int(send) else None))
    event = Event(session, version, lo, count, typing, processing, payload == "snapshot")
    return event, messages


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class SeedVersions:
    """Versions for states in the seed's names, which carry none (``--wire seed``): per session, a
    state seen before keeps its number; a new one (other messages or flags) takes the next."""

    def __init__(self):
        self.known: dict[str, dict[tuple, int]] = {}

    def decode(self, obj, session: str, where: str, event_id: str | None = None) -> tuple[Event, list[WireMessage]]:
        """The model's ``Event`` and messages of a state in the seed's names: ``messages`` (each
        ``sender`` and ``content``), ``isTyping``, ``isProcessing``; always a snapshot. Its version
        is the SSE ``id:`` when that is an integer (what a browser sends back as Last-Event-ID)."""
        if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
            raise WireError(f"{where}: expected a JSON object with messages (the seed's names)")
        messages = []
        for i, m in enumerate(obj["messages"]):
            if not (isinstance(m, dict) and isinstance(m.get("sender"), str)
                    and isinstance(m.get("content"), str)):
                raise WireError(f"{where}: message {i} has no sender or content")
            messages.append(WireMessage(i, m["sender"], m["content"], None, None))
        typing = bool(obj.get("isTyping", obj.get("is_typing", False)))
        processing = bool(obj.get("isProcessing", obj.get("is_processing", False)))
        seen = self.known.setdefault(session, {})
        key = (tuple((m.sender, m.content) for m in messages), typing, processing)
        if event_id is not None and event_id.isdigit():
            version = seen[key] = int(event_id)
        else:
            version = seen.setdefault(key, max(seen.values(), default=0) + 1)
        return Event(session, version, 0, len(messages), typing, processing, True), messages
