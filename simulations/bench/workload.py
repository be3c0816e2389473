"""The benchmark twins' shared input: a scenario's random workload, read straight from its TOML.

The twins (``simpy_twin``, ``heap_twin``) re-implement the realistic workload outside ssesim,
so they read the scenario file themselves (``tomllib``) rather than through ssesim's parser:
a twin must not share the code it is compared with. Defaults are the SPEC's §6 example
(§2.6: faults 0, no workload). Only what the realistic workload uses is supported:
snapshot payloads, ``resume`` = ``snapshot`` or ``none``, no draining, no scripted sends or
events; anything else is refused with a ``ValueError`` naming the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from random import Random
from typing import Any

from model.config import ALL_FAULTS as FAULTS  # "ok", then the six faults in SPEC order

# Fault codes, as small ints so the hot loops compare ints rather than strings.
OK, REJECTED, ERROR_BEFORE, ERROR_AFTER, REQUEST_LOST, RESPONSE_LOST, ACCEPTED_DROPPED = range(7)
COMMITTING = frozenset((OK, ERROR_AFTER, RESPONSE_LOST))


@dataclass(frozen=True)
class Workload:
    """The parameters a twin needs; latencies are §2.5 specs (a number or a table)."""

    request_latency: Any = 0.05
    response_latency: Any = None
    timeout: float = 10.0
    faults: tuple[tuple[int, float], ...] = ()
    sse_delay: Any = None
    disconnect_rate: float = 0.0
    reconnect_delay: float = 1.0
    resume: str = "snapshot"
    max_message_length: int = 2000
    assistant: bool = False
    think_delay: float = 0.5
    reply_delay: float = 1.0
    sessions: tuple[str, ...] = ("s1",)
    rate: float = 0.0
    count: int = 0
    content_length: int = 20

    @property
    def commit_probability(self) -> float:
        """The chance that one POST of a valid send commits (§2.3)."""
        lost = sum(p for code, p in self.faults if code not in COMMITTING)
        return 1.0 - lost


def load_workload(path: str | Path) -> Workload:
    """Read the scenario file at ``path`` into a :class:`Workload`."""
    with open(path, "rb") as fh:
        return workload_from_dict(tomllib.load(fh))


def workload_from_dict(data: dict) -> Workload:
    """Build a :class:`Workload` from a scenario dict (TOML tables as dicts)."""
    for key in ("sends", "events"):
        if data.get(key):
            raise ValueError(f"{key}: scripted {key} are not supported by the twins")
    post, sse = data.get("post", {}), data.get("sse", {})
    server, work = data.get("server", {}), data.get("workload", {})
    if sse.get("payload", "snapshot") != "snapshot":
        raise ValueError("sse.payload: the twins model snapshot payloads only")
    if sse.get("resume", "snapshot") not in ("snapshot", "none"):
        raise ValueError("sse.resume: the twins model 'snapshot' and 'none' only")
    if sse.get("old_stream_drains", False):
        raise ValueError("sse.old_stream_drains: not modelled by the twins")
    faults = post.get("faults", {})
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise ValueError(f"post.faults: unknown fault {min(unknown)!r}")
    clients = data.get("clients") or [{"session": "s1"}]
    return Workload(
        request_latency=post.get("request_latency", 0.05),
        response_latency=post.get("response_latency", {"dist": "exponential", "mean": 0.05}),
        timeout=float(post.get("timeout", 10.0)),
        faults=tuple((FAULTS.index(n), float(faults[n])) for n in FAULTS if faults.get(n)),
        sse_delay=sse.get("delay", {"dist": "exponential", "mean": 0.03}),
        disconnect_rate=float(sse.get("disconnect_rate", 0.0)),
        reconnect_delay=float(sse.get("reconnect_delay", 1.0)),
        resume=sse.get("resume", "snapshot"),
        max_message_length=int(server.get("max_message_length", 2000)),
        assistant=bool(server.get("assistant", False)),
        think_delay=float(server.get("think_delay", 0.5)),
        reply_delay=float(server.get("reply_delay", 1.0)),
        sessions=tuple(c.get("session", "s1") for c in clients),
        rate=float(work.get("rate", 0.0)),
        count=int(work.get("count", 0)),
        content_length=int(work.get("content_length", 20)),
    )


def sampler(spec: Any, rng: Random) -> Callable[[], float]:
    """A zero-argument function drawing from the §2.5 distribution ``spec`` with ``rng``."""
    if isinstance(spec, (int, float)):
        return partial(float, spec)
    dist = spec["dist"]
    if dist == "constant":
        return partial(float, spec["value"])
    if dist == "uniform":
        return partial(rng.uniform, spec["low"], spec["high"])
    if dist == "exponential":
        return partial(rng.expovariate, 1.0 / spec["mean"])
    if dist == "lognormal":
        return partial(rng.lognormvariate, math.log(spec["median"]), spec["sigma"])
    if dist == "empirical":
        return partial(rng.choice, tuple(float(x) for x in spec["samples"]))
    raise ValueError(f"dist: unknown distribution {dist!r}")


def fault_drawer(workload: Workload, rng: Random) -> Callable[[], int]:
    """A zero-argument function drawing one POST's fault code (§2.3: the rest succeeds)."""
    table, acc = [], 0.0
    for code, p in workload.faults:
        acc += p
        table.append((acc, code))
    rand = rng.random

    def draw() -> int:
        u = rand()
        for bound, code in table:
            if u < bound:
                return code
        return OK

    return draw


def content_for(client: int, index: int, length: int) -> str:
    """The text of a workload send: unique per (client, index), ``length`` characters long."""
    return f"c{client}m{index}".ljust(length, ".")[:length] if length else ""


@dataclass
class TwinResult:
    """What a twin run did: the SPEC's run counters plus its event counts.

    ``events`` is the twin's own heap pops (for SimPy: ``env.step()`` calls, each of which
    pops one event off SimPy's heap). ``logical_events`` counts the model's steps (a send,
    a POST's arrival, a response, a timeout, an SSE delivery, an assistant timer, a
    disconnect clock, a reconnect), the unit in which the bare loop and ssesim work, so a
    reader can see that the twins do the same work.
    """

    sends: int = 0
    committed: int = 0
    errors_shown: int = 0
    posts: int = 0
    events: int = 0
    logical_events: int = 0
    end_time: float = 0.0

    def to_json(self) -> dict:
        """The counters as a JSON-ready dict."""
        return dict(self.__dict__)
