"""The explorer's compact storage (issue 11, item 3): packed states round-trip, the packed frontier is
a first-in first-out queue, the fingerprint set is a set, and a search whose frontier is packed
explores exactly what an unpacked one does."""

from __future__ import annotations

import json
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.strategies import BUILTIN
from simulations.explore import store
from simulations.explore.explorer import Model, explore, fingerprint
from simulations.explore.store import FingerprintSet, Frontier, Packer, pack, unpack
from simulations.io.scenario import builtin_scenarios, load_scenario

PATHS = {p.stem: p for p in builtin_scenarios()}
EXAMPLES = ["error-after-commit", "two-tabs", "disconnect-resume-none", "old-stream-drains",
            "assistant-typing", "two-sessions"]


def bfs_nodes(model: Model, limit: int) -> list:
    """Up to ``limit`` distinct states of ``model`` in breadth-first order."""
    root = model.initial()
    seen = {fingerprint(root.key(model.keys))}
    queue, out = deque([root]), [root]
    while queue and len(out) < limit:
        node = queue.popleft()
        for action in model.actions(node):
            child = model.step(node, action)
            f = fingerprint(child.key(model.keys))
            if f not in seen:
                seen.add(f)
                queue.append(child)
                out.append(child)
    return out


def successors(model: Model, node) -> list:
    return [(a, model.step(node, a).key()) for a in model.actions(node)]


@pytest.mark.parametrize("stem", EXAMPLES)
@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_a_packed_state_unpacks_to_the_same_state_and_successors(stem, strategy):
    model = Model(load_scenario(PATHS[stem]), strategy)
    for node in bfs_nodes(model, 40)[::3]:
        back = unpack(model, pack(model, node))
        assert back is not node and back.depth == node.depth
        assert back.key() == node.key() and back.key(model.keys) == node.key(model.keys)
        assert successors(model, back) == successors(model, node)
        assert back.world.scenario is model.scenario  # the configuration by reference, not a copy
        assert back.monitor.sometimes == node.monitor.sometimes  # another root's set: a copy


@settings(max_examples=25, deadline=None)
@given(stem=st.sampled_from(EXAMPLES), strategy=st.sampled_from(list(BUILTIN)),
       picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=6), chunk=st.integers(1, 8))
def test_states_packed_together_unpack_apart_and_keep_the_shared_witness_set(stem, strategy, picks,
                                                                             chunk):
    model = Model(load_scenario(PATHS[stem]), strategy)
    nodes = bfs_nodes(model, 40)
    chosen = list({p % len(nodes): nodes[p % len(nodes)] for p in picks}.values())[:chunk]
    sometimes = nodes[0].monitor.sometimes
    packer = Packer(nodes[0])
    back = packer.loads(packer.decompress(packer.compress(packer.dumps(chosen))))
    for node, b in zip(chosen, back):
        assert b.key() == node.key() and successors(model, b) == successors(model, node)
        assert b.monitor.sometimes is sometimes
    # states that shared an object in memory share it after unpacking; a step taken in one of them
    # in place (as the explorer takes a node's last successor) leaves the others unchanged
    keys = [b.key() for b in back]
    for i, b in enumerate(back):
        acts = model.actions(b)
        if acts:
            b.depth += 1
            model.advance(b, acts[-1])
        assert [c.key() for c in back[i + 1:]] == keys[i + 1:]


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.one_of(st.integers(0, 2**64 - 1), st.none()), max_size=300),
       chunk=st.integers(1, 5), hot=st.integers(0, 12))
def test_the_frontier_is_a_fifo_queue(ops, chunk, hot):
    packer = Packer(Model(load_scenario(PATHS["error-after-commit"]), "seed").initial())
    frontier, reference = Frontier(packer, chunk, hot), deque()
    for i, op in enumerate(ops):
        if op is None:
            if reference:
                assert frontier.popleft() == reference.popleft()
        else:
            entry = ([op, i], i, op, frozenset({"x"}) if i % 2 else None)
            frontier.append(entry)
            reference.append(entry)
        assert len(frontier) == len(reference) and bool(frontier) == bool(reference)
    while reference:
        assert frontier.popleft() == reference.popleft()
    assert not frontier


fingerprints = st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 64),
                         st.integers(0, 40).map(lambda k: k * 1024))  # collide modulo the table


@settings(max_examples=100, deadline=None)
@given(adds=st.lists(fingerprints, max_size=2000), probes=st.lists(fingerprints, max_size=50))
def test_the_fingerprint_set_is_a_set(adds, probes):
    fs, reference = FingerprintSet(), set()
    for fp in adds:
        assert (fp in fs) == (fp in reference)
        fs.add(fp)
        reference.add(fp)
        assert len(fs) == len(reference)
    assert all((p in fs) == (p in reference) for p in probes + adds)
    assert sorted(fs) == sorted(reference)
    assert fs.nbytes <= 16 * max(len(fs), 768) + 8


PACKED_SEARCHES = [(stem, strategy, 800) for stem in ("two-tabs", "old-stream-drains")
                   for strategy in BUILTIN]
PACKED_SEARCHES += [pytest.param(stem, strategy, 5_000, marks=pytest.mark.slow)
                    for stem in ("two-tabs", "old-stream-drains", "assistant-typing", "two-sessions")
                    for strategy in BUILTIN]


@pytest.mark.parametrize("stem, strategy, bound", PACKED_SEARCHES)
def test_a_search_with_its_frontier_packed_explores_the_same(stem, strategy, bound, monkeypatch):
    scenario = load_scenario(PATHS[stem])
    plain = explore(scenario, strategy, max_states=bound)
    monkeypatch.setattr(store, "HOT", 0)
    monkeypatch.setattr(store, "CHUNK", 3)
    packed = explore(scenario, strategy, max_states=bound)
    assert (packed.states, packed.transitions, packed.max_depth, packed.complete) == \
        (plain.states, plain.transitions, plain.max_depth, plain.complete)
    assert packed.paths == plain.paths and packed.violations == plain.violations
    assert packed.sometimes == plain.sometimes
    reduced = explore(scenario, strategy, max_states=bound, reduction=True, full_keys=True)
    assert (reduced.states, reduced.violations) == (plain.states, plain.violations)


def test_frontier_objects_is_a_cli_option_that_changes_memory_not_results(capsys):
    from simulations.cli import main
    path = str(PATHS["two-tabs"])
    outs = []
    for extra in ([], ["--frontier-objects", "0"]):
        assert main(["explore", path, "--strategy", "seed", "--json", "--quiet", *extra]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1] and outs[0]["complete"]
    for cmd in (["explore", path], ["check", path]):
        assert main([*cmd, "--frontier-objects", "-1", "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--frontier-objects" in err[0] and "must be >= 0" in err[0]
