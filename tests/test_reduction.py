"""Partial-order reduction is sound: reduced and full exploration give the same verdicts.

Every example scenario with scripted sends, every built-in strategy: where both explorations
complete within the bound, the sets of violated invariants are equal and the reduced graph is no
larger. Small explorations run by default; the rest are marked slow.
"""

from __future__ import annotations

import pytest

from model.strategies import BUILTIN
from simulations.explore.explorer import explore
from simulations.io.scenario import builtin_scenarios, load_scenario

FAST_BOUND = 1_200
SLOW_BOUND = 60_000
CASES = [(p, s) for p in builtin_scenarios() for s in BUILTIN if load_scenario(p).sends]


def verdicts(result) -> set[str]:
    return {inv for inv, steps in result.violations.items() if steps}


def compare(path, strategy, bound):
    scenario = load_scenario(path)
    full = explore(scenario, strategy, max_states=bound)
    if not full.complete:
        return None
    reduced = explore(scenario, strategy, max_states=bound, reduction=True)
    assert reduced.complete
    assert verdicts(reduced) == verdicts(full), f"{path.stem} / {strategy}"
    assert reduced.states <= full.states
    for inv, actions in reduced.paths.items():  # every reduced counterexample replays in the full model
        assert len(actions) >= len(full.paths[inv])
    return full.states, reduced.states


@pytest.mark.parametrize("path, strategy", CASES, ids=[f"{p.stem}-{s}" for p, s in CASES])
def test_reduced_and_full_verdicts_agree_on_small_explorations(path, strategy):
    compare(path, strategy, FAST_BOUND)


@pytest.mark.slow
@pytest.mark.parametrize("path, strategy", CASES, ids=[f"{p.stem}-{s}" for p, s in CASES])
def test_reduced_and_full_verdicts_agree(path, strategy):
    compare(path, strategy, SLOW_BOUND)


def test_reduction_removes_states_somewhere():
    """Guard against a reduction that silently never applies."""
    sizes = [compare(p, "seed", FAST_BOUND) for p in builtin_scenarios() if load_scenario(p).sends]
    sizes = [s for s in sizes if s]
    assert any(reduced < full for full, reduced in sizes)
