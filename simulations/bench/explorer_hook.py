"""Explorer throughput (issue 6, part e): the hook the explorer's engineer fills in.

:func:`explorer_figures` times the exhaustive explorer on the three-send bounded scenario,
with and without reduction, and reports states per second. Until ``simulations.explore.explorer``
exists it answers "not available"; :func:`run_explorer` is the one function that knows the
explorer's API, kept apart so that the explorer's engineer can change it alone.
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
    "explore": {"faults": ["ok", "error_after_commit", "response_lost", "request_lost"],
                "max_disconnects": 1},
}


def run_explorer(explore, scenario_data: dict, *, reduction: bool) -> tuple[int, int]:
    """Explore ``scenario_data`` with the module ``explore``; return (states, transitions).

    The one place that knows the explorer's API: ``explore.explore(scenario, *, reduction)``
    returning an ``Exploration`` with ``states`` and ``transitions``. If that API changes,
    change this function.
    """
    from simulations.io.scenario import parse_scenario

    result = explore.explore(parse_scenario(scenario_data, source="<bench>"), reduction=reduction)
    return result.states, result.transitions


def explorer_figures(
    repeat: int, scenario_data: dict = THREE_SENDS, clock=time.process_time
) -> dict | str:
    """``{"no reduction": {...}, "reduction": {...}}`` (states, transitions, rates), or a reason."""
    try:
        explore = importlib.import_module("simulations.explore.explorer")
    except ModuleNotFoundError as exc:
        if exc.name != "simulations.explore.explorer":
            raise
        return "explorer: not available"
    figures = {}
    try:
        for label, reduction in (("no reduction", False), ("reduction", True)):
            seconds, states, transitions = [], 0, 0
            for _ in range(repeat):
                start = clock()
                states, transitions = run_explorer(explore, scenario_data, reduction=reduction)
                seconds.append(clock() - start)
            best = statistics.median(seconds)
            figures[label] = {
                "states": states,
                "transitions": transitions,
                "seconds": best,
                "states_per_s": states / best,
                "transitions_per_s": transitions / best,
            }
    except (AttributeError, TypeError) as exc:  # the explorer's API moved under the hook
        return f"explorer: hook out of date, fix run_explorer: {exc}"
    return figures
