"""Session-level persistent sets (``simulations.explore.sessions``, on with ``reduction=True``) keep
the verdicts and the shortest counterexample lengths of the full search.

On every example scenario × built-in strategy (the cases of ``test_reduction``), with sleep sets alone
and with ample sets too, and on Hypothesis-generated scenarios of two sessions: both searches complete
(a bound hit fails, or for a generated case is assumed away and counted), the violated invariants are
equal, the session-set search visits no more states, its counterexamples have the full search's
shortest lengths (sleep sets; with ample sets they may be longer) and every one replays in the full
model. The guards check that the sets apply where they should and never before the last input.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from strategies import assume_complete
from test_reduction import DEEP, FAST, FAST_BOUND, SLOW, SLOW_BOUND, TOO_LARGE, load, verdicts

from model.strategies import BUILTIN
from simulations.explore.explorer import Model, explore, replay
from simulations.explore.sessions import SessionSets
from simulations.io.scenario import parse_scenario


def lengths(result) -> dict:
    return {inv: len(path) for inv, path in result.paths.items()}


def replays(scenario, strategy, result) -> None:
    model = Model(scenario, strategy)
    for inv, actions in result.paths.items():
        assert replay(model, actions).monitor.counts[inv] >= 1, inv


def same_as_full(scenario, strategy, bound, full=None, ample=False):
    """The session-set search against the full one (see the module); returns both."""
    full = full if full is not None else explore(scenario, strategy, max_states=bound)
    assert full.complete, f"{scenario.name} / {strategy}: more than {bound} states"
    reduced = explore(scenario, strategy, max_states=bound, reduction=True, ample=ample)
    assert reduced.complete and reduced.reduced
    assert reduced.sessions == SessionSets.applies(Model(scenario, strategy))
    assert verdicts(reduced) == verdicts(full), f"{scenario.name} / {strategy}"
    assert reduced.states <= full.states
    if ample:
        assert all(len(reduced.paths[k]) >= n for k, n in lengths(full).items())
    else:
        assert lengths(reduced) == lengths(full), f"{scenario.name} / {strategy}"
    replays(scenario, strategy, reduced)
    return full, reduced


@pytest.mark.parametrize("stem, strategy", FAST, ids=[f"{p}-{s}" for p, s in FAST])
def test_session_sets_keep_verdicts_and_shortest_counterexamples(stem, strategy):
    same_as_full(load(stem, strategy), strategy, FAST_BOUND)


@pytest.mark.slow
@pytest.mark.parametrize("stem, strategy", SLOW, ids=[f"{p}-{s}" for p, s in SLOW])
def test_session_sets_keep_shortest_counterexamples_on_deep_cases(stem, strategy):
    if (stem, strategy) in TOO_LARGE:
        pytest.skip(f"{stem} / {strategy}: more than 150,000 states even with one retry")
    same_as_full(load(stem, strategy), strategy, SLOW_BOUND)


def test_session_sets_with_ample_sets_keep_verdicts():
    for stem in ("two-sessions", "two-tabs"):
        for strategy in sorted(BUILTIN):
            if (stem, strategy) not in DEEP:
                same_as_full(load(stem, strategy), strategy, FAST_BOUND, ample=True)


def test_session_sets_remove_states_and_shorten_nothing():
    """Guard against sets that silently never apply: two sessions under every strategy (and
    ``sessions=False`` turns them off, leaving the sleep sets, which keep every state)."""
    for strategy in sorted(BUILTIN):
        if ("two-sessions", strategy) in DEEP:
            continue
        full, reduced = same_as_full(load("two-sessions", strategy), strategy, FAST_BOUND)
        assert reduced.sessions and reduced.states < full.states, strategy
    scenario = load("two-sessions", "seed")
    full = explore(scenario, "seed")
    slept = explore(scenario, "seed", reduction=True, sessions=False)  # sleep sets alone
    assert not slept.sessions and slept.states == full.states
    alone = explore(scenario, "seed", sessions=True)  # session sets without sleep sets
    assert alone.sessions and not alone.reduced and alone.states < full.states
    assert lengths(alone) == lengths(full)
    replays(scenario, "seed", alone)


def test_session_sets_keep_shortest_counterexamples_with_three_sessions():
    data = {"name": "three", "clients": [{"session": "s1"}, {"session": "s2"}, {"session": "s3"}],
            "sends": [{"at": 0.1 * i, "client": i, "content": c} for i, c in enumerate("ABC")],
            "explore": {"faults": ["ok"]}}
    full, reduced = same_as_full(parse_scenario(data, source="<test>"), "seed", FAST_BOUND)
    assert reduced.sessions and reduced.states < full.states


def test_session_sets_never_apply_with_one_session_or_without_ok():
    scenario = load("two-tabs", "seed")  # two clients of one session
    assert not explore(scenario, "seed", reduction=True).sessions
    data = {"name": "lossy", "clients": [{"session": "s1"}, {"session": "s2"}],
            "sends": [{"at": 0, "client": 0, "content": "A"}, {"at": 0.1, "client": 1, "content": "B"}],
            "explore": {"faults": ["request_lost"]}}
    assert not explore(parse_scenario(data, source="<test>"), "seed", reduction=True).sessions


def test_the_sets_wait_for_the_last_input():
    """Before the last scripted send, and while a disconnect may come, every step is taken."""
    scenario = load("two-sessions", "seed")
    model = Model(scenario, "seed")
    sets = SessionSets(model)
    node = model.initial()
    assert not sets.after_inputs(node)
    for _ in range(len(scenario.sends)):
        node = model.step(node, ("send", node.net.next_send))
    assert sets.after_inputs(node)
    acts = model.actions(node)
    chosen, rank = sets.select(node, acts)
    # s2 (one scripted send) comes before s1 (two): its steps alone
    assert rank == 0 and chosen and all(sets.rank_of(node, a) == 0 for a in chosen)
    assert len(chosen) < len(acts)
    data = {"name": "drops", "clients": [{"session": "s1"}, {"session": "s2"}],
            "sends": [{"at": 0, "client": 0, "content": "A"}],
            "explore": {"faults": ["ok"], "max_disconnects": 1}}
    model = Model(parse_scenario(data, source="<test>"), "seed")
    node = model.step(model.initial(), ("send", 0))
    assert not SessionSets(model).after_inputs(node)  # a disconnect may still come


@st.composite
def two_session_scenarios(draw) -> tuple[dict, str]:
    """A small scenario of two sessions (two or three clients, each session with one at least, and
    a send in each), ``ok`` among the faults, so that the session sets apply after the last input.
    Kept small by construction: three sends only with ``ok`` alone and no retry, disconnect or
    assistant; with two, one of: one more fault, one retry, the assistant, one disconnect (at most
    about 5,000 states over 250 random draws)."""
    n = draw(st.integers(2, 3))
    sessions = ["s1", "s2"] + [draw(st.sampled_from(("s1", "s2")))] * (n - 2)
    sends = draw(st.integers(2, 3))
    targets = draw(st.permutations([0, 1])) + [draw(st.integers(0, n - 1))] * (sends - 2)
    extra = draw(st.sampled_from(("fault", "retry", "assistant", "disconnect"))) if sends == 2 else None
    faults = ["ok"] + ([draw(st.sampled_from(("error_after_commit", "response_lost", "request_lost")))]
                       if extra == "fault" else [])
    d = {"name": "generated-sessions",
         "clients": [{"session": s} for s in sessions],
         "sends": [{"at": 0.1 * i, "client": c, "content": f"m{i}"} for i, c in enumerate(targets)],
         "explore": {"faults": faults,
                     "max_disconnects": 1 if extra == "disconnect" else 0},
         "server": {"assistant": extra == "assistant"},
         "sse": {"resume": draw(st.sampled_from(("none", "snapshot", "last-event-id"))),
                 "old_stream_drains": draw(st.booleans())},
         "strategy_options": {"retries": 1 if extra == "retry" else 0}}
    timeouts = draw(st.sampled_from((None, 0, 1, 2)))
    if timeouts is not None:
        d["explore"]["max_timeouts"] = timeouts
    return d, draw(st.sampled_from(sorted(BUILTIN)))


GENERATED_BOUND = 20_000


@settings(max_examples=60)
@given(two_session_scenarios())
def test_session_sets_keep_shortest_counterexamples_on_generated_scenarios(case):
    """A case past the bound is assumed away and counted (a Hypothesis event), not failed."""
    data, strategy = case
    scenario = parse_scenario(data, source="<generated>")
    full = explore(scenario, strategy, max_states=GENERATED_BOUND)
    assume_complete(full)
    _full, reduced = same_as_full(scenario, strategy, GENERATED_BOUND, full)
    event("session sets removed states" if reduced.states < full.states else "no state removed")
