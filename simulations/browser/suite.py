"""Many browser runs in one browser: the race suite, repeated runs, and their reports.

The race suite plays every example scenario with one client module and tabulates race × verdict
(the race a scenario's description names, SPEC's A-numbers); a scenario a native EventSource
cannot play is *not realizable*, never a pass. Repeated runs count how often each invariant broke,
with a 95% (Wilson) interval. ``junit_xml`` writes one test case per scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from model.invariants import INVARIANTS
from simulations.browser.runner import browser_run_async, realizable


def race(description: str) -> str:
    """The race a description opens with (``"A5 silent drop: ..."`` -> ``"A5 silent drop"``), else
    ``""`` (as the report's scenario table reads it; the report sits above this part)."""
    head, sep, _ = description.partition(":")
    return head.strip() if sep and len(head) <= 60 else ""


@dataclass
class Row:
    """One scenario of a suite: its verdict, or why it was not played."""

    scenario: str
    race: str
    violations: dict = field(default_factory=dict)
    not_realizable: str | None = None
    result: object = None
    runs: int = 0
    broke: dict = field(default_factory=dict)  # invariant -> runs in which it broke

    @property
    def violated(self) -> list[str]:
        return [inv for inv in INVARIANTS if self.broke.get(inv)]

    @property
    def verdict(self) -> str:
        if self.not_realizable:
            return "not realizable"
        return ", ".join(self.violated) or "clean"

    def to_json(self) -> dict:
        out = {"scenario": self.scenario, "race": self.race, "verdict": self.verdict,
               "runs": self.runs, "broke": {inv: self.broke.get(inv, 0) for inv in INVARIANTS},
               "rates": {inv: _rate(self.broke.get(inv, 0), self.runs) for inv in INVARIANTS}}
        if self.not_realizable:
            out["not_realizable"] = self.not_realizable
        return out


async def play(scenario, module, pool, *, runs: int = 1, seed: int | None = None, trace_path=None,
               limits=None, replay=None, time_scale: float = 0.0) -> Row:
    """``runs`` runs of ``scenario`` (seeds ``seed``, ``seed + 1``, ...), lockstep or free
    (``time_scale`` > 0); ``replay``: a counterexample's (steps, file) instead of the schedule."""
    row = Row(scenario.name, race(scenario.description) or "-")
    why = realizable(scenario)
    if why is not None:
        row.not_realizable = why
        return row
    base = scenario.seed if seed is None else seed
    for k in range(runs):
        result = await browser_run_async(scenario, module, pool, seed=base + k,
                                         trace_path=trace_path if k == 0 else None, limits=limits,
                                         replay=replay, time_scale=time_scale)
        row.runs += 1
        row.result = row.result or result
        for inv, n in result.violations.items():
            if n:
                row.broke[inv] = row.broke.get(inv, 0) + 1
        row.violations = dict(row.result.violations)
    return row


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval of a rate k/n."""
    if n == 0:
        return 0.0, 1.0
    z, p = 1.96, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"broke": k, "runs": n, "rate": round(k / n, 4) if n else 0.0, "ci95": [round(lo, 4), round(hi, 4)]}


def rates(row: Row) -> str:
    lines = [f"{row.scenario}: {row.runs} runs"]
    for inv in INVARIANTS:
        k = row.broke.get(inv, 0)
        lo, hi = wilson(k, row.runs)
        lines.append(f"  {inv:<15} {k:>4}/{row.runs}  {k / max(row.runs, 1):6.1%}  (95% {lo:.1%} … {hi:.1%})")
    return "\n".join(lines)


def table(rows: list[Row], client: str, mode: str = "lockstep") -> str:
    width = max([len(r.scenario) for r in rows] + [8])
    rwidth = max([len(r.race) for r in rows] + [4])
    lines = [f"race suite: client module {client}, {mode} in Chromium",
             f"{'scenario':<{width}}  {'race':<{rwidth}}  verdict"]
    lines += [f"{r.scenario:<{width}}  {r.race:<{rwidth}}  {r.verdict}" for r in rows]
    broke = [r for r in rows if r.violated]
    skipped = sum(1 for r in rows if r.not_realizable)
    lines.append(f"browser {'FAILED' if broke else 'passed'}: {len(rows)} scenarios, {len(broke)} with a "
                 f"broken invariant, {skipped} not realizable")
    return "\n".join(lines)


def junit_xml(rows: list[Row], client: str) -> str:
    failures = sum(1 for r in rows if r.violated)
    skipped = sum(1 for r in rows if r.not_realizable)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           (f'<testsuite name={quoteattr("ssesim browser " + client)} tests="{len(rows)}" '
            f'failures="{failures}" skipped="{skipped}">')]
    for r in rows:
        out.append(f'  <testcase classname={quoteattr("browser." + client)} name={quoteattr(r.scenario)}>')
        if r.not_realizable:
            out.append(f"    <skipped message={quoteattr('not realizable: ' + r.not_realizable)}/>")
        elif r.violated:
            out.append(f"    <failure message={quoteattr('broken: ' + ', '.join(r.violated))}>"
                       f"{escape(r.race)}</failure>")
        out.append("  </testcase>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"
