"""The scenario file (SPEC §6), declared once: every key, its type, range, default and meaning.

``simulations.io.scenario`` validates a TOML table against ``ScenarioFile`` and builds the model's
``Scenario`` from it; ``ssesim schema scenario`` prints its JSON Schema; the README's key table is
generated from it (``key_table``). What a declaration cannot say (a send naming a missing client, a
strategy that must be importable) is checked by the loader after it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from model.config import ALL_FAULTS, EVENT_KINDS, FAULTS, PAYLOADS, RESUMES
from model.invariants import SOMETIMES
from simulations.io.schema.base import (
    INT64,
    TAGS,
    Choice,
    Flag,
    Integer,
    Number,
    Says,
    Table,
    Text,
    by_form,
    num,
)

# The ranges (README, *Scenario files*): wide enough for any study, narrow enough that every
# computed instant stays a finite float and every run's memory stays small.
MAX_SECONDS = 1e6  # any time or delay (11.6 days)
MAX_SIGMA = 10.0  # lognormal: the largest draw is median * e^(12.2 sigma), finite
MIN_RATE, MAX_RATE = 1e-6, 1e6  # events per simulated second
MAX_CLIENTS = 1000
MAX_SCRIPTED = 100_000  # [[sends]], [[events]], empirical samples
MAX_WORKLOAD = 100_000  # workload sends per client
MAX_LENGTH = 1_000_000  # characters of one message
MAX_CONTENT = 100_000_000  # characters a workload may generate in all (count x clients x length)

Seconds = Number(0, MAX_SECONDS, "seconds")
Probability = Number(0, 1, what="a probability: a number")


def _not_tiny(rate: float) -> float:
    if 0 < rate < MIN_RATE:  # its draws (1/rate scale) would leave the finite floats
        raise ValueError(rate)
    return rate


RateOrZero = Annotated[
    float, Field(ge=0, le=MAX_RATE, strict=True, allow_inf_nan=False,
                 json_schema_extra={"not": {"exclusiveMinimum": 0, "exclusiveMaximum": MIN_RATE},
                                    "x-unit": "disconnects per second"}),
    AfterValidator(_not_tiny),
    Says(f"must be 0 or a rate per second >= {num(MIN_RATE)} and <= {num(MAX_RATE)}")]


def optional(description: str):
    """A key with no default value (absent means: not set); the JSON Schema shows no default."""
    return Field(None, description=description)


# --- distributions (SPEC §2.5) ---------------------------------------------------------------------
class Constant(Table):
    dist: Literal["constant"]
    value: Seconds


class Uniform(Table):
    dist: Literal["uniform"]
    low: Seconds
    high: Seconds

    @field_validator("high")
    @classmethod
    def _ordered(cls, high, info):
        low = info.data.get("low")
        if low is not None and high < low:
            raise PydanticCustomError("order", "must be >= low ({low}), got {high}",
                                      {"low": num(low), "high": num(high)})
        return high


class Exponential(Table):
    dist: Literal["exponential"]
    mean: Seconds


class Lognormal(Table):
    dist: Literal["lognormal"]
    median: Seconds
    sigma: Number(0, MAX_SIGMA)


class Empirical(Table):
    dist: Literal["empirical"]
    samples: Annotated[list[Seconds], Field(min_length=1, max_length=MAX_SCRIPTED)]


DISTS = (Constant, Uniform, Exponential, Lognormal, Empirical)
TAGS["dist"] = ("constant", "uniform", "exponential", "lognormal", "empirical")
DistTable = Annotated[Constant | Uniform | Exponential | Lognormal | Empirical,
                      Field(discriminator="dist")]
Delay = by_form(Seconds, DistTable)  # a bare number (a constant) or a distribution table


# --- tables ----------------------------------------------------------------------------------------
class Faults(Table):
    """Probabilities per POST; the rest succeeds (SPEC §2.3)."""

    rejected: Probability = Field(0.0, description="reaches the server, not committed, 4xx")
    error_before_commit: Probability = Field(0.0, description="reaches the server, not committed, 5xx")
    error_after_commit: Probability = Field(0.0, description="committed, then 5xx")
    request_lost: Probability = Field(0.0, description="never reaches the server; the client times out")
    response_lost: Probability = Field(0.0, description="committed; the client times out")
    accepted_dropped: Probability = Field(0.0, description="200, but not committed (dropped later)")

    @model_validator(mode="after")
    def _at_most_one(self):
        total = sum(getattr(self, f) for f in FAULTS)
        if total > 1.0 + 1e-12:
            raise PydanticCustomError("sum", "fault probabilities sum to {total}, above 1",
                                      {"total": f"{total:g}"})
        return self


class Post(Table):
    request_latency: Delay = Field(0.05, description="request leg of a POST (seconds, or a distribution)")
    response_latency: Delay = Field({"dist": "exponential", "mean": 0.05}, validate_default=True,
                                    description="response leg of a POST")
    timeout: Seconds = Field(10.0, description="the client gives up on a POST after this")
    faults: Faults = Field(default_factory=Faults, description="probability of each fault per POST")


class Sse(Table):
    delay: Delay = Field({"dist": "exponential", "mean": 0.03}, validate_default=True,
                         description="push-to-delivery delay of an SSE event")
    payload: Choice(*PAYLOADS) = Field("snapshot", description="what an event carries")
    disconnect_rate: RateOrZero = Field(0.0, description="Poisson rate, per client "
                                                         "(0: none)")
    reconnect_delay: Delay = Field(1.0, description="a dropped client reconnects after this")
    resume: Choice(*RESUMES) = Field("snapshot", description="how the server starts a new stream")
    old_stream_drains: Flag = Field(False, description="in-flight events of a dropped stream still arrive")
    old_stream_delay: Delay = Field(0.0, description="extra delay of events drained from a dropped stream")
    reconnect_refused: Probability = Field(0.0, description="probability that a reconnect is refused "
                                                            "(HTTP 503: the EventSource closes for good)")


class Server(Table):
    max_message_length: Integer(0, MAX_LENGTH) = Field(2000, description="longest valid message")
    assistant: Flag = Field(False, description="an assistant replies to every committed message")
    think_delay: Delay = Field(0.5, description="commit to the assistant's typing flags")
    reply_delay: Delay = Field(1.0, description="typing flags to the assistant's reply")


class StrategyOptions(Table):
    """Read by the strategies that use them; a plug-in adds the keys it lists in ``option_keys``."""

    model_config = ConfigDict(extra="allow")
    open_keys: ClassVar[bool] = True

    retries: Integer(0, 1000) = Field(3, description="ambiguous failures before a send shows as "
                                                     "unconfirmed (reconciled); retries (seed-retry)")
    retry_backoff: Seconds = Field(0.5, description="before the first retry, doubled per retry")
    retry_backoff_max: Seconds = Field(8.0, description="cap of the retry backoff")
    request_deadline: Seconds = Field(8.0, description="the server refuses to commit an attempt older "
                                                       "than this")


class Client(Table):
    session: Text(200) = Field("s1", description="the session the client belongs to")


class Workload(Table):
    rate: Number(MIN_RATE, MAX_RATE, "sends per second") = Field(0.5, description="Poisson rate, "
                                                                                   "per client")
    count: Integer(0, MAX_WORKLOAD) = Field(100, description="sends per client")
    content_length: Integer(0, MAX_LENGTH) = Field(20, description="characters per message")


class Send(Table):
    at: Seconds = Field(0.0, description="when the user sends")
    client: Integer(0, MAX_CLIENTS - 1) = Field(0, description="index into [[clients]]")
    content: Text(MAX_LENGTH) = Field("A", description="the message")
    fault: Choice(*ALL_FAULTS) = optional("forces this send's first POST's fault")
    request_latency: Delay = optional("overrides post.request_latency for the first POST")
    response_latency: Delay = optional("overrides post.response_latency for the first POST")


class Event(Table):
    at: Seconds = Field(0.5, description="when it happens")
    client: Integer(0, MAX_CLIENTS - 1) = Field(0, description="index into [[clients]]")
    kind: Choice(*EVENT_KINDS) = Field("sse-disconnect", description="what happens")
    refuse: Integer(0, 1000) = Field(0, description="the next N reconnects of this client are refused "
                                                    "(HTTP 503)")


class Explore(Table):
    faults: Annotated[list[Choice(*ALL_FAULTS)], Field(min_length=1, max_length=100)] = \
        Field(["ok", "error_after_commit", "response_lost"], description="faults the explorer tries per POST")
    max_disconnects: Integer(0, 1000) = Field(1, description="scripted disconnects the explorer adds")
    max_refusals: Integer(0, 1000) = Field(0, description="refused reconnects the explorer adds on one "
                                                          "path")
    max_timeouts: Integer(0, 1000) = optional(
        "POST timeouts the explorer may fire in one run (default: any number, each POST may time out)")
    sometimes: Annotated[list[Choice(*SOMETIMES)], Field(max_length=100)] = optional(
        "what a check must witness (default: every property the scenario can reach)")


class ScenarioFile(Table):
    """A scenario file (TOML, SPEC §6). Every key is optional."""

    model_config = ConfigDict(title="ssesim scenario")

    name: Text(200) = optional("shown in reports (default: the file's name)")
    description: Text(10_000) = Field("", description="one line for people")
    strategy: Text(500, min_length=1) = Field("seed", description="a built-in strategy or module:Class "
                                                                  "(overridden by --strategy)")
    seed: Integer(-INT64 - 1, INT64) = Field(1, description="random seed (overridden by --seed)")
    until: Seconds = optional("stop after the events at t <= until (default: at quiescence after the "
                              "last input)")
    post: Post = Field(default_factory=Post)
    sse: Sse = Field(default_factory=Sse)
    server: Server = Field(default_factory=Server)
    strategy_options: StrategyOptions = Field(default_factory=StrategyOptions)
    clients: Annotated[list[Client], Field(min_length=1, max_length=MAX_CLIENTS)] = Field(
        default_factory=lambda: [Client()], description="one entry per client (default: one, in session s1)")
    workload: Workload = optional("random sends per client")
    sends: Annotated[list[Send], Field(max_length=MAX_SCRIPTED)] = Field([], description="scripted sends")
    events: Annotated[list[Event], Field(max_length=MAX_SCRIPTED)] = Field([], description="scripted "
                                                                                          "network events")
    explore: Explore = Field(default_factory=Explore)
