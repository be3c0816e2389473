"""Load and validate scenario files (TOML, SPEC §6) into ``model.config.Scenario``.

Every problem is an ``InputError`` whose text is one line naming the file, the key and the problem.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from model.config import (
    ALL_FAULTS,
    EVENT_KINDS,
    FAULTS,
    PAYLOADS,
    RESUMES,
    ClientConfig,
    Dist,
    EventSpec,
    ExploreConfig,
    PostConfig,
    Scenario,
    SendSpec,
    ServerConfig,
    SseConfig,
    StrategyOptions,
    Workload,
)
from model.errors import InputError
from model.invariants import SOMETIMES
from model.strategies import resolve_strategy

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def load_scenario_data(path: str | Path) -> dict:
    """The raw TOML table of a scenario file; unreadable or malformed files raise InputError."""
    return read_toml(Path(path), "scenario file")


def read_toml(path: Path, what: str) -> dict:
    """The TOML table in ``path`` (a ``what``: scenario file, sweep file); InputError otherwise."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(str(path), None, "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), None, f"is a directory, not a {what}") from None
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"invalid TOML: {exc}") from None


def load_scenario(path: str | Path) -> Scenario:
    return parse_scenario(load_scenario_data(path), source=str(path))


def builtin_scenarios() -> list[Path]:
    """The example scenarios shipped with ssesim, sorted by file name."""
    return sorted(BUILTIN_DIR.glob("*.toml"))


class _Reader:
    """Typed access to one TOML table with the key path kept for error messages."""

    def __init__(self, source: str, table: Any, path: str, allowed: set[str] | None):
        self.source, self.path = source, path
        if not isinstance(table, dict):
            self.fail(None, f"must be a table, got {_tname(table)}")
        self.table = table
        if allowed is not None:
            for key in table:
                if key not in allowed:
                    choices = ", ".join(sorted(allowed))
                    self.fail(key, f"unknown key (expected one of: {choices})")

    def key(self, name: str | None) -> str:
        if name is None:
            return self.path or "<top>"
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str | None, problem: str):
        raise InputError(self.source, self.key(name), problem)

    def has(self, name: str) -> bool:
        return name in self.table

    def number(self, name: str, default: float, *, minimum: float | None = 0.0) -> float:
        if name not in self.table:
            return default
        value = self.table[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(name, f"must be a number, got {_tname(value)}")
        if not math.isfinite(value):
            self.fail(name, "must be finite")
        if minimum is not None and value < minimum:
            self.fail(name, f"must be >= {minimum:g}, got {value:g}")
        return float(value)

    def integer(self, name: str, default: int, *, minimum: int | None = 0) -> int:
        if name not in self.table:
            return default
        value = self.table[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"must be an integer, got {_tname(value)}")
        if minimum is not None and value < minimum:
            self.fail(name, f"must be >= {minimum}, got {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, bool):
            self.fail(name, f"must be true or false, got {_tname(value)}")
        return value

    def string(self, name: str, default: str | None, choices: tuple[str, ...] | None = None):
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, str):
            self.fail(name, f"must be a string, got {_tname(value)}")
        if choices is not None and value not in choices:
            self.fail(name, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def sub(self, name: str, allowed: set[str] | None) -> _Reader:
        return _Reader(self.source, self.table.get(name, {}), self.key(name), allowed)

    def array_of_tables(self, name: str) -> list[_Reader]:
        value = self.table.get(name, [])
        if not isinstance(value, list):
            self.fail(name, f"must be an array of tables, got {_tname(value)}")
        return [_Reader(self.source, item, f"{self.key(name)}[{i}]", None) for i, item in enumerate(value)]

    def dist(self, name: str, default: Dist | None) -> Dist | None:
        if name not in self.table:
            return default
        value = self.table[name]
        if isinstance(value, dict):
            return _parse_dist(_Reader(self.source, value, self.key(name), None))
        number = self.number(name, 0.0)
        return Dist("constant", value=number)


_DIST_KEYS = {
    "constant": {"value"},
    "uniform": {"low", "high"},
    "exponential": {"mean"},
    "lognormal": {"median", "sigma"},
    "empirical": {"samples"},
}


def _parse_dist(r: _Reader) -> Dist:
    kind = r.string("dist", None, tuple(_DIST_KEYS))
    if kind is None:
        r.fail("dist", f"missing; one of {', '.join(_DIST_KEYS)}")
    allowed = _DIST_KEYS[kind] | {"dist"}
    _Reader(r.source, r.table, r.path, allowed)
    for key in _DIST_KEYS[kind]:
        if key not in r.table:
            r.fail(key, f"required for dist = {kind!r}")
    if kind == "constant":
        return Dist(kind, value=r.number("value", 0.0))
    if kind == "uniform":
        low, high = r.number("low", 0.0), r.number("high", 0.0)
        if high < low:
            r.fail("high", f"must be >= low ({low:g}), got {high:g}")
        return Dist(kind, low=low, high=high)
    if kind == "exponential":
        return Dist(kind, mean=r.number("mean", 0.0))
    if kind == "lognormal":
        return Dist(kind, median=r.number("median", 0.0), sigma=r.number("sigma", 0.0))
    samples = r.table["samples"]
    if not isinstance(samples, list) or not samples:
        r.fail("samples", "must be a non-empty array of numbers")
    for i, s in enumerate(samples):
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s < 0:
            r.fail(f"samples[{i}]", f"must be a number >= 0, got {s!r}")
    return Dist(kind, samples=tuple(float(s) for s in samples))


_TOP = {
    "name", "description", "strategy", "seed", "until", "post", "sse", "server",
    "strategy_options", "clients", "workload", "sends", "events", "explore",
}


def parse_scenario(data: dict, source: str = "<scenario>", option_keys=()) -> Scenario:
    """Validate a raw scenario table and build a Scenario; raise InputError on the first problem.

    ``[strategy_options]`` takes the four documented keys, the keys the scenario's own strategy
    declares in ``option_keys``, and ``option_keys`` (a sweep passes its strategies' keys).
    """
    top = _Reader(source, data, "", _TOP)
    name = top.string("name", Path(source).stem if source.endswith(".toml") else "scenario")
    strategy = top.string("strategy", "seed")
    declared = set(resolve_strategy(strategy, source).option_keys) | set(option_keys)
    seed = top.integer("seed", 1, minimum=None)
    until = top.number("until", 0.0) if top.has("until") else None
    post = _parse_post(top.sub("post", {"request_latency", "response_latency", "timeout", "faults"}))
    sse = _parse_sse(top)
    srv = top.sub("server", {"max_message_length", "assistant", "think_delay", "reply_delay"})
    server = ServerConfig(
        max_message_length=srv.integer("max_message_length", 2000),
        assistant=srv.boolean("assistant", False),
        think_delay=srv.number("think_delay", 0.5),
        reply_delay=srv.number("reply_delay", 1.0),
    )
    options = _parse_options(top.sub("strategy_options", None), declared)
    clients = _parse_clients(top)
    workload = _parse_workload(top) if top.has("workload") else None
    sends = _parse_sends(top, len(clients))
    events = _parse_events(top, len(clients))
    explore = _parse_explore(top.sub("explore", {"faults", "max_disconnects", "sometimes"}))
    return Scenario(
        name=name, description=top.string("description", ""), strategy=strategy, seed=seed,
        until=until, post=post, sse=sse, server=server, strategy_options=options, clients=clients,
        workload=workload, sends=sends, events=events, explore=explore, source=source,
    )


def _parse_post(r: _Reader) -> PostConfig:
    faults_r = r.sub("faults", set(FAULTS))
    faults = tuple((f, faults_r.number(f, 0.0)) for f in FAULTS)
    for f, p in faults:
        if p > 1.0:
            faults_r.fail(f, f"probability must be in [0, 1], got {p:g}")
    total = sum(p for _, p in faults)
    if total > 1.0 + 1e-12:
        faults_r.fail(None, f"fault probabilities sum to {total:g}, above 1")
    default = PostConfig()
    return PostConfig(
        request_latency=r.dist("request_latency", default.request_latency),
        response_latency=r.dist("response_latency", default.response_latency),
        timeout=r.number("timeout", default.timeout),
        faults=faults,
    )


def _parse_sse(top: _Reader) -> SseConfig:
    r = top.sub("sse", {"delay", "payload", "disconnect_rate", "reconnect_delay", "resume",
                        "old_stream_drains", "old_stream_delay"})
    d = SseConfig()
    return SseConfig(
        delay=r.dist("delay", d.delay),
        payload=r.string("payload", d.payload, PAYLOADS),
        disconnect_rate=r.number("disconnect_rate", d.disconnect_rate),
        reconnect_delay=r.number("reconnect_delay", d.reconnect_delay),
        resume=r.string("resume", d.resume, RESUMES),
        old_stream_drains=r.boolean("old_stream_drains", d.old_stream_drains),
        old_stream_delay=r.number("old_stream_delay", d.old_stream_delay),
    )


def _parse_options(r: _Reader, declared: set) -> StrategyOptions:
    known = {"retries", "retry_backoff", "retry_backoff_max", "request_deadline"}
    d = StrategyOptions()
    extra = tuple(sorted((k, v) for k, v in r.table.items() if k not in known))
    for key, _ in extra:
        if key not in declared:
            r.fail(key, f"unknown key (expected one of: {', '.join(sorted(known | declared))}; "
                        "a plug-in strategy declares its own in option_keys)")
    return StrategyOptions(
        retries=r.integer("retries", d.retries),
        retry_backoff=r.number("retry_backoff", d.retry_backoff),
        retry_backoff_max=r.number("retry_backoff_max", d.retry_backoff_max),
        request_deadline=r.number("request_deadline", d.request_deadline),
        extra=extra,
    )


def _parse_clients(top: _Reader) -> tuple[ClientConfig, ...]:
    if not top.has("clients"):
        return (ClientConfig(),)
    clients = []
    for c in top.array_of_tables("clients"):
        _Reader(c.source, c.table, c.path, {"session"})
        clients.append(ClientConfig(session=c.string("session", "s1")))
    if not clients:
        top.fail("clients", "must list at least one client")
    return tuple(clients)


def _parse_workload(top: _Reader) -> Workload:
    r = top.sub("workload", {"rate", "count", "content_length"})
    d = Workload()
    rate = r.number("rate", d.rate)
    if rate <= 0:
        r.fail("rate", "must be > 0")
    return Workload(rate=rate, count=r.integer("count", d.count),
                    content_length=r.integer("content_length", d.content_length))


def _client_index(r: _Reader, n_clients: int) -> int:
    client = r.integer("client", 0)
    if client >= n_clients:
        r.fail("client", f"names client {client}, but the scenario has {n_clients} client(s)")
    return client


def _parse_sends(top: _Reader, n_clients: int) -> tuple[SendSpec, ...]:
    sends = []
    for s in top.array_of_tables("sends"):
        _Reader(s.source, s.table, s.path,
                {"at", "client", "content", "fault", "request_latency", "response_latency"})
        sends.append(SendSpec(
            at=s.number("at", 0.0), client=_client_index(s, n_clients),
            content=s.string("content", "A"), fault=s.string("fault", None, ALL_FAULTS),
            request_latency=s.dist("request_latency", None),
            response_latency=s.dist("response_latency", None),
        ))
    return tuple(sorted(sends, key=lambda x: x.at))


def _parse_events(top: _Reader, n_clients: int) -> tuple[EventSpec, ...]:
    events = []
    for e in top.array_of_tables("events"):
        _Reader(e.source, e.table, e.path, {"at", "client", "kind"})
        events.append(EventSpec(at=e.number("at", 0.5), client=_client_index(e, n_clients),
                                kind=e.string("kind", "sse-disconnect", EVENT_KINDS)))
    return tuple(sorted(events, key=lambda x: x.at))


def _parse_explore(r: _Reader) -> ExploreConfig:
    d = ExploreConfig()
    faults = d.faults
    if r.has("faults"):
        value = r.table["faults"]
        if not isinstance(value, list) or not value:
            r.fail("faults", "must be a non-empty array of fault names")
        for i, f in enumerate(value):
            if f not in ALL_FAULTS:
                r.fail(f"faults[{i}]", f"unknown fault {f!r}; one of {', '.join(ALL_FAULTS)}")
        faults = tuple(dict.fromkeys(value))
    sometimes = None
    if r.has("sometimes"):
        value = r.table["sometimes"]
        if not isinstance(value, list):
            r.fail("sometimes", "must be an array of property names")
        for i, name in enumerate(value):
            if name not in SOMETIMES:
                r.fail(f"sometimes[{i}]", f"unknown property {name!r}; one of {', '.join(SOMETIMES)}")
        sometimes = tuple(dict.fromkeys(value))
    return ExploreConfig(faults=faults, max_disconnects=r.integer("max_disconnects", d.max_disconnects),
                         sometimes=sometimes)


def _tname(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)
