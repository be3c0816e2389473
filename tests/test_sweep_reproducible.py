"""Rates are reproducible: two disjoint seed sets of the realistic workload agree within their CIs."""

from __future__ import annotations

from model.invariants import INVARIANTS
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario
from simulations.sweep.aggregate import RatioStat

REALISTIC = next(p for p in builtin_scenarios() if p.stem == "realistic")


def rates(seeds) -> dict[str, RatioStat]:
    scenario = load_scenario(REALISTIC)
    stats = {inv: RatioStat() for inv in INVARIANTS}
    for seed in seeds:
        r = simulate(scenario, strategy="seed", seed=seed)
        for inv in INVARIANTS:
            stats[inv].add(r.violations[inv], r.sends)
    return stats


def test_seed_strategy_rates_agree_across_disjoint_seed_sets():
    a, b = rates(range(1, 31)), rates(range(1001, 1031))
    seen = 0
    for inv in INVARIANTS:
        ra, lo_a, hi_a = a[inv].interval()
        rb, lo_b, hi_b = b[inv].interval()
        assert lo_a <= hi_b and lo_b <= hi_a, f"{inv}: {ra:.4f} [{lo_a:.4f}, {hi_a:.4f}] vs " \
                                              f"{rb:.4f} [{lo_b:.4f}, {hi_b:.4f}]"
        seen += ra > 0 and rb > 0
    assert seen >= 3  # the comparison is about real, non-zero rates (flicker, ghost, ...)
