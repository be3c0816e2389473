"""The report's verdict section: an exploration the state bound stopped is run again under a
timeout budget, and the section says what that budget decided, within it only."""

from __future__ import annotations

import dataclasses

from simulations.explore.explorer import explore
from simulations.io.scenario import builtin_scenarios, load_scenario
from simulations.report.check import BOUNDED_TIMEOUTS, broken, check_section, verdict

SCENARIOS = {p.stem: str(p) for p in builtin_scenarios()}


def test_a_stopped_exploration_is_decided_again_within_a_timeout_budget():
    # seed-retry on two-sessions: millions of states unbounded (243,383 with the report's session
    # sets); 2,446 with one timeout (fewer reduced)
    result = verdict(SCENARIOS["two-sessions"], "seed-retry", 0, 3_000)
    explored = result["explored"]
    assert not explored["complete"] and explored["states"] == 3_000
    bounded = explored["bounded"]
    assert bounded["complete"] and bounded["max_timeouts"] == BOUNDED_TIMEOUTS == 1
    assert set(bounded["violations"]) <= set(broken(result))  # a violation within a budget is real
    # what it found is what the explorer finds under the same budget, without reduction
    scenario = load_scenario(SCENARIOS["two-sessions"])
    budget = dataclasses.replace(scenario.explore, max_timeouts=1)
    full = explore(dataclasses.replace(scenario, explore=budget), "seed-retry")
    assert full.complete and set(bounded["violations"]) == {k for k, v in full.violations.items() if v}
    _title, text = check_section([result], 0, 3_000)
    line = next(x for x in text.splitlines() if x.startswith("- `seed-retry` on `two-sessions`"))
    assert f"{bounded['states']:,} states" in line and "`max_timeouts = 1`" in line
    assert "within that budget only" in line
    held = [i for i in ("no-ghost", "isolation", "sse-only")
            if i not in bounded["violations"] and i not in explored["violations"]]
    named = line.split("had not found broken, ")[1].split(" held")[0]
    assert held and all(f"`{i}`" in named for i in held)
    assert "no-ghost" in explored["violations"] and "`no-ghost`" not in named  # broken unbounded


def test_a_complete_exploration_has_no_bounded_rerun():
    result = verdict(SCENARIOS["two-sessions"], "seed", 0, 100_000)
    assert result["explored"]["complete"] and "bounded" not in result["explored"]
    assert "budget of POST timeouts" not in check_section([result], 0, 100_000)[1]
