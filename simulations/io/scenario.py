"""Load and validate scenario files (TOML, SPEC §6) into ``model.config.Scenario``.

The file format is declared once, in ``simulations.io.schema.scenario``: keys, types, ranges and
defaults. This module reads the TOML, validates it against that declaration, checks what the
declaration cannot say (a send naming a missing client, the strategy and its options, the work a
workload may generate) and builds the model's values. Every problem is an ``InputError`` whose text
is one line naming the file, the key and the problem.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from model.config import (
    FAULTS,
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
from model.plugins import resolve_strategy
from simulations.io.schema import scenario as declared
from simulations.io.schema.base import check_depth, render_key, validate

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a scenario or sweep file larger than this is refused unread


def load_scenario_data(path: str | Path) -> dict:
    """The raw TOML table of a scenario file; unreadable or malformed files raise InputError."""
    return read_toml(Path(path), "scenario file")


def read_toml(path: Path, what: str) -> dict:
    """The TOML table in ``path`` (a ``what``: scenario file, sweep file); InputError otherwise."""
    where = str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(where, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(where, None, f"is a directory, not a {what}") from None
    except OSError as exc:
        raise InputError(where, None, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(where, None, f"larger than {MAX_FILE_BYTES // 2**20} MiB; not a {what}")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(where, None, f"invalid TOML: not UTF-8 text (byte {exc.start + 1})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, None, f"invalid TOML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise InputError(where, None, "invalid TOML: tables or arrays nested too deeply to read") from None
    except ValueError as exc:  # an integer too long to convert (Python's digit limit)
        raise InputError(where, None, f"invalid TOML: {' '.join(str(exc).split()[:12])}") from None
    check_depth(data, where)
    return data


def load_scenario(path: str | Path) -> Scenario:
    return parse_scenario(load_scenario_data(path), source=str(path))


def builtin_scenarios() -> list[Path]:
    """The example scenarios shipped with ssesim, sorted by file name."""
    return sorted(BUILTIN_DIR.glob("*.toml"))


def parse_scenario(data: dict, source: str = "<scenario>", option_keys=()) -> Scenario:
    """Validate a raw scenario table and build a Scenario; raise InputError on the first problem.

    ``[strategy_options]`` takes the four documented keys, the keys the scenario's own strategy
    declares in ``option_keys``, and ``option_keys`` (a sweep passes its strategies' keys).
    """
    f = validate(declared.ScenarioFile, data, source)
    name = f.name if f.name is not None else (Path(source).stem if source.endswith(".toml") else "scenario")
    declared_keys = set(resolve_strategy(f.strategy, source).option_keys) | set(option_keys)
    options = _options(f.strategy_options, declared_keys, source)
    n_clients = len(f.clients)
    workload = _workload(f.workload, n_clients, source) if f.workload is not None else None
    sends = tuple(sorted((_send(s, i, n_clients, source) for i, s in enumerate(f.sends)),
                         key=lambda x: x.at))
    events = tuple(sorted((EventSpec(at=e.at, client=_client(e.client, f"events[{i}]", n_clients, source),
                                     kind=e.kind, refuse=e.refuse) for i, e in enumerate(f.events)), key=lambda x: x.at))
    post, sse, srv, exp = f.post, f.sse, f.server, f.explore
    return Scenario(
        name=name, description=f.description, strategy=f.strategy, seed=f.seed, until=f.until,
        post=PostConfig(request_latency=dist(post.request_latency),
                        response_latency=dist(post.response_latency), timeout=post.timeout,
                        faults=tuple((fault, getattr(post.faults, fault)) for fault in FAULTS)),
        sse=SseConfig(delay=dist(sse.delay), payload=sse.payload, disconnect_rate=sse.disconnect_rate,
                      reconnect_delay=dist(sse.reconnect_delay), resume=sse.resume,
                      old_stream_drains=sse.old_stream_drains, old_stream_delay=dist(sse.old_stream_delay),
                      reconnect_refused=sse.reconnect_refused),
        server=ServerConfig(max_message_length=srv.max_message_length, assistant=srv.assistant,
                            think_delay=dist(srv.think_delay), reply_delay=dist(srv.reply_delay)),
        strategy_options=options, clients=tuple(ClientConfig(session=c.session) for c in f.clients),
        workload=workload, sends=sends, events=events,
        explore=ExploreConfig(faults=tuple(dict.fromkeys(exp.faults)), max_disconnects=exp.max_disconnects,
                              max_refusals=exp.max_refusals, max_timeouts=exp.max_timeouts,
                              sometimes=None if exp.sometimes is None else tuple(dict.fromkeys(exp.sometimes))),
        source=source,
    )


def dist(value) -> Dist | None:
    """The model's ``Dist`` of a validated delay: a bare number is a constant (SPEC §2.5)."""
    if value is None:
        return None
    if isinstance(value, float):
        return Dist("constant", value=value)
    kind = value.dist
    if kind == "constant":
        return Dist(kind, value=value.value)
    if kind == "uniform":
        return Dist(kind, low=value.low, high=value.high)
    if kind == "exponential":
        return Dist(kind, mean=value.mean)
    if kind == "lognormal":
        return Dist(kind, median=value.median, sigma=value.sigma)
    return Dist(kind, samples=tuple(value.samples))


def _options(table, declared_keys: set, source: str) -> StrategyOptions:
    known = set(declared.StrategyOptions.model_fields)
    extra = tuple(sorted((table.model_extra or {}).items()))
    for key, _ in extra:
        if key not in declared_keys:
            raise InputError(source, render_key(["strategy_options", key]),
                             f"unknown key (expected one of: {', '.join(sorted(known | declared_keys))}; "
                             "a plug-in strategy declares its own in option_keys)")
    return StrategyOptions(retries=table.retries, retry_backoff=table.retry_backoff,
                           retry_backoff_max=table.retry_backoff_max,
                           request_deadline=table.request_deadline, extra=extra)


def _workload(w, n_clients: int, source: str) -> Workload:
    total = w.count * n_clients * w.content_length
    if total > declared.MAX_CONTENT:
        raise InputError(source, "workload.content_length",
                         f"count x clients x content_length must be <= {declared.MAX_CONTENT} characters "
                         f"(all the workload's messages), got {w.count} x {n_clients} x "
                         f"{w.content_length} = {total}")
    return Workload(rate=w.rate, count=w.count, content_length=w.content_length)


def _client(client: int, where: str, n_clients: int, source: str) -> int:
    if client >= n_clients:
        raise InputError(source, f"{where}.client",
                         f"names client {client}, but the scenario has {n_clients} client(s)")
    return client


def _send(s, i: int, n_clients: int, source: str) -> SendSpec:
    return SendSpec(at=s.at, client=_client(s.client, f"sends[{i}]", n_clients, source), content=s.content,
                    fault=s.fault, request_latency=dist(s.request_latency),
                    response_latency=dist(s.response_latency))
