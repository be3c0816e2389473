"""The cost of one explorer transition, split into its parts, and the ceiling the parts set (issue 11).

``python -m simulations.bench.explore_floor [SCENARIO] [--strategy S] [--repeat N]`` explores
SCENARIO (default: the three-send benchmark, ``seed``) once to collect every reachable state and
every enabled step, then times, over all of its transitions, best of N passes (CPU time):

* ``step``: a transition as the explorer takes it (copy of the node sharing what it may, the
  World's handlers, the checkers' observations), then its key and fingerprint;
* ``copy``: the copy alone (``Node.clone(share=True)``);
* ``key``: the key alone, and ``fingerprint`` alone, of the successors.

It prints microseconds per transition for each part and ``states/s`` ceilings: what one worker could
reach if the search loop and the handlers were free (copy + key + fingerprint only), and if the copy
were free too (key + fingerprint only), at the scenario's transitions per state.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from simulations.explore.explorer import fingerprint
from simulations.explore.transitions import Model
from simulations.io.scenario import load_scenario

THREE_SENDS = Path(__file__).resolve().parent / "three-sends.toml"


def reachable(model: Model) -> list:
    """Every reachable state (as a node) of ``model``, breadth first, keyed as the explorer keys them."""
    keys = model.keys
    root = model.initial()
    seen = {fingerprint(root.key(keys))}
    queue, out = [root], []
    while queue:
        node = queue.pop()
        out.append(node)
        for action in model.actions(node):
            child = model.step(node, action)
            seal = fingerprint(child.key(keys))
            if seal not in seen:
                seen.add(seal)
                queue.append(child)
    return out


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.explore_floor")
    p.add_argument("scenario", nargs="?", type=Path, default=THREE_SENDS)
    p.add_argument("--strategy", default="seed")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    model = Model(load_scenario(args.scenario), args.strategy)
    keys = model.keys
    nodes = reachable(model)
    pairs = [(node, action) for node in nodes for action in model.actions(node)]
    children = [model.step(node, action) for node, action in pairs]
    child_keys = [child.key(keys) for child in children]
    gc.disable()

    def step():
        for node, action in pairs:
            fingerprint(model.step(node, action).key(keys))

    def copy():
        for node, _action in pairs:
            node.clone(share=True)

    def key():
        for child in children:
            child.key(keys)

    def seal():
        for k in child_keys:
            fingerprint(k)

    n = len(pairs)
    us = {name: best(fn, args.repeat) / n * 1e6 for name, fn in
          (("step", step), ("copy", copy), ("key", key), ("fingerprint", seal))}
    per_state = n / len(nodes)
    print(f"{args.scenario.stem} / {args.strategy}: {len(nodes):,} states, {n:,} transitions "
          f"({per_state:.2f} per state), best of {args.repeat}, CPU time")
    for name, value in us.items():
        print(f"  {name:<12} {value:6.2f} µs per transition")
    floor = us["copy"] + us["key"] + us["fingerprint"]
    print(f"  handlers and checkers (step - copy - key - fingerprint): {us['step'] - floor:.2f} µs")
    print(f"  ceiling, handlers and search free: {1e6 / (floor * per_state):,.0f} states/s")
    print(f"  ceiling, copy free too (key + fingerprint only): "
          f"{1e6 / ((us['key'] + us['fingerprint']) * per_state):,.0f} states/s")
    print(f"  as measured (step only, search loop free): {1e6 / (us['step'] * per_state):,.0f} states/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
