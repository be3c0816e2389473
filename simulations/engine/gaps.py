"""The chart gaps observed by simulating the built-in example scenarios (for the completed chart).

Every built-in strategy runs every example scenario (the random workload with three seeds); each
``(state, event, next state)`` the seed's chart does not allow is collected, most frequent first.
"""

from __future__ import annotations

from collections import Counter

from model.strategies import BUILTIN
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario


def observed_gap_counts(seeds: int = 3) -> Counter:
    counts: Counter = Counter()
    for path in builtin_scenarios():
        scenario = load_scenario(path)
        for strategy in BUILTIN:
            for seed in range(1, (seeds if scenario.workload else 1) + 1):
                for gap in simulate(scenario, strategy=strategy, seed=seed).gaps:
                    counts[(gap["from"], gap["event"], gap["to"])] += gap["count"]
    return counts


def observed_gaps() -> list[tuple[str, str, str]]:
    """Gap edges (state, event label, next state), most frequent first, ties in name order."""
    counts = observed_gap_counts()
    return [gap for gap, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
