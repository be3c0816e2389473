"""The explorer's verdicts and shortest counterexample lengths are those recorded in the fixture.

``tests/data/explore_verdicts.json`` was first written before the explored state was redeclared and
its key canonicalised (issue 11, at 00ad6c7), and written again under SPEC v3.2 (issue 19), which
changes verdicts on purpose: a disconnect before the first event now reconnects without an id and
gets nothing replayed (A13), so ``old-stream-drains`` under ``seed`` and ``seed-retry`` gains a
``no-orphan`` counterexample and shorter ``convergence`` ones, and ``dual-write`` a shorter
``convergence`` one; every other verdict and length of the first recording stayed the same (README:
What v3.2 changed). Command: ``python -m simulations.bench.explore_verdicts
tests/data/explore_verdicts.json --max-states 200000``: per example scenario × built-in strategy,
the states, whether the search completed, and the length of the shortest counterexample of each
invariant.

A case that completed before must give the same verdict and the same length per invariant. A case the
bound stopped before is known only in part: every violation found then must be found now with a
counterexample no longer, and the search must now complete (it fails loudly otherwise). Cases that
were large before run under ``-m slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.invariants import INVARIANTS
from simulations.explore.explorer import explore
from simulations.io.scenario import builtin_scenarios, load_scenario

BEFORE = json.loads((Path(__file__).parent / "data" / "explore_verdicts.json").read_text())
FAST = 5_000  # cases with at most this many states before run in the default suite
BOUND = 1_000_000
STEMS = {p.stem: p for p in builtin_scenarios()}
CASES = sorted(BEFORE["cases"])
assert {c.split("/")[0] for c in CASES} == set(STEMS), "an example scenario has no recorded verdicts"


def small(case: str) -> bool:
    before = BEFORE["cases"][case]
    return before["complete"] and before["states"] <= FAST


def check(case: str) -> None:
    stem, strategy = case.split("/")
    before = BEFORE["cases"][case]
    result = explore(load_scenario(STEMS[stem]), strategy, max_states=BOUND)
    assert result.complete, f"{case}: still incomplete at {BOUND} states"
    now = {inv: (len(result.paths[inv]) if inv in result.paths else None) for inv in INVARIANTS}
    if before["complete"]:
        assert now == before["violations"], case
        return
    for inv, length in before["violations"].items():
        if length is not None:
            assert now[inv] is not None and now[inv] <= length, f"{case}: {inv}"


@pytest.mark.parametrize("case", [c for c in CASES if small(c)])
def test_verdicts_and_shortest_lengths_are_unchanged(case):
    check(case)


# Known not to finish: more than BOUND states even with the canonical key (with one retry instead of
# three: more than 400,000 states without reduction, 165,532 with it). A strict xfail: it reports
# as such in every slow run, and fails as soon as the case completes, so that this list is updated.
TOO_LARGE = {"assistant-typing/seed-retry", "old-stream-drains/seed-retry"}


@pytest.mark.slow
@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=f"more than {BOUND:,} states"))
    if c in TOO_LARGE else c
    for c in CASES if not small(c)])
def test_verdicts_and_shortest_lengths_are_unchanged_on_large_cases(case):
    check(case)
