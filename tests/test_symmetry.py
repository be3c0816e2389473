"""Client symmetry and the pruned checker key are sound: same verdicts, same shortest counterexamples.

Three searches are compared: the full one (``prune=False``: the checkers' entries of every send
keyed), the default (entries of sends that can no longer change a verdict left out), and the default
with client symmetry (interchangeable clients keyed up to a renaming). On every example scenario ×
built-in strategy of the fast set of ``tests/test_explore_verdicts.py``, on ``tests/data/
watching-tabs.toml`` (a sender and three watching tabs: the example scenarios have no
interchangeable clients) and on Hypothesis-generated small scenarios with watching tabs, all three
complete (a bound hit fails the test), give the same shortest counterexample length per invariant,
and their counterexamples replay in the full model. Symmetry must save states where it applies.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assume_complete

from model.invariants import INVARIANTS
from model.strategies import BUILTIN
from simulations.cli import main
from simulations.explore.explorer import Model, explore, replay, symmetry_groups
from simulations.io.scenario import (
    builtin_scenarios,
    load_scenario,
    load_scenario_data,
    parse_scenario,
)
from tests.test_explore_verdicts import CASES as VERDICT_CASES
from tests.test_explore_verdicts import small

WATCHING = Path(__file__).parent / "data" / "watching-tabs.toml"
STEMS = {p.stem: p for p in builtin_scenarios()}
FAST = [c for c in VERDICT_CASES if small(c)]
BOUND = 20_000


def lengths(result) -> dict:
    return {inv: len(result.paths[inv]) for inv in INVARIANTS if inv in result.paths}


def three_ways(scenario, strategy, bound=BOUND, full=None):
    """(full, pruned, symmetric) explorations, after checking that they agree (``full``: the full
    one, when already run)."""
    full = full if full is not None else explore(scenario, strategy, max_states=bound, prune=False)
    pruned = explore(scenario, strategy, max_states=bound)
    if symmetry_groups(scenario, BUILTIN[strategy]):
        symmetric = explore(scenario, strategy, max_states=bound, symmetry=True)
    else:  # nothing to rename: the symmetric search is the default one, key for key
        symmetric = pruned
    for r in (full, pruned, symmetric):
        assert r.complete, f"{scenario.name} / {strategy}: more than {bound} states"
    assert lengths(pruned) == lengths(full), f"{scenario.name} / {strategy}: pruned key"
    assert lengths(symmetric) == lengths(full), f"{scenario.name} / {strategy}: symmetry"
    assert symmetric.states <= pruned.states <= full.states
    model = Model(scenario, strategy)
    for r in (pruned, symmetric):
        for inv, actions in r.paths.items():
            assert replay(model, actions).monitor.counts[inv] >= 1, f"{scenario.name}: {inv}"
    return full, pruned, symmetric


@pytest.mark.parametrize("case", FAST)
def test_examples_keep_verdicts_and_shortest_counterexamples(case):
    stem, strategy = case.split("/")
    three_ways(load_scenario(STEMS[stem]), strategy)


def watching(strategy: str):
    data = load_scenario_data(WATCHING)
    if strategy == "seed-retry":  # three retries: 94,276 states without symmetry; one is enough here
        data.setdefault("strategy_options", {})["retries"] = 1
    return parse_scenario(data, source=str(WATCHING))


@pytest.mark.parametrize("strategy", sorted(BUILTIN))
def test_watching_tabs_count_once_up_to_a_renaming(strategy):
    scenario = watching(strategy)
    assert symmetry_groups(scenario, BUILTIN[strategy]) == ((1, 2, 3),)
    _full, pruned, symmetric = three_ways(scenario, strategy)
    # Three watchers: an orbit holds at most 3! = 6 states, and some hold more than one.
    assert pruned.states / 6 <= symmetric.states < pruned.states
    assert symmetric.symmetry == ((1, 2, 3),) and pruned.symmetry == ()


def test_a_renamed_state_has_the_same_key():
    """Client 1's and client 2's stream dropping are one state up to a renaming, not without it."""
    scenario = watching("seed")
    plain, sym = Model(scenario, "seed"), Model(scenario, "seed", symmetry=True)
    one = replay(plain, [("send", 0), ("disconnect", 1)])
    two = replay(plain, [("send", 0), ("disconnect", 2)])
    assert one.key(plain.keys) != two.key(plain.keys)
    assert one.key(sym.keys) == two.key(sym.keys)
    sender = replay(plain, [("send", 0), ("disconnect", 0)])  # the sender is no watcher
    assert sender.key(sym.keys) != one.key(sym.keys)


def scenario_of(clients, senders=(0,), strategy="seed"):
    return parse_scenario({"name": "g", "strategy": strategy, "clients": [{"session": s} for s in clients],
                           "sends": [{"at": 0.1 * i, "client": c, "content": f"m{i}"}
                                     for i, c in enumerate(senders)]}, source="<test>")


def test_only_clients_alike_and_named_by_no_send_are_interchangeable():
    seed = BUILTIN["seed"]
    assert symmetry_groups(scenario_of(["s1", "s1", "s1"]), seed) == ((1, 2),)
    assert symmetry_groups(scenario_of(["s1", "s1", "s1"], senders=(0, 1)), seed) == ()  # 1 sends
    assert symmetry_groups(scenario_of(["s1", "s1", "s2"]), seed) == ()  # other sessions
    assert symmetry_groups(scenario_of(["s1", "s2", "s2", "s1", "s1"]), seed) == ((1, 2), (3, 4))


def test_symmetry_with_sleep_or_ample_sets_is_refused(capsys):
    for flag in ("--reduction", "--ample"):
        assert main(["explore", str(WATCHING), "--symmetry", flag]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--symmetry" in err and "Traceback" not in err


def test_explore_and_check_name_the_groups(capsys):
    assert main(["explore", str(WATCHING), "--symmetry", "--json"]) == 0
    assert main(["explore", str(WATCHING), "--symmetry"]) == 0
    assert "symmetry: clients 1, 2, 3" in capsys.readouterr().out
    assert main(["check", str(WATCHING), "--symmetry", "--runs", "1", "--quiet"]) == 1  # seed breaks no-ghost


@st.composite
def watched_scenarios(draw) -> tuple[dict, str]:
    """A small scenario with watching tabs: one or two senders, two to four clients over one or two
    sessions, one or two sends with up to two faults; with one send, the assistant (then no retry and
    no disconnect: with four clients that would take more than 30,000 states), or a disconnect and a
    retry."""
    n = draw(st.integers(2, 4))
    sends = draw(st.integers(1, 2))
    assistant = sends == 1 and draw(st.booleans())
    senders = draw(st.lists(st.integers(0, 1), min_size=sends, max_size=sends))
    d = {"name": "generated",
         "clients": [{"session": draw(st.sampled_from(("s1", "s2")))} for _ in range(n)],
         "sends": [{"at": 0.1 * i, "client": c, "content": f"m{i}"} for i, c in enumerate(senders)],
         "explore": {"faults": draw(st.lists(st.sampled_from(
             ("ok", "error_after_commit", "response_lost", "request_lost")), min_size=1, max_size=2,
             unique=True)), "max_disconnects": 0 if assistant else draw(st.integers(0, 2 - sends))},
         "server": {"assistant": assistant},
         "sse": {"resume": draw(st.sampled_from(("none", "snapshot", "last-event-id"))),
                 "old_stream_drains": draw(st.booleans())},
         "strategy_options": {"retries": 0 if assistant else draw(st.integers(0, 2 - sends))}}
    return d, draw(st.sampled_from(sorted(BUILTIN)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(watched_scenarios())
def test_generated_scenarios_keep_verdicts_and_shortest_counterexamples(case):
    data, strategy = case
    scenario = parse_scenario(data, source="<generated>")
    # a case past the bound merely ran long: assumed away (the full search is the largest of three)
    full = explore(scenario, strategy, max_states=30_000, prune=False)
    assume_complete(full)
    three_ways(scenario, strategy, bound=30_000, full=full)


def test_a_strategy_that_cannot_tell_its_undecided_sends_keeps_every_entry():
    """The pruned key needs the strategy's word (Strategy.undecided) for every handler it runs."""
    from model.strategies import Seed, Strategy, knows_undecided

    class Overrides(Seed):  # a handler below the class that defined undecided: it may post again
        def on_event(self, t, event):
            return super().on_event(t, event)

    class Tells(Overrides):
        def undecided(self):
            return ()

    assert all(knows_undecided(cls) for cls in BUILTIN.values())
    assert not knows_undecided(Strategy) and not knows_undecided(Overrides) and knows_undecided(Tells)
    scenario = scenario_of(["s1"])
    assert Model(scenario, "seed").keys.prune is True
    assert Model(scenario, "seed", prune=False).keys.prune is False
