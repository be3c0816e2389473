"""Scenario configuration as frozen dataclasses, and latency distributions that sample from a passed-in RNG.

Parsing and validating TOML lives in ``simulations.io.scenario``; this module only holds the validated values.
Every delay and latency is a ``Dist`` (SPEC §2.5, v3.1); a constant draws nothing from the RNG, so a
scenario of constants gives the same run whatever else draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from model import draws

FAULTS = (
    "rejected",
    "error_before_commit",
    "error_after_commit",
    "request_lost",
    "response_lost",
    "accepted_dropped",
)
ALL_FAULTS = ("ok",) + FAULTS
PAYLOADS = ("snapshot", "delta")
RESUMES = ("snapshot", "last-event-id", "none", "snapshot-always")
# What a new stream started with, as a trace's ``reconnect`` record says (SPEC §2.4 v3.2): "first" is a
# reconnect that carried no id (its EventSource had received no event), which gets nothing replayed.
TRACE_RESUMES = ("snapshot", "last-event-id", "none", "first")
EVENT_KINDS = ("sse-disconnect",)


@dataclass(frozen=True)
class Dist:
    """A latency distribution (SPEC §2.5); ``sample(rng)`` draws one value in seconds."""

    kind: str = "constant"
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0
    mean: float = 0.0
    median: float = 0.0
    sigma: float = 0.0
    samples: tuple[float, ...] = ()

    @property
    def is_constant(self) -> bool:
        return self.kind == "constant"

    def sample(self, rng) -> float:
        kind = self.kind
        if kind == "constant":
            return self.value
        if kind == "exponential":
            return rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0
        if kind == "uniform":
            return rng.uniform(self.low, self.high)
        if kind == "lognormal":
            return rng.lognormvariate(math.log(self.median), self.sigma) if self.median > 0 else 0.0
        return self.samples[int(rng.random() * len(self.samples))]

    def sampler(self, rng):
        """A zero-argument function drawing from this distribution with ``rng`` (fast path for constants)."""
        if self.kind == "constant":
            value = self.value
            return lambda: value
        if self.kind == "exponential" and self.mean > 0:
            if draws.EXACT:
                return draws.exponential(rng, 1.0 / self.mean)
            return partial(rng.expovariate, 1.0 / self.mean)
        if self.kind == "lognormal" and self.median > 0:
            if draws.EXACT:
                return draws.lognormal(rng, math.log(self.median), self.sigma)
            return partial(rng.lognormvariate, math.log(self.median), self.sigma)
        return lambda: self.sample(rng)

    def generous(self) -> float:
        """A value that a draw exceeds with probability below 1e-4 (a wait that is long enough)."""
        kind = self.kind
        if kind == "constant":
            return self.value
        if kind == "exponential":
            return self.mean * 9.22  # -ln(1e-4)
        if kind == "uniform":
            return self.high
        if kind == "lognormal":
            return self.median * math.exp(3.72 * self.sigma)  # the 1 - 1e-4 quantile of the normal
        return max(self.samples)

    def describe(self) -> str:
        if self.kind == "constant":
            return f"{self.value:g}"
        if self.kind == "exponential":
            return f"exp(mean={self.mean:g})"
        if self.kind == "uniform":
            return f"U({self.low:g},{self.high:g})"
        if self.kind == "lognormal":
            return f"lognormal(median={self.median:g},sigma={self.sigma:g})"
        return f"empirical({len(self.samples)} samples)"


@dataclass(frozen=True)
class PostConfig:
    request_latency: Dist = Dist("constant", value=0.05)
    response_latency: Dist = Dist("exponential", mean=0.05)
    timeout: float = 10.0
    faults: tuple[tuple[str, float], ...] = tuple((f, 0.0) for f in FAULTS)


@dataclass(frozen=True)
class SseConfig:
    delay: Dist = Dist("exponential", mean=0.03)
    payload: str = "snapshot"
    disconnect_rate: float = 0.0
    reconnect_delay: Dist = Dist("constant", value=1.0)
    resume: str = "snapshot"
    old_stream_drains: bool = False
    old_stream_delay: Dist = Dist("constant", value=0.0)
    reconnect_refused: float = 0.0  # probability that a reconnect is refused (HTTP 503; SPEC §2.4 v3.2)


@dataclass(frozen=True)
class ServerConfig:
    max_message_length: int = 2000
    assistant: bool = False
    think_delay: Dist = Dist("constant", value=0.5)
    reply_delay: Dist = Dist("constant", value=1.0)


@dataclass(frozen=True)
class StrategyOptions:
    retries: int = 3
    retry_backoff: float = 0.5
    retry_backoff_max: float = 8.0
    request_deadline: float = 8.0
    extra: tuple[tuple[str, Any], ...] = ()

    def backoff(self, k: int) -> float:
        """Seconds before the k-th retry (k ≥ 1): retry_backoff × 2^(k−1), capped."""
        return min(self.retry_backoff * (2.0 ** min(k - 1, 64)), self.retry_backoff_max)

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(frozen=True)
class ClientConfig:
    session: str = "s1"


@dataclass(frozen=True)
class Workload:
    rate: float = 0.5
    count: int = 100
    content_length: int = 20


@dataclass(frozen=True)
class SendSpec:
    at: float
    client: int = 0
    content: str = ""
    fault: str | None = None
    request_latency: Dist | None = None
    response_latency: Dist | None = None


@dataclass(frozen=True)
class EventSpec:
    at: float
    client: int = 0
    kind: str = "sse-disconnect"
    refuse: int = 0  # the next N reconnects of this client are refused (SPEC §2.4 v3.2)


@dataclass(frozen=True)
class ExploreConfig:
    faults: tuple[str, ...] = ("ok", "error_after_commit", "response_lost")
    max_disconnects: int = 1
    max_refusals: int = 0  # refused reconnects on one path (SPEC §2.4 v3.2)
    max_timeouts: int | None = None  # POST timeouts the explorer may fire in one run (None: any number)
    sometimes: tuple[str, ...] | None = None  # vacuity guard: what a check must witness (None: defaults)


@dataclass(frozen=True)
class Scenario:
    """One validated scenario file (SPEC §6)."""

    name: str = "scenario"
    description: str = ""
    strategy: str = "seed"
    seed: int = 1
    until: float | None = None
    post: PostConfig = field(default_factory=PostConfig)
    sse: SseConfig = field(default_factory=SseConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    strategy_options: StrategyOptions = field(default_factory=StrategyOptions)
    clients: tuple[ClientConfig, ...] = (ClientConfig(),)
    workload: Workload | None = None
    sends: tuple[SendSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    explore: ExploreConfig = field(default_factory=ExploreConfig)
    source: str = "<scenario>"
