"""The wire contract as an OpenAPI 3.1 document (served by the reference server at /openapi.json)."""

from __future__ import annotations

from simulations.live import wire

_MESSAGE = {
    "type": "object",
    "required": ["index", "sender", "content"],
    "properties": {
        "index": {"type": "integer", "minimum": 0, "description": "position in the session's log"},
        "sender": {"type": "string", "enum": ["user", "assistant", "system"]},
        "content": {"type": "string"},
        "client_message_id": {"type": ["string", "null"],
                              "description": "the POST's client_message_id, echoed"},
        "send": {"type": ["integer", "null"],
                 "description": "test hook: the X-Ssesim-Send header of the POST that committed it"},
        "timestamp": {"type": "string", "format": "date-time",
                      "description": "when it was committed (ISO 8601; in lockstep the virtual instant "
                                     "from 2000-01-01T00:00:00Z); the seed's name (SPEC §6.1)"},
    },
}
_STATE = {
    "type": "object",
    "required": ["session", "version", "payload", "count", "messages", "is_typing", "is_processing"],
    "properties": {
        "session": {"type": "string"},
        "version": {"type": "integer", "minimum": 0, "description": "+1 on every change"},
        "payload": {"type": "string", "enum": ["snapshot", "delta"]},
        "count": {"type": "integer", "minimum": 0,
                  "description": "messages in the session at this version; `messages` are the last ones"},
        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
        "is_typing": {"type": "boolean"},
        "is_processing": {"type": "boolean"},
        "isTyping": {"type": "boolean", "description": "is_typing under the seed's name (SPEC §6.1)"},
        "isProcessing": {"type": "boolean", "description": "is_processing under the seed's name"},
        "outcome": {"type": "string", "description": "POST answers only: ok, duplicate, expired, "
                                                     "invalid, rejected, error_before_commit, "
                                                     "error_after_commit or accepted_dropped"},
    },
}
_POST = {
    "type": "object",
    "description": "ours ({session, content, ...}) or the seed's ({message, session_id}, SPEC §6.1)",
    "properties": {
        "session_id": {"type": "string", "minLength": 1, "description": "the seed's name of session"},
        "message": {"type": "string", "description": "the seed's name of content"},
        "session": {"type": "string", "minLength": 1},
        "content": {"type": "string"},
        "client_message_id": {"type": "string", "description": "idempotency key, checked first"},
        "deadline": {"type": "number",
                     "description": "the server's clock (Unix seconds for `ssesim serve`) after which "
                                    "it must not commit this attempt (410 expired)"},
    },
}


def _tag(name: str, what: str) -> dict:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "integer"},
            "description": f"test hook (ground truth for the checkers): {what}"}


def _answer(what: str) -> dict:
    return {"description": what,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/State"}}}}


def openapi_document(core=None) -> dict:
    """The OpenAPI document; with a core, its configuration is stated in ``info``."""
    config = ""
    if core is not None:
        config = (f" This server: payload {core.sse.payload}, resume {core.sse.resume}, max message "
                  f"length {core.config.max_message_length}, assistant "
                  f"{'on' if core.config.assistant else 'off'}.")
    return {
        "openapi": "3.1.0",
        "info": {"title": "ssesim chat server (POST + SSE)", "version": "1",
                 "description": "SPEC §2's server: idempotency, deadline, validation and fault "
                                "checks in that order; every change +1 version, pushed to every "
                                "open stream of the session." + config},
        "paths": {
            wire.CHAT: {"post": {
                "summary": "Send a message",
                "parameters": [_tag("X-Ssesim-Client", "the client index"),
                               _tag("X-Ssesim-Send", "the send id"),
                               _tag("X-Ssesim-Attempt", "the attempt number, from 1"),
                               {"name": "X-Ssesim-Fault", "in": "header", "required": False,
                                "schema": {"type": "string",
                                           "enum": list(wire.SERVER_FAULTS + wire.MIDDLEWARE_FAULTS)},
                                "description": "test hook: the fault this POST meets (SPEC §2.3)"}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}},
                "responses": {
                    "200": _answer("committed, an idempotent duplicate, or accepted then dropped; "
                                   "the body is the session's state when the server answered"),
                    "400": _answer("invalid: empty or too long; nothing committed"),
                    "409": _answer("rejected; nothing committed"),
                    "410": _answer("expired: the deadline had passed; nothing committed"),
                    "422": {"description": "malformed request"},
                    "500": _answer("error (before or after the commit)"),
                },
            }},
            wire.STREAM: {"get": {
                "summary": "The session's SSE stream",
                "parameters": [
                    {"name": "session", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "the session (or `session_id`, the seed's name): one is required"},
                    {"name": "session_id", "in": "query", "required": False,
                     "schema": {"type": "string"}},
                    {"name": "snapshot", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": ["0", "1"]},
                     "description": "1: start with one snapshot, whatever the resume policy"},
                    {"name": "Last-Event-ID", "in": "header", "required": False,
                     "schema": {"type": "integer"},
                     "description": "a reconnection: resume after this version (snapshot, replay "
                                    "or nothing, per the server's resume policy); absent: a first "
                                    "connection, nothing is replayed"},
                    _tag("X-Ssesim-Client", "the client index"),
                    _tag("X-Ssesim-Conn", "the client's connection number, from 0"),
                ],
                "responses": {"200": {
                    "description": "text/event-stream; each event is `id: <version>` and one "
                                   "`data:` line holding a State",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                    "422": {"description": "no session"}},
            }},
        },
        "components": {"schemas": {"Message": _MESSAGE, "State": _STATE, "Post": _POST}},
    }
