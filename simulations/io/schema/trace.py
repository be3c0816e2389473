"""The trace format (JSON Lines), declared once: one record per line, its fields by ``kind``.

Every line is ``{"seq", "t", "kind", ...fields}``; the kinds and their fields are the methods of
``model.observe.Observer`` (the README's trace table), in the same order. ``simulations.io.trace``
writes records with these fields and checks every line of a recorded trace against ``RECORD``;
``ssesim schema trace`` prints the JSON Schema of one line. What a line cannot say about itself
(``seq`` counting up by one, time never going back, references to earlier lines) the replayer checks.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag, TypeAdapter, field_validator
from pydantic_core import PydanticCustomError

from model.config import ALL_FAULTS, TRACE_RESUMES
from model.system import STATUS
from simulations.io.schema.base import INT64, Choice, Flag, Integer, Number, Says, Table, Text
from simulations.io.schema.scenario import MAX_CLIENTS, MAX_LENGTH

MAX_T = 1e12  # seconds: a relative clock or an epoch clock both fit
OUTCOMES = (*STATUS, "lost")
CAUSES = ("send", "response", "timeout", "retry", "sse", "close", "open", "refused")

Id = Integer(0, INT64)  # a client, send, connection, version, index or byte count
Attempt = Integer(1, INT64, "an attempt number: an integer")
Status = Integer(100, 599, "an HTTP status: an integer")
Session = Text(200)


RunTriple = Annotated[tuple[Session, Id, Id], Field(strict=False),
                      Says("must be a run [session, lo, hi] of committed messages lo .. hi-1")]


class View(Table):
    """What a client shows: runs of committed messages, optimistic sends, (is_typing, is_processing)."""

    canonical: list[RunTriple] = Field(description="[session, lo, hi] runs, in display order")
    optimistic: list[Id] = Field(description="send ids shown before the server confirmed them")
    flags: Annotated[tuple[bool, bool], Field(strict=False),
                     Says("must be [is_typing, is_processing] booleans")] = Field(
        description="[is_typing, is_processing]")

    @field_validator("canonical")
    @classmethod
    def _ordered(cls, runs):
        for i, (_session, lo, hi) in enumerate(runs):
            if lo > hi:
                raise PydanticCustomError("run", "run {i} has lo {lo} > hi {hi}", {"i": i, "lo": lo, "hi": hi})
        return runs


class Record(Table):
    seq: Integer(1, INT64) = Field(description="1, 2, 3, ...: the line's place in the trace")
    t: Number(0, MAX_T, "seconds") = Field(description="when it happened; never decreases")


class Config(Record):
    kind: Literal["config"]
    scenario: Text(200)
    strategy: Text(500)
    seed: Integer(-INT64 - 1, INT64)
    sessions: Annotated[list[Session], Field(min_length=1, max_length=MAX_CLIENTS)] = Field(
        description="the session of each client, by client index")


class Send(Record):
    kind: Literal["send"]
    client: Id
    send: Id
    content: Text(MAX_LENGTH)


class Post(Record):
    kind: Literal["post"]
    client: Id
    send: Id
    attempt: Attempt
    fault: Choice(*ALL_FAULTS, "?") = Field(description='the fault drawn for it, or "?" when not known as '
                                                        "it leaves (the explorer draws it on arrival)")


class Arrive(Record):
    kind: Literal["arrive"]
    client: Id
    send: Id
    attempt: Attempt
    outcome: Choice(*OUTCOMES)
    status: Annotated[Annotated[int, Field(ge=100, le=599, strict=True)] | None,
                      Says("must be an HTTP status (100 to 599) or null")]


class Commit(Record):
    kind: Literal["commit"]
    session: Session
    index: Id
    send: Annotated[Annotated[int, Field(ge=0, le=INT64, strict=True)] | None,
                    Says("must be a send id (an integer >= 0) or null")]
    sender: Choice("user", "assistant")
    version: Id
    typing: Flag
    processing: Flag


class Flags(Record):
    kind: Literal["flags"]
    session: Session
    version: Id
    typing: Flag
    processing: Flag


class Push(Record):
    kind: Literal["push"]
    session: Session
    client: Id
    conn: Id
    version: Id
    bytes: Id


class Response(Record):
    kind: Literal["response"]
    client: Id
    send: Id
    attempt: Attempt
    status: Status


class Timeout(Record):
    kind: Literal["timeout"]
    client: Id
    send: Id
    attempt: Attempt


class Deliver(Record):
    kind: Literal["deliver"]
    client: Id
    conn: Id
    version: Id


class Apply(Record):
    kind: Literal["apply"]
    client: Id
    version: Id
    source: Text(100)


class ViewRecord(Record):
    kind: Literal["view"]
    client: Id
    cause: Choice(*CAUSES)
    view: View


class Error(Record):
    kind: Literal["error"]
    client: Id
    send: Id


class Rollback(Record):
    kind: Literal["rollback"]
    client: Id
    send: Id
    before: View
    after: View


class Unconfirmed(Record):
    kind: Literal["unconfirmed"]
    client: Id
    send: Id


class Disconnect(Record):
    kind: Literal["disconnect"]
    client: Id
    conn: Id
    awaiting: Id


class Reconnect(Record):
    kind: Literal["reconnect"]
    client: Id
    conn: Id
    resume: Choice(*TRACE_RESUMES) = Field(description='what the new stream starts with: "snapshot", '
                                              '"last-event-id" (a replay), "none", or "first" (it carried '
                                              'no id: nothing replayed); for a refused one, what it would have')
    refused: Flag = Field(False, description="answered with an HTTP error (503) instead of a stream: the "
                                             "EventSource is closed for good (written only when true)")


class Quiescent(Record):
    kind: Literal["quiescent"]


class End(Record):
    kind: Literal["end"]
    checked: Flag


KINDS = (Config, Send, Post, Arrive, Commit, Flags, Push, Response, Timeout, Deliver, Apply, ViewRecord,
         Error, Rollback, Unconfirmed, Disconnect, Reconnect, Quiescent, End)
BY_KIND = {m.model_fields["kind"].annotation.__args__[0]: m for m in KINDS}
# kind -> its fields after seq, t and kind, in the Observer method's order; True where it is a view
FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    kind: tuple((name, info.annotation is View) for name, info in model.model_fields.items()
                if name not in ("seq", "t", "kind"))
    for kind, model in BY_KIND.items()}
# kind -> {field: default} of the fields a line may leave out (written only when they differ from it)
OPTIONAL: dict[str, dict] = {
    kind: {name: info.default for name, info in model.model_fields.items()
           if name not in ("seq", "t", "kind") and not info.is_required()}
    for kind, model in BY_KIND.items()}

def _kind(record) -> str | None:
    kind = record.get("kind") if isinstance(record, dict) else None
    return f"<{kind}>" if isinstance(kind, str) and kind in BY_KIND else None


# Tags in <>: a kind ("send") is also a field's name, and key_of drops what starts with "<".
Line = Annotated[Union[tuple(Annotated[model, Tag(f"<{kind}>")] for kind, model in BY_KIND.items())],  # noqa: UP007
                 Discriminator(_kind, custom_error_type="at:kind",
                               custom_error_message=f"must be one of {', '.join(BY_KIND)}")]


@cache
def line() -> TypeAdapter:
    """The validator of one line (built on first use: a run that writes a trace never needs it)."""
    return TypeAdapter(Line, config=ConfigDict(title="ssesim trace line"))
