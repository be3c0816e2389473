"""The outcome of one run, as data: what ``run --json`` prints (SPEC §6), for the simulator and live runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from model.invariants import INVARIANTS


@dataclass
class RunResult:
    """The outcome of one simulation: violations as data, metrics, chart gaps."""

    scenario: str
    strategy: str
    seed: int | None  # None: an explored path replayed, not a seeded run
    sends: int
    committed: int
    violations: dict[str, int]
    chart_gaps: int
    metrics: dict
    examples: dict[str, dict] = field(default_factory=dict)
    gaps: list[dict] = field(default_factory=list)
    confirm_times: list[float] = field(default_factory=list)
    events: int = 0
    warnings: list[str] = field(default_factory=list)
    sometimes: set[str] = field(default_factory=set)

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())

    def to_json(self) -> dict:
        """The SPEC §6 ``run --json`` object."""
        return {"scenario": self.scenario, "strategy": self.strategy, "seed": self.seed,
                "sends": self.sends, "committed": self.committed,
                "violations": {k: self.violations[k] for k in INVARIANTS},
                "chart_gaps": self.chart_gaps, "metrics": self.metrics}
