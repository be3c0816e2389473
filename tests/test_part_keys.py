"""Cached part hashes and the state's fingerprint (issue 21 item 2).

A state's fingerprint (``Node.fingerprint``) hashes its key with each session and client replaced by
the hash of its own key, cached in the part until a step that may write the part resets it
(``Model.advance`` for the step's client, ``own_sessions`` for the sessions it copies on write). Two
things must hold: no step leaves a stale cache behind (checked after every step of a breadth-first
walk of every example under every built-in strategy), and the fingerprint follows every keyed field
of every part and no field left out of the key (checked by writing each field of a deep state).
"""

from __future__ import annotations

from collections import deque

import pytest

from model.explored import OUT
from model.strategies import BUILTIN
from model.system import Client, Session
from model.world_state import stale_parts
from simulations.explore.explorer import Model, explore
from simulations.io.scenario import builtin_scenarios, load_scenario

EXAMPLES = sorted(builtin_scenarios())
WALK = 600  # states per example and strategy: enough to take every kind of step in most


def walk(model: Model, limit: int):
    """Breadth-first over distinct states (full keys); yields ``(parent, action, child)``."""
    root = model.initial()
    seen, queue = {root.key(model.keys)}, deque([root])
    while queue and len(seen) < limit:
        node = queue.popleft()
        for action in model.actions(node):
            child = model.step(node, action)
            yield node, action, child
            key = child.key(model.keys)
            if key not in seen:
                seen.add(key)
                queue.append(child)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_no_step_leaves_a_stale_part_hash(path):
    """After every step, in the child and in its parent (which may share parts with it), each cached
    hash is the hash of the part's key now; the fingerprint is then that of the fresh key."""
    for strategy in BUILTIN:
        scenario = load_scenario(path)
        model = Model(scenario, strategy)
        hashing = model.keys.hashing
        kinds = set()
        for parent, action, child in walk(model, WALK):
            kinds.add(action[0])
            child.fingerprint(model.keys)  # fills the caches the step left empty
            assert stale_parts(child.world, hashing) == [], (path.stem, strategy, action)
            assert stale_parts(parent.world, hashing) == [], (path.stem, strategy, action)
        assert kinds, (path.stem, strategy)


def test_the_stale_check_can_fail():
    """A write that skips the reset is caught."""
    model = Model(load_scenario(EXAMPLES[0]), "seed")
    node = model.initial()
    node.fingerprint(model.keys)
    client = node.world.clients[0]
    client.conn += 1
    assert stale_parts(node.world, model.keys.hashing) == ["client 0"]


def _other(value):
    """A different value of the same kind (removal for containers, so that it stays well-typed), or
    None when there is none."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return 0
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, (list, tuple)):
        return value[:-1] if value else None
    if isinstance(value, dict):
        return dict(list(value.items())[:-1]) if value else None
    if isinstance(value, (set, frozenset)):
        return type(value)(sorted(value)[:-1]) if value else None
    return None


def deep_nodes(limit: int = 3000) -> list:
    """The deepest states of a walk of the richest example under each built-in strategy."""
    path = next(p for p in EXAMPLES if p.stem == "two-tabs")
    out = []
    for strategy in BUILTIN:
        model = Model(load_scenario(path), strategy)
        deepest = None
        for _parent, _action, child in walk(model, limit):
            if deepest is None or child.depth >= deepest.depth:
                deepest = child
        out.append((model, deepest))
    return out


def _fields(node):
    """``(part, reset, obj, name, keyed)`` for every declared field of every session, client and
    client strategy: ``reset`` forgets the cached hash of the part the field belongs to."""
    for s in node.world.sessions.values():
        for name, f in Session.EXPLORED.items():
            yield f"session {s.name}", s, s, name, f.key is not OUT
    for c in node.world.clients:
        for name, f in Client.EXPLORED.items():
            yield f"client {c.index}", c, c, name, f.key is not OUT
        strategy = c.strategy
        for name, f in type(strategy).EXPLORED.items():
            yield f"client {c.index} strategy", c, strategy, name, f.key is not OUT


@pytest.mark.parametrize("model,node", deep_nodes(), ids=list(BUILTIN))
def test_the_fingerprint_changes_exactly_when_the_key_does(model, node):
    """Write each declared field of a deep state (and forget the part's cached hash, as the step
    that writes it does): the fingerprint changes exactly when the key does; a field left out of
    the key changes neither."""
    keys = model.keys
    written = keyed_changed = 0
    for part, owner, obj, name, keyed in _fields(node):
        if name == "_kh":
            continue
        before = getattr(obj, name)
        value = _other(before)
        if value is None:
            continue
        key, fp = node.key(keys), node.fingerprint(keys)
        try:
            setattr(obj, name, value)
        except TypeError:  # the compiled build checks a typed field's value: this one cannot occur
            continue
        owner._kh = None
        try:
            changed = node.key(keys) != key
            assert (node.fingerprint(keys) != fp) == changed, (part, name)
            if not keyed:
                assert not changed, (part, name)
            written += 1
            keyed_changed += changed
        finally:
            setattr(obj, name, before)
            owner._kh = None
        assert node.key(keys) == key and node.fingerprint(keys) == fp
    assert written >= 20 and keyed_changed >= 8, (written, keyed_changed)


@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_fingerprints_and_full_keys_agree_on_the_examples(strategy):
    """The fingerprinted search visits exactly the states the full-key one does (no collision, no
    merge a stale cache would cause), with the same verdicts."""
    for path in EXAMPLES:
        scenario = load_scenario(path)
        a = explore(scenario, strategy, max_states=4000)
        b = explore(scenario, strategy, max_states=4000, full_keys=True)
        assert (a.states, a.transitions, a.complete, a.violations) == \
               (b.states, b.transitions, b.complete, b.violations), path.stem
