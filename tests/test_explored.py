"""One declaration of the explored state (model/explored.py): every part declares all its fields.

The explorer copies and keys only declared fields, so a field a part gains without declaring it would
be lost from copies or merge distinct states: these tests fail first.
"""

from __future__ import annotations

import pytest

from model.checkers.mirror import Mirror
from model.compiled import own_slots
from model.explored import METRIC, OUT, undeclared
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


# --- values shared between a state and its successors ---------------------------------------------
# A field declared SHARE that a step writes (the checkers' per-send sets and counts, the World's
# sends and timers, the network's queues...) must be written by replacement: a copy holds the same
# object as its parent, so a write in place would change the parent too. Every field of the parent,
# every part's, is compared before and after each step from it: all but those shared and written in
# place by design (METRIC, out of the key: model/explored.py).
_NOT_STATE = {
    "obs", "session", "_strategies_with_pending", "own", "_kh",  # references to other parts; caches
    "gone_owned",  # copy on write: a copy clears it on its original too (clone_monitor)
    "sometimes",  # the vacuity guard's witnesses: one set for the whole search, by design
    "scenario", "server", "options", "table", "pairs",  # configuration
}


def snapshot(value, depth: int = 0):
    """A plain value of ``value``: containers as tuples, parts as their declared fields."""
    assert depth < 12, "a cycle in the explored state"
    explored = getattr(type(value), "EXPLORED", None)
    if explored is not None:
        return (type(value).__name__, tuple((name, snapshot(getattr(value, name), depth + 1))
                                            for name, f in explored.items()
                                            if name not in _NOT_STATE and f.copy != METRIC))
    if isinstance(value, dict):
        return ("dict", tuple((k, snapshot(v, depth + 1)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(value, key=repr)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(snapshot(v, depth + 1) for v in value))
    return value


def node_snapshot(node) -> tuple:
    return snapshot(node.world), snapshot(node.monitor), snapshot(node.net), node.depth


EXAMPLE_PATHS = sorted(builtin_scenarios())


@pytest.mark.parametrize("path", EXAMPLE_PATHS, ids=lambda p: p.stem)
def test_a_step_never_changes_its_parent(path):
    """Breadth-first from the start of every example under every built-in strategy: each step from
    a state (a copy sharing what is written by replacement) leaves every field of the state as it
    was, keyed or not (a shared value written in place would change it)."""
    for strategy in BUILTIN:
        model = Model(load_scenario(path), strategy)
        root = model.initial()
        seen, frontier = {root.key(model.keys)}, [root]
        while frontier and len(seen) < 250:
            node = frontier.pop(0)
            before = node_snapshot(node)
            for action in model.actions(node):
                child = model.step(node, action)
                assert node_snapshot(node) == before, (path.stem, strategy, action)
                key = child.key(model.keys)
                if key not in seen:
                    seen.add(key)
                    frontier.append(child)


def test_the_parent_check_can_fail():
    """A write in place of a shared value is caught."""
    _model, node = deep_node("seed", 6)
    copy = node.clone(share=True)
    before = node_snapshot(node)
    copy.monitor.counts["no-ghost"] += 1  # a SHARE field written in place
    assert node_snapshot(node) != before


# --- the derived functions written out (simulations/explore/generate.py) ---------------------------
def test_the_generated_modules_are_up_to_date():
    """Each package's ``derived.py`` holds exactly what its declarations derive now: a declaration
    changed without ``python -m simulations.explore.generate`` would fall back to functions made at
    import, which the compiled build leaves interpreted."""
    import subprocess
    import sys

    # In a process of its own: what this one derived for other tests is not the built-in set.
    done = subprocess.run([sys.executable, "-m", "simulations.explore.generate", "--check"],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_built_in_part_uses_its_generated_functions():
    """The copy and key of every part of a built-in exploration are the written-out functions."""
    from model import derived
    from model.checkers import derived as checkers_derived
    from model.checkers.clone import _copy_monitor
    from model.world_state import _copy_client, _copy_session, _copy_world, _key_world
    from simulations.explore import derived as explore_derived
    from simulations.explore.transitions import _copy_net

    for fn in (_copy_session, _copy_client, _copy_world, _key_world, Attempt.copy_fields):
        assert fn.__module__ == derived.__name__, fn
    assert _copy_monitor.__module__ == checkers_derived.__name__
    assert _copy_net.__module__ == explore_derived.__name__
    for cls in BUILTIN.values():
        assert cls._explored_copy.__module__ == derived.__name__, cls


def test_a_changed_declaration_falls_back_to_functions_made_at_import():
    """A declaration the generated module does not hold (a plug-in's, or one changed since) gets its
    functions generated at import, which copy and key the same way."""
    from model.explored import DERIVED, derive, field

    fields = {**Session.EXPLORED, "name": field(key="tuple")}
    before = dict(DERIVED)
    copy, key = derive(Session, fields)
    DERIVED.clear()
    DERIVED.update(before)  # the process's record of the built-in derivations, as it was
    assert copy.__module__ != "model.derived"
    _model, node = deep_node("seed")
    session = next(iter(node.world.sessions.values()))
    twin = copy(session)
    assert twin is not session and twin.log == session.log and twin.log is not session.log
    assert key(twin, _model.keys)[0] == tuple(session.name)
