"""One declaration of the explored state (model/explored.py): every part declares all its fields.

The explorer copies and keys only declared fields, so a field a part gains without declaring it would
be lost from copies or merge distinct states: these tests fail first.
"""

from __future__ import annotations

import pytest

from model.checkers.mirror import Mirror
from model.compiled import own_slots
from model.explored import OUT, undeclared
from model.gaps import Lifecycle
from model.invariants import Monitor
from model.strategies import BUILTIN, Seed
from model.system import Client, Session, World
from model.vocab import Attempt
from simulations.cli import main
from simulations.explore.explorer import Model, Net, explore
from simulations.io.scenario import builtin_scenarios, load_scenario

SCENARIO = next(p for p in builtin_scenarios() if p.stem == "two-tabs")


def deep_node(strategy: str, steps: int = 12):
    """A node some steps in, so that every part has been built and used."""
    model = Model(load_scenario(SCENARIO), strategy)
    node = model.initial()
    for _ in range(steps):
        acts = model.actions(node)
        if not acts:
            break
        node = model.step(node, acts[0])
    return model, node


def declared_exactly(obj, cls) -> None:
    fields = cls.EXPLORED
    assert undeclared(obj, fields) == set(), f"{cls.__name__} holds undeclared fields"
    names = set(getattr(obj, "__dict__", {})) | {s for k in type(obj).__mro__
                                                  for s in own_slots(k)}
    assert set(fields) <= names, f"{cls.__name__} declares fields it does not have"
    for name, f in fields.items():
        assert f.key is not OUT or f.why, f"{cls.__name__}.{name} is left out of the key without a reason"


@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_every_part_declares_exactly_its_fields(strategy):
    _model, node = deep_node(strategy, 2)
    world, monitor = node.world, node.monitor
    declared_exactly(world, World)
    declared_exactly(node.net, Net)
    declared_exactly(monitor, Monitor)
    declared_exactly(monitor.lifecycle, Lifecycle)
    for mirror in monitor.mirrors.values():
        declared_exactly(mirror, Mirror)
    for session in world.sessions.values():
        declared_exactly(session, Session)
    for client in world.clients:
        declared_exactly(client, Client)
        declared_exactly(client.strategy, type(client.strategy))
    attempts = [a for c in world.clients for a in c.outstanding.values()] + node.net.requests
    assert attempts
    for attempt in attempts:
        declared_exactly(attempt, Attempt)


@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_a_copy_is_independent_and_keys_equal(strategy):
    model, node = deep_node(strategy, 5)
    assert model.actions(node)
    key = node.key(model.keys)
    copy = node.clone()
    assert copy.key(model.keys) == key
    for action in model.actions(copy):
        model.advance(copy.clone(), action)
        model.step(copy, action)  # a copy that shares sessions and mirrors until it writes them
    assert copy.key(model.keys) == key
    model.advance(copy, model.actions(copy)[0])
    assert node.key(model.keys) == key  # nothing the copy did reached the original


@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_copies_that_share_sessions_until_they_write_them_stay_independent(strategy):
    """Every step from every state of a breadth-first walk leaves its parent's key unchanged."""
    model, node = deep_node(strategy, 0)
    frontier = [node]
    for _depth in range(5):
        nxt = []
        for parent in frontier:
            key = parent.key(model.keys)
            children = [model.step(parent, a) for a in model.actions(parent)]
            assert parent.key(model.keys) == key
            nxt += children
        frontier = nxt[:40]


class Undeclared(Seed):
    """A strategy that gains a field without declaring it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.seen = 0


def test_an_undeclared_strategy_field_is_refused(capsys):
    with pytest.raises(Exception, match="seen"):
        explore(load_scenario(SCENARIO), "tests.test_explored:Undeclared")
    assert main(["explore", str(SCENARIO), "--strategy", "tests.test_explored:Undeclared"]) == 2
    assert "seen" in capsys.readouterr().err
