"""Agreement: what the simulator finds, the explorer finds too.

Every scripted schedule the simulator can produce is one interleaving of the explorer's (untimed)
model, so for each example scenario with sends, each built-in strategy and seeds 1..20, every invariant
a simulation violates must be violated in the exploration — wherever the exploration completes.
Explorations known to stay within ``FAST_BOUND`` states run by default; the large ones (``seed-retry``,
whose retries multiply interleavings: 300 to over 300 000 states; ``old-stream-drains`` under the seed
and dual-write: 15 000 and 20 000) run in the slow test, which covers every case.
"""

from __future__ import annotations

import pytest

from model.strategies import BUILTIN
from simulations.engine.simulator import simulate
from simulations.explore.explorer import explore
from simulations.io.scenario import builtin_scenarios, load_scenario

FAST_BOUND = 5_000
SLOW_BOUND = 300_000
# seed-retry on these exceeds 400 000 states (measured: 3 to 4.5 minutes and ~3.5 GB each to find out).
BEYOND = {"two-sessions", "two-tabs", "accepted-then-dropped", "old-stream-drains", "assistant-typing"}
RUNS = 20
CASES = [(p, s) for p in builtin_scenarios() for s in BUILTIN if load_scenario(p).sends]
IDS = [f"{p.stem}-{s}" for p, s in CASES]
SMALL_SEED_RETRY = {"disconnect-resume-none", "error-after-commit", "response-lost-after-commit"}
LARGE = {(p.stem, s) for p, s in CASES if s == "seed-retry" and p.stem not in SMALL_SEED_RETRY} | {
    ("old-stream-drains", "seed"), ("old-stream-drains", "dual-write")}
FAST = [(p, s) for p, s in CASES if (p.stem, s) not in LARGE]


def simulated(scenario, strategy) -> set[str]:
    found = set()
    for seed in range(1, RUNS + 1):
        result = simulate(scenario, strategy=strategy, seed=seed)
        found |= {inv for inv, n in result.violations.items() if n}
    return found


def agree(path, strategy, bound, *, deep: bool = False) -> None:
    """Fail unless the exploration completes (skip instead in the deep run, naming the bound)."""
    scenario = load_scenario(path)
    result = explore(scenario, strategy, max_states=bound)
    if not result.complete and deep:
        pytest.skip(f"{path.stem} / {strategy}: exploration exceeds {bound} states")
    assert result.complete, f"{path.stem} / {strategy}: over {bound} states; mark the case LARGE"
    explored = {inv for inv, steps in result.violations.items() if steps}
    missing = simulated(scenario, strategy) - explored
    assert not missing, f"{path.stem} / {strategy}: simulation found {missing}, exploration did not"


@pytest.mark.parametrize("path, strategy", FAST, ids=[f"{p.stem}-{s}" for p, s in FAST])
def test_simulated_violations_are_explored(path, strategy):
    agree(path, strategy, FAST_BOUND)


@pytest.mark.slow
@pytest.mark.parametrize("path, strategy", CASES, ids=IDS)
def test_simulated_violations_are_explored_deep(path, strategy):
    if strategy == "seed-retry" and path.stem in BEYOND:
        pytest.skip("seed-retry's exploration exceeds 400 000 states here")
    agree(path, strategy, SLOW_BOUND, deep=True)
