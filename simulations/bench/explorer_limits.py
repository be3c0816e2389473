"""What bounds the explorer: per-transition cost by phase, and which steps commute.

``python -m simulations.bench.explorer_limits`` explores the three-send scenario once, then

* times each phase of every transition separately (enumerating actions, copying the node as the
  explorer does, sharing what it may, running the model's handlers and checkers, building the key
  the explorer fingerprints (sessions and clients by their cached hashes), hashing it) and prints the throughput the explorer would reach if copying, keying and
  fingerprinting cost nothing (a ceiling set by the shared handlers), and the ceilings set by the
  state's representation: copy + key + fingerprint alone, and key + fingerprint alone;
* for a sample of states, takes every pair of enabled steps both ways (a then b, b then a) and
  counts the pairs that commute: same state key and same violation increments. A partial-order
  reduction may only reorder steps that always commute, so this table bounds what it can save.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections import Counter, deque

from model.errors import SsesimError
from model.invariants import INVARIANTS
from simulations.bench.explorer_hook import THREE_SENDS
from simulations.explore.explorer import Model
from simulations.io.scenario import parse_scenario


def reachable(model: Model) -> list:
    """Every reachable node, breadth-first (the explorer's own search, nodes kept)."""
    root = model.initial()
    seen, queue, nodes = {root.key(model.keys)}, deque([root]), []
    while queue:
        node = queue.popleft()
        nodes.append(node)
        for action in model.actions(node):
            child = model.step(node, action)
            key = child.key(model.keys)
            if key not in seen:
                seen.add(key)
                queue.append(child)
    return nodes


def phase_costs(model: Model, nodes: list, repeat: int = 2, clock=time.process_time) -> dict:
    """Seconds spent per phase over every transition of ``nodes``, and the transition count.

    Each phase is not clocked around each transition (a clock read costs about a microsecond, a
    sizeable share of a phase) but as the difference of whole passes over every transition, each
    the best of ``repeat``: the copy alone; copy and handlers; then the key; then the fingerprint."""
    keys = model.keys
    pairs = [(node, action) for node in nodes for action in model.actions(node)]

    def best(work) -> float:
        times = []
        gc.collect()
        gc.disable()  # as the explorer runs (simulations.explore.explorer)
        try:
            for _ in range(repeat):
                start = clock()
                work()
                times.append(clock() - start)
        finally:
            gc.enable()
        return min(times)

    def actions():
        for node in nodes:
            model.actions(node)

    def copy():
        for node, _a in pairs:
            node.clone(share=True)  # as Model.step copies

    def handlers():
        for node, a in pairs:
            model.step(node, a)

    def key():  # the key the explorer fingerprints: sessions and clients by cached hashes
        for node, a in pairs:
            model.step(node, a).key(keys.hashing)

    def seal():  # the explorer's seal (Node.fingerprint: that key, hashed)
        for node, a in pairs:
            model.step(node, a).fingerprint(keys)

    passes = {"actions": actions, "copy": copy, "handlers": handlers, "key": key, "fingerprint": seal}
    total = {name: best(work) for name, work in passes.items()}
    spent = {"actions": total["actions"], "copy": total["copy"],
             "handlers": total["handlers"] - total["copy"], "key": total["key"] - total["handlers"],
             "fingerprint": total["fingerprint"] - total["key"]}
    return {"seconds": spent, "transitions": len(pairs), "states": len(nodes)}


def _identity(node, action) -> tuple:
    """A step's identity that survives other steps (list positions shift; attempts do not)."""
    kind = action[0]
    if kind == "arrive":
        a = node.net.requests[action[1]]
        return (kind, a.client, a.send, a.n, action[2])
    if kind == "response":
        a = node.net.responses[action[1]][0]
        return (kind, a.client, a.send, a.n)
    if kind == "assistant":
        return (kind, node.net.assistant[action[1]])
    return action


def _attempt(node, action):
    kind = action[0]
    if kind == "arrive":
        return node.net.requests[action[1]].send
    if kind == "response":
        return node.net.responses[action[1]][0].send
    if kind in ("timeout", "retry"):
        return action[2]
    return None


def _find(model: Model, node, identity):
    for action in model.actions(node):
        if _identity(node, action) == identity:
            return action
    return None


def _increments(before, after) -> tuple:
    return tuple(after.monitor.counts[i] - before.monitor.counts[i] for i in INVARIANTS)


def commutation(model: Model, nodes: list, sample: int, seed: int = 1) -> dict:
    """``{(kind, kind, "same"|"other"): [pairs enabled together, pairs that commute]}``.

    "same" marks two steps of one send's attempts (its arrival, response, timeout, retry). A pair
    commutes when both orders reach the same state key with the same violation increments.
    """
    rng = random.Random(seed)
    table: dict = {}
    for node in rng.sample(nodes, min(sample, len(nodes))):
        acts = model.actions(node)
        for i, a in enumerate(acts):
            for b in acts[i + 1:]:
                same = _attempt(node, a) is not None and _attempt(node, a) == _attempt(node, b)
                label = (*sorted((a[0], b[0])), "same" if same else "other")
                row = table.setdefault(label, [0, 0])
                row[0] += 1
                after_a, after_b = model.step(node, a), model.step(node, b)
                b_next = _find(model, after_a, _identity(node, b))
                a_next = _find(model, after_b, _identity(node, a))
                if b_next is None or a_next is None:
                    continue  # one disables the other: dependent
                ab, ba = model.step(after_a, b_next), model.step(after_b, a_next)
                if ab.key() == ba.key() and _increments(node, ab) == _increments(node, ba):
                    row[1] += 1
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulations.bench.explorer_limits",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", default="seed")
    parser.add_argument("--sample", type=int, default=2000, help="states sampled for commutation")
    args = parser.parse_args(argv)
    if args.sample < 0:
        parser.error(f"--sample must be >= 0, got {args.sample}")
    try:
        model = Model(parse_scenario(THREE_SENDS, source="<bench>"), args.strategy)
    except SsesimError as exc:
        parser.error(str(exc))
    nodes = reachable(model)
    costs = phase_costs(model, nodes)
    n, states = costs["transitions"], costs["states"]
    print(f"three-send scenario, strategy {args.strategy}: {states:,} states, {n:,} transitions "
          f"({n / states:.2f} per state), CPU time")
    print("| phase | s | µs / transition |\n|---|---:|---:|")
    for phase, seconds in costs["seconds"].items():
        print(f"| {phase} | {seconds:.2f} | {seconds / n * 1e6:.1f} |")
    total = sum(costs["seconds"].values())
    seconds = costs["seconds"]
    floor = seconds["actions"] + seconds["handlers"]
    print(f"all phases: {states / total:,.0f} states/s; with free copy, key and fingerprint (actions + "
          f"handlers only): {states / floor:,.0f} states/s")
    state = seconds["copy"] + seconds["key"] + seconds["fingerprint"]
    print(f"the state's representation alone: copy + key + fingerprint {states / state:,.0f} states/s; "
          f"key + fingerprint {states / (seconds['key'] + seconds['fingerprint']):,.0f} states/s")
    # Node.key() is (world, monitor, network...): drop its monitor part, key[1].
    unwatched = len({(key[0], *key[2:]) for key in (node.key() for node in nodes)})
    print(f"distinct states with the checkers' state left out of the key: {unwatched:,} "
          f"({states / unwatched:.2f}x fewer)\n")
    table = commutation(model, nodes, args.sample)
    print(f"commuting pairs over {min(args.sample, states):,} sampled states\n"
          "| steps | attempt | enabled together | commute | share |\n|---|---|---:|---:|---:|")
    for (a, b, same), (both, comm) in sorted(table.items()):
        print(f"| {a} / {b} | {same} | {both:,} | {comm:,} | {comm / both:.0%} |")
    counts = Counter()
    for both, comm in table.values():
        counts["always" if comm == both else "not always"] += 1
    print(f"\nkind pairs that always commute: {counts['always']}, "
          f"that do not: {counts['not always']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
