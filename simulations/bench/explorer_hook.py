"""Explorer throughput (issue 6, part e): the hook the explorer's engineer fills in.

:func:`explorer_figures` times the exhaustive explorer on the three-send bounded scenario,
with and without reduction, and reports states per second. Until ``simulations.explore``
exists it answers "not available"; once it does, :func:`run_explorer` is the one function
to write, calling the function that module documents.
"""

from __future__ import annotations

import importlib
import statistics
import time

# Three quick sends with the [explore] bounds of the SPEC's §6 example.
THREE_SENDS = {
    "name": "three-sends",
    "strategy": "seed",
    "post": {"request_latency": 0.05, "response_latency": 0.05, "timeout": 10.0},
    "sse": {"delay": 0.03, "payload": "snapshot"},
    "sends": [
        {"at": 0.0, "content": "A"},
        {"at": 0.01, "content": "B"},
        {"at": 0.02, "content": "C"},
    ],
    "explore": {"faults": ["ok", "error_after_commit", "response_lost"], "max_disconnects": 1},
}


def run_explorer(explore, scenario_data: dict, *, reduction: bool) -> int:
    """Explore ``scenario_data`` with the module ``explore``; return the states visited.

    TO FILL IN by the explorer's engineer: parse ``scenario_data`` (see
    ``simulations.bench.runner.ssesim_engine`` for the parser), call the explorer with
    reduction on or off as ``reduction`` says, and return its state count. Raise
    ``NotImplementedError`` while this is not wired.
    """
    raise NotImplementedError("explorer hook not wired: fill in run_explorer")


def explorer_figures(repeat: int) -> dict | str:
    """``{"reduction": {...}, "no reduction": {...}}`` with states and states/s, or a reason."""
    try:
        explore = importlib.import_module("simulations.explore")
    except ModuleNotFoundError as exc:
        if exc.name != "simulations.explore":
            raise
        return "explorer: not available"
    figures = {}
    try:
        for label, reduction in (("no reduction", False), ("reduction", True)):
            seconds, states = [], 0
            for _ in range(repeat):
                start = time.perf_counter()
                states = run_explorer(explore, THREE_SENDS, reduction=reduction)
                seconds.append(time.perf_counter() - start)
            best = statistics.median(seconds)
            figures[label] = {"states": states, "seconds": best, "states_per_s": states / best}
    except NotImplementedError as exc:
        return f"explorer: {exc} (simulations/bench/explorer_hook.py)"
    return figures
