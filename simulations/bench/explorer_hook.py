"""Explorer throughput (issue 6, part e): the exhaustive explorer timed on a bounded scenario.

:func:`explorer_figures` times the explorer on the three-send bounded scenario, with and
without reduction, and reports states per second; :func:`run_explorer` is the one function
that knows the explorer's API.
"""

from __future__ import annotations

import statistics
import time

from simulations.explore.explorer import explore
from simulations.io.scenario import parse_scenario

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
    "explore": {"faults": ["ok", "error_after_commit", "response_lost", "request_lost"],
                "max_disconnects": 1},
}


def run_explorer(scenario_data: dict, *, reduction: bool) -> tuple[int, int]:
    """Explore ``scenario_data``; return (states, transitions)."""
    result = explore(parse_scenario(scenario_data, source="<bench>"), reduction=reduction)
    return result.states, result.transitions


def explorer_figures(repeat: int, scenario_data: dict = THREE_SENDS, clock=time.process_time) -> dict:
    """``{"no reduction": {...}, "reduction": {...}}``: states, transitions, seconds, rates."""
    figures = {}
    for label, reduction in (("no reduction", False), ("reduction", True)):
        seconds, states, transitions = [], 0, 0
        for _ in range(repeat):
            start = clock()
            states, transitions = run_explorer(scenario_data, reduction=reduction)
            seconds.append(clock() - start)
        best = statistics.median(seconds)
        figures[label] = {
            "states": states,
            "transitions": transitions,
            "seconds": best,
            "states_per_s": states / best,
            "transitions_per_s": transitions / best,
        }
    return figures
