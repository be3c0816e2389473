"""The compiled transition table equals the python-statemachine chart it is compiled from."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest
from statemachine import Event, State, StateChart
from statemachine.exceptions import TransitionNotAllowed

from model.chart import SeedFlow
from model.errors import SsesimError
from model.flowgraph import ordered_edges
from model.lifecycle import SEED_EVENTS, SEED_INITIAL, SEED_STATES, SEED_TABLE, compile_table
from model.mermaid import load_mermaid

SEED_MMD = Path(__file__).resolve().parents[1] / "model" / "seed_flow.mmd"


def driven_table(chart_cls) -> dict[tuple[str, str], str]:
    """(state, label) -> next state, found by sending every event to the real chart in every
    state reached from the start (each probe replays a path on a fresh instance)."""
    ids = {str(event.name): event.id for event in chart_cls.events}
    paths = {chart_cls().current_state_value: []}
    queue, table = deque(paths), {}
    while queue:
        state = queue.popleft()
        for label, event_id in ids.items():
            machine = chart_cls()
            for step in paths[state]:
                machine.send(step)
            try:
                machine.send(event_id)
            except TransitionNotAllowed:
                continue
            target = machine.current_state_value
            table[(state, label)] = target
            if target not in paths:
                paths[target] = paths[state] + [event_id]
                queue.append(target)
    return table


def test_table_equals_the_driven_chart():
    assert SEED_TABLE == driven_table(SeedFlow)
    assert {s for s, _ in SEED_TABLE} == set(SEED_STATES)


def test_table_is_a_plain_dict_of_strings():
    assert type(SEED_TABLE) is dict
    assert all(type(k[0]) is str and type(k[1]) is str and type(v) is str
               for k, v in SEED_TABLE.items())


def test_constants():
    assert SEED_INITIAL == "SSEConnected" == SEED_STATES[0]
    assert len(SEED_STATES) == 8
    assert SEED_EVENTS == tuple(label for _, label, _ in ordered_edges(load_mermaid(SEED_MMD)))


def test_unknown_steps_are_missing_keys():
    assert ("POSTSending", "SSE delivers canonical state") not in SEED_TABLE
    with pytest.raises(TransitionNotAllowed):
        SeedFlow().send("sse_delivers")


def test_a_table_needs_a_deterministic_chart():
    class Twice(StateChart):
        a = State(initial=True)
        b = State(final=True)
        c = State(final=True)
        go = Event(a.to(b) | a.to(c), name="Go")

    with pytest.raises(SsesimError, match="two transitions"):
        compile_table(Twice)
