"""The seed's lifecycle as a plain transition table, compiled once from the chart, for hot loops.

``SEED_TABLE[(state, event label)]`` is the next state; a missing key is a step the seed's
chart does not allow (a chart gap, SPEC §5). python-statemachine dispatch costs far too much
per step for the simulator, and ``tests/test_lifecycle.py`` proves this table equals the chart.
"""

from __future__ import annotations

from model.chart import SeedFlow
from model.errors import SsesimError


def compile_table(chart_cls) -> dict[tuple[str, str], str]:
    """Map (state id, event name) to the target state id for every transition of ``chart_cls``.

    Only unguarded, single-target transitions have a table form; anything else, or two
    transitions for one (state, event), is a definition error.
    """
    table: dict[tuple[str, str], str] = {}
    for state in chart_cls.states:
        for transition in state.transitions:
            if list(transition.cond) or len(transition.targets) != 1:
                raise SsesimError(f"{chart_cls.__name__}: transition from {state.id} "
                                  "is guarded or has several targets; no table form")
            for event in transition.events:
                key = (state.id, str(event.name))
                if key in table:
                    raise SsesimError(f"{chart_cls.__name__}: {key[1]!r} from {state.id} "
                                      "has two transitions")
                table[key] = transition.target.id
    return table


SEED_TABLE: dict[tuple[str, str], str] = compile_table(SeedFlow)
SEED_INITIAL = "SSEConnected"
SEED_STATES: tuple[str, ...] = tuple(state.id for state in SeedFlow.states)
SEED_EVENTS: tuple[str, ...] = tuple(str(event.name) for event in SeedFlow.events)
