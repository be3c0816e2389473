"""Hypothesis drives the explorer's ``Model``: a stateful test of ``reconciled`` and a schedule search
that finds the seed's races and shrinks them to the explorer's shortest counterexamples.

The state machine has one rule per step kind; each picks one of the enabled steps of its kind, so
Hypothesis explores interleavings as the explorer does, at random, and reports a failing one as a
short replayable program of rules. A schedule is a list of integers, each choosing among the enabled
steps; ``hypothesis.find`` searches for one that breaks an invariant and shrinks it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from model.invariants import INVARIANTS
from simulations.explore.explorer import Model, explore, replay
from simulations.io.scenario import builtin_scenarios, load_scenario, parse_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}

# Two sends, four faults, one disconnect and an old stream that drains: 1767 states for reconciled,
# every one explored by test_reconciled_keeps_every_invariant_on_the_stateful_scenario.
STATEFUL = parse_scenario({
    "name": "stateful", "strategy": "reconciled", "sse": {"old_stream_drains": True},
    "sends": [{"content": "A"}, {"content": "B"}],
    "explore": {"faults": ["ok", "error_after_commit", "response_lost", "rejected"], "max_disconnects": 1},
}, source="<stateful>")


class InvariantsBroken(AssertionError):
    """The machine's invariant failed: ``broken`` maps each broken invariant to its count."""

    def __init__(self, broken: dict[str, int]):
        super().__init__(f"invariants broken: {broken}")
        self.broken = broken


def machine_for(scenario, strategy: str) -> type:
    """A state machine stepping ``Model(scenario, strategy)``; its invariants are the ten counts at 0."""

    class ModelMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.model = Model(scenario, strategy)
            self.node = self.model.initial()

        def enabled(self, kind: str) -> list[tuple]:
            return [a for a in self.model.actions(self.node) if a[0] == kind]

        def take(self, kind: str, data) -> None:
            action = data.draw(st.sampled_from(self.enabled(kind)), label=kind)
            self.node = self.model.step(self.node, action)

        @precondition(lambda self: self.enabled("send"))
        @rule(data=st.data())
        def send(self, data):
            self.take("send", data)

        @precondition(lambda self: self.enabled("arrive"))
        @rule(data=st.data())
        def arrive(self, data):
            self.take("arrive", data)

        @precondition(lambda self: self.enabled("response"))
        @rule(data=st.data())
        def response(self, data):
            self.take("response", data)

        @precondition(lambda self: self.enabled("timeout"))
        @rule(data=st.data())
        def timeout(self, data):
            self.take("timeout", data)

        @precondition(lambda self: self.enabled("deliver"))
        @rule(data=st.data())
        def deliver(self, data):
            self.take("deliver", data)

        @precondition(lambda self: self.enabled("drain"))
        @rule(data=st.data())
        def drain(self, data):
            self.take("drain", data)

        @precondition(lambda self: self.enabled("retry"))
        @rule(data=st.data())
        def retry(self, data):
            self.take("retry", data)

        @precondition(lambda self: self.enabled("assistant"))
        @rule(data=st.data())
        def assistant(self, data):
            self.take("assistant", data)

        @precondition(lambda self: self.enabled("reconnect"))
        @rule(data=st.data())
        def reconnect(self, data):
            self.take("reconnect", data)

        @precondition(lambda self: self.enabled("disconnect"))
        @rule(data=st.data())
        def disconnect(self, data):
            self.take("disconnect", data)

        @precondition(lambda self: not self.model.actions(self.node))
        @rule()
        def finished(self):
            """The run ended (every send made, quiescent): nothing is left to do."""

        @invariant()
        def every_count_is_zero(self):
            counts = self.node.monitor.counts
            broken = {inv: counts[inv] for inv in INVARIANTS if counts[inv]}
            if broken:
                raise InvariantsBroken(broken)

    ModelMachine.__name__ = f"ModelMachine[{strategy}]"
    return ModelMachine


# Most rules are disabled at any step (their preconditions fail), and Hypothesis filters those
# out: a run with many such draws trips filter_too_much although nothing is wrong.
STATEFUL_SETTINGS = settings(max_examples=60, stateful_step_count=30, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_reconciled_keeps_every_invariant_under_random_interleavings():
    run_state_machine_as_test(machine_for(STATEFUL, "reconciled"), settings=STATEFUL_SETTINGS)


def test_reconciled_keeps_every_invariant_on_the_stateful_scenario():
    """The exhaustive check behind the stateful test: every state of the scenario, no violation."""
    result = explore(STATEFUL, "reconciled")
    assert result.complete and not any(result.violations.values())


def test_the_same_machine_finds_the_seeds_races():
    """The failure is the invariant check, and what it names the explorer finds too."""
    with pytest.raises(InvariantsBroken, match=r"^invariants broken: \{'") as failure:
        run_state_machine_as_test(machine_for(STATEFUL, "seed"), settings=STATEFUL_SETTINGS)
    found = {inv for inv, steps in explore(STATEFUL, "seed").violations.items() if steps}
    assert failure.value.broken and set(failure.value.broken) <= found


# --- schedule search ------------------------------------------------------------------------------
def steps_to_violation(model: Model, schedule: list[int], inv: str) -> int | None:
    """Follow ``schedule`` (each number picks an enabled step, modulo their count); the number of
    steps after which ``inv`` is first broken, or None."""
    node = model.initial()
    for taken, choice in enumerate(schedule, 1):
        acts = model.actions(node)
        if not acts:
            return None
        node = model.step(node, acts[choice % len(acts)])
        if node.monitor.counts[inv]:
            return taken
    return None


def schedule_actions(model: Model, schedule: list[int], n: int) -> list[tuple]:
    node, out = model.initial(), []
    for choice in schedule[:n]:
        acts = model.actions(node)
        out.append(acts[choice % len(acts)])
        node = model.step(node, out[-1])
    return out


# Short races, where Hypothesis's shrinker reaches the breadth-first length exactly.
SEARCHES = [("disconnect-resume-none", "convergence"), ("disconnect-resume-none", "no-orphan"),
            ("accepted-then-dropped", "no-silent-loss"), ("two-quick-sends", "no-flicker"),
            ("error-after-commit", "no-ghost")]
# Longer ones: the shrinker stops at a local minimum (8 steps for send-order's 6, 13 for monotonic's
# 8), since dropping one choice changes what every later number picks; breadth-first is a lower bound.
LONGER = [("two-quick-sends", "send-order"), ("old-stream-drains", "monotonic"),
          ("assistant-typing", "send-order")]
FIND = settings(database=None, max_examples=5_000, derandomize=True, deadline=None)
SCHEDULES = st.lists(st.integers(0, 7), max_size=30)


def search(model: Model, inv: str) -> list[int]:
    return find(SCHEDULES, lambda s: steps_to_violation(model, s, inv) is not None, settings=FIND)


@pytest.mark.parametrize("stem, inv", SEARCHES, ids=[f"{s}-{i}" for s, i in SEARCHES])
def test_schedule_search_shrinks_to_the_shortest_counterexample(stem, inv):
    scenario = load_scenario(SCENARIOS[stem])
    model = Model(scenario, "seed")
    shortest = explore(scenario, "seed").paths[inv]
    schedule = search(model, inv)
    n = steps_to_violation(model, schedule, inv)
    assert (len(schedule), n) == (len(shortest), len(shortest))  # shrunk to the breadth-first length
    node = replay(model, schedule_actions(model, schedule, n))
    assert node.monitor.counts[inv] >= 1


@pytest.mark.parametrize("stem, inv", LONGER, ids=[f"{s}-{i}" for s, i in LONGER])
def test_no_schedule_found_at_random_is_shorter_than_breadth_first(stem, inv):
    scenario = load_scenario(SCENARIOS[stem])
    model = Model(scenario, "seed")
    shortest = explore(scenario, "seed").paths[inv]
    n = steps_to_violation(model, search(model, inv), inv)
    assert n is not None and n >= len(shortest)
