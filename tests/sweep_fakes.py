"""Stand-ins for the engine in sweep tests: a tiny scenario validator and a deterministic run."""

from __future__ import annotations

import json
import random

from model.errors import InputError

INVARIANTS = ("sse-only", "no-orphan", "no-ghost", "no-flicker", "no-duplicate", "convergence",
              "monotonic", "isolation", "send-order", "no-silent-loss")
_KNOWN = {"name", "description", "post", "sse", "workload", "server", "strategy", "seed"}


def fake_parse(data: dict, source: str):
    """Checks the few keys the tests sweep: unknown top keys, fault probabilities, payload, count."""
    for key in data:
        if key not in _KNOWN:
            raise InputError(source, key, "unknown key")
    faults = data.get("post", {}).get("faults", {})
    for name, p in faults.items():
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise InputError(source, f"post.faults.{name}", "must be a number")
        if not 0 <= p <= 1:
            raise InputError(source, f"post.faults.{name}", "must be a probability in [0, 1]")
    if sum(faults.values()) > 1:
        raise InputError(source, "post.faults", "probabilities sum above 1")
    payload = data.get("sse", {}).get("payload", "snapshot")
    if payload not in ("snapshot", "delta"):
        raise InputError(source, "sse.payload", f"must be snapshot or delta, got {payload!r}")
    count = data.get("workload", {}).get("count", 10)
    if not isinstance(count, int) or count < 0:
        raise InputError(source, "workload.count", "must be an integer >= 0")
    return data


def fake_run(data: dict, source: str, strategy: str, seed: int) -> dict:
    """A deterministic result shaped like RunResult.to_json(), driven by the fault rate."""
    rng = random.Random(json.dumps([data, strategy, seed], sort_keys=True))
    sends = data.get("workload", {}).get("count", 10)
    p = data.get("post", {}).get("faults", {}).get("response_lost", 0.0)
    p *= 0.1 if strategy == "reconciled" else 1.0
    violations = {i: sum(rng.random() < p for _ in range(sends)) for i in INVARIANTS}
    samples = [round(rng.lognormvariate(-2, 0.5), 6) for _ in range(sends)]
    per_event = 20 * sends if data.get("sse", {}).get("payload", "snapshot") == "snapshot" else 20
    metrics = {"posts": sends, "errors_shown": violations["no-ghost"], "unconfirmed": 0,
               "confirm_time": {"count": len(samples), "mean": sum(samples) / max(1, sends),
                                "p50": None, "p90": None, "p99": None, "max": max(samples, default=None)},
               "flicker_count": violations["no-flicker"], "flicker_time": rng.random(),
               "diverged_time": 1.0, "view_changes": 3 * sends, "rerenders_per_send": 3.0,
               "sse_bytes": per_event * sends, "sse_events": sends, "convergence_time": None,
               "end_time": 10.0, "events": 5 * sends, "stuck": False}
    result = {"scenario": "fake", "strategy": strategy, "seed": seed, "sends": sends,
              "committed": sends, "violations": violations, "chart_gaps": 0, "metrics": metrics}
    return {"result": result, "confirm_times": samples}


def failing_run(data: dict, source: str, strategy: str, seed: int) -> dict:
    """fake_run, except that strategy "seed" with seed 2 raises."""
    if strategy == "seed" and seed == 2:
        raise RuntimeError("planted failure\nsecond line")
    return fake_run(data, source, strategy, seed)


def interrupted_run(data: dict, source: str, strategy: str, seed: int) -> dict:
    """fake_run, except that the last run of test_sweep_runner's sweep (response_lost 0.2,
    reconciled, seed 4) stops the sweep as Ctrl-C would. It is submitted only once runs before it
    were written (at most 4 per worker are in flight), so some rows are always there; stopping at
    an earlier seed raced: its failure could be the first result the runner saw."""
    if (strategy, seed, data["post"]["faults"]["response_lost"]) == ("reconciled", 4, 0.2):
        raise KeyboardInterrupt
    return fake_run(data, source, strategy, seed)
