"""Partial-order reduction is sound: reduced and full exploration give the same verdicts.

Sleep sets (``reduction=True, sessions=False``; the session sets that ``reduction`` also turns on
are ``test_sessions``'): every example scenario with scripted sends and every built-in
strategy, and Hypothesis-generated small scenarios, visit exactly as many states as the full search,
with the same violated invariants and the same shortest counterexample length per invariant; the
reduced counterexamples replay. Ample sets (``ample=True``, with sleep sets): both explorations must
complete (a bound hit fails the test; nothing passes without comparing), the sets of violated
invariants are equal, the reduced graph is no larger, and every reduced counterexample replays in
the full model. Cases whose full graph fits in ``FAST_BOUND`` states run by default; the larger
ones are marked slow. Where ``seed-retry``'s three retries make the graph too large to finish, the
case runs with one retry (the same kinds of step: timeouts, retries, duplicate commits).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assume_complete

from model.strategies import BUILTIN
from simulations.explore.explorer import Model, explore, replay
from simulations.io.scenario import builtin_scenarios, load_scenario_data, parse_scenario

FAST_BOUND = 4_000  # the largest default case takes about a second (full and reduced)
SLOW_BOUND = 100_000
STEMS = {p.stem: p for p in builtin_scenarios()}

# State counts of the full graphs, measured with explore(..., max_states=60_000).
# seed-retry with three retries: more than 60,000 states on each of these (incomplete there).
ONE_RETRY = {"accepted-then-dropped", "assistant-typing", "flags-stuck-after-disconnect",
             "old-stream-drains", "post-overtaking",
             "seed-retry-duplicate", "two-quick-sends", "two-sessions", "two-tabs"}
# More than FAST_BOUND states: old-stream-drains seed 15,342 and dual-write 20,118; with one
# retry, two-tabs seed-retry 8,145 and two-sessions seed-retry 68,641 (max_states=150_000).
# reconnect-refused seed-retry: 6,605 (its file sets one retry; a reconnect may also be refused).
DEEP = {("old-stream-drains", "seed"), ("old-stream-drains", "dual-write"),
        ("two-tabs", "seed-retry"), ("two-sessions", "seed-retry"), ("reconnect-refused", "seed-retry")}
# More than 150,000 states even with one retry (explore(..., max_states=150_000) incomplete).
TOO_LARGE = {("assistant-typing", "seed-retry"), ("old-stream-drains", "seed-retry")}


def load(stem: str, strategy: str):
    data = load_scenario_data(STEMS[stem])
    if strategy == "seed-retry" and stem in ONE_RETRY:
        data.setdefault("strategy_options", {})["retries"] = 1
    return parse_scenario(data, source=str(STEMS[stem]))


CASES = [(stem, s) for stem in STEMS for s in BUILTIN if load(stem, s).sends]
FAST = [c for c in CASES if c not in DEEP | TOO_LARGE]
SLOW = [c for c in CASES if c in DEEP | TOO_LARGE]


def verdicts(result) -> set[str]:
    return {inv for inv, steps in result.violations.items() if steps}


def compare(stem, strategy, bound) -> tuple[int, int]:
    """(full states, reduced states), after checking that both agree."""
    scenario = load(stem, strategy)
    full = explore(scenario, strategy, max_states=bound)
    assert full.complete, f"{stem} / {strategy}: more than {bound} states; mark the case DEEP"
    reduced = explore(scenario, strategy, max_states=bound, reduction=True, ample=True)
    assert reduced.complete and reduced.ample
    assert verdicts(reduced) == verdicts(full), f"{stem} / {strategy}"
    assert reduced.states <= full.states
    model = Model(scenario, strategy)
    for inv, actions in reduced.paths.items():  # each reduced counterexample replays in full
        assert len(actions) >= len(full.paths[inv])
        assert replay(model, actions).monitor.counts[inv] >= 1
    return full.states, reduced.states


@pytest.mark.parametrize("stem, strategy", FAST, ids=[f"{p}-{s}" for p, s in FAST])
def test_reduced_and_full_verdicts_agree_on_small_explorations(stem, strategy):
    compare(stem, strategy, FAST_BOUND)


@pytest.mark.slow
@pytest.mark.parametrize("stem, strategy", SLOW, ids=[f"{p}-{s}" for p, s in SLOW])
def test_reduced_and_full_verdicts_agree(stem, strategy):
    if (stem, strategy) in TOO_LARGE:
        pytest.skip(f"{stem} / {strategy}: more than 150,000 states even with one retry")
    compare(stem, strategy, SLOW_BOUND)


def same_as_full(scenario, strategy, bound, full=None) -> tuple[int, int]:
    """(full transitions, sleep-set transitions), after checking that the sleep-set search visits
    every state with the same verdicts and shortest counterexample lengths, and its counterexamples
    replay. A bound hit fails. ``full``: the full exploration, when already run."""
    full = full if full is not None else explore(scenario, strategy, max_states=bound)
    assert full.complete, f"{scenario.name} / {strategy}: more than {bound} states"
    slept = explore(scenario, strategy, max_states=bound, reduction=True, sessions=False)
    assert slept.complete and slept.reduced and not slept.ample
    assert slept.states == full.states and slept.transitions <= full.transitions
    assert {k: len(v) for k, v in slept.paths.items()} == {k: len(v) for k, v in full.paths.items()}
    model = Model(scenario, strategy)
    for inv, actions in slept.paths.items():
        assert replay(model, actions).monitor.counts[inv] >= 1
    return full.transitions, slept.transitions


@pytest.mark.parametrize("stem, strategy", FAST, ids=[f"{p}-{s}" for p, s in FAST])
def test_sleep_sets_keep_states_verdicts_and_shortest_counterexamples(stem, strategy):
    same_as_full(load(stem, strategy), strategy, FAST_BOUND)


@pytest.mark.slow
@pytest.mark.parametrize("stem, strategy", SLOW, ids=[f"{p}-{s}" for p, s in SLOW])
def test_sleep_sets_keep_shortest_counterexamples_on_deep_cases(stem, strategy):
    if (stem, strategy) in TOO_LARGE:
        pytest.skip(f"{stem} / {strategy}: more than 150,000 states even with one retry")
    same_as_full(load(stem, strategy), strategy, SLOW_BOUND)


def test_sleep_sets_skip_transitions_somewhere():
    """Guard against sleep sets that silently never apply: two tabs, two sessions."""
    for stem in ("two-tabs", "two-sessions"):
        full, slept = same_as_full(load(stem, "seed"), "seed", FAST_BOUND)
        assert slept < full


@st.composite
def small_scenarios(draw) -> tuple[dict, str]:
    """A small explorable scenario (at most a few thousand states): one to three clients over one
    or two sessions and one or two sends with up to two faults; with one send, also the assistant
    (two clients at most, no retry), a disconnect and a retry; sometimes a timeout budget."""
    sends = draw(st.integers(1, 2))
    assistant = sends == 1 and draw(st.booleans())
    n = draw(st.integers(1, 2 if assistant else 3))
    d = {"name": "generated",
         "clients": [{"session": draw(st.sampled_from(("s1", "s2")))} for _ in range(n)],
         "sends": [{"at": 0.1 * i, "client": draw(st.integers(0, n - 1)), "content": f"m{i}"}
                   for i in range(sends)],
         "explore": {"faults": draw(st.lists(st.sampled_from(
             ("ok", "error_after_commit", "response_lost", "request_lost")), min_size=1, max_size=2,
             unique=True)), "max_disconnects": draw(st.integers(0, 2 - sends))},
         "server": {"assistant": assistant},
         "sse": {"resume": draw(st.sampled_from(("none", "snapshot", "last-event-id"))),
                 "old_stream_drains": draw(st.booleans())},
         "strategy_options": {"retries": 0 if assistant else draw(st.integers(0, 2 - sends))}}
    timeouts = draw(st.sampled_from((None, 0, 1, 2)))  # [explore].max_timeouts: a budget all clients share
    if timeouts is not None:
        d["explore"]["max_timeouts"] = timeouts
    return d, draw(st.sampled_from(sorted(BUILTIN)))


HYPOTHESIS_BOUND = 6_000


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_sleep_sets_keep_shortest_counterexamples_on_generated_scenarios(case):
    """A generated case whose full search passes the bound is assumed away, not failed: it merely
    ran long (the generator cannot know a scenario's state count before it is explored)."""
    data, strategy = case
    scenario = parse_scenario(data, source="<generated>")
    full = explore(scenario, strategy, max_states=HYPOTHESIS_BOUND)
    assume_complete(full)
    same_as_full(scenario, strategy, HYPOTHESIS_BOUND, full)


def test_reduction_removes_states_somewhere():
    """Guard against a reduction that silently never applies."""
    full, reduced = compare("two-tabs", "seed", FAST_BOUND)  # two clients: independent steps
    assert reduced < full


def test_the_case_lists_name_real_cases():
    """A misspelt entry would silently move nothing to the slow run."""
    assert DEEP | TOO_LARGE <= set(CASES) and ONE_RETRY <= set(STEMS)
