"""The breadth-first search shared by N worker processes (``explore --workers N``, ``check --workers N``).

Each state is owned by one worker: the one numbered ``fingerprint % N``, which alone decides whether it
is new. The search is level-synchronous: in a round every worker expands its share of one breadth-first
level (with the serial explorer's own :func:`~simulations.explore.explorer.expand`), and each child
that no worker has met before becomes part of the next level exactly once. So
every state is reached at its breadth-first depth and every violation is found in the round of its
shortest counterexample: the same states, transitions, verdicts and shortest counterexample lengths as
one worker (when the search completes). Which of several shortest paths is kept is fixed for a given
N, not necessarily the serial one: an invariant's violating step is the first found in the round, by
(worker number, order within the worker's share of the level, order of the steps); a state's parent is
its owner's own first way to it in the round, else the first offered, by worker number.

Cost: most transitions reach states already seen, and no state travels that need not. A worker offers
the owner the fingerprint of a foreign child only the first time it meets it (it remembers what it
offered: the owner has claimed it since); the owner claims, in worker order after its own children,
the offers it has not seen, and the worker that offered a claimed child keeps it for the next level.
So a state is expanded by a worker that met it, and a level's states are held by whoever found them.
Then the workers even out the next level: their counts are exchanged, and only a surplus is packed
(``store.Packer``, uncompressed: what every state shares, the scenario, the checkers' configuration and
the witness set, travels as small numbers) and shipped, by a plan every worker computes alike
(:func:`_balance`). The coordinator (the calling process) sends each worker one short message per
level, sets the ``max_states`` quotas (filled in worker order, so a bounded search visits exactly
``max_states`` states, as the serial one does), and at the end follows the parent pointers, which the
worker that visited each state keeps, back to the start.

Sleep sets (``reduction``) are not combined with workers: their revisits with smaller sleep sets do
not fit level by level (the CLI refuses the combination), and neither are the session sets that come
with them (``simulations.explore.sessions``: their revisits with a smaller adjusted depth do not
either); this search takes every step that ample sets leave. Ample sets are a function of the state alone
and work unchanged.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import time
from array import array
from multiprocessing.connection import wait
from typing import Any

from model.invariants import INVARIANTS
from model.plugins import PluginFailed, plugin_failure
from simulations.explore.explorer import (
    Exploration,
    Growth,
    Model,
    SearchInterrupted,
    _code,
    collision_probability,
    describe_path,
    expand,
    fingerprint,
    interruption,
    sealer,
)
from simulations.explore.reduction import ample
from simulations.explore.reduction import applicable as ample_applicable
from simulations.explore.store import HOT, Packer
from simulations.io.workers import worker_init

FORKS = sys.platform.startswith("linux")  # workers forked (sharing the hash seed), else spawned


def _owner_of(sealed, n: int) -> int:
    return (sealed if isinstance(sealed, int) else fingerprint(sealed)) % n


def _worker(w: int, n: int, scenario, strategy, ample_sets: bool, full_keys: bool, hot: int, conn,
            inboxes) -> None:
    """One worker: answers the coordinator's messages on ``conn`` until ``stop``."""
    worker_init()
    gc.disable()  # as in the serial search: trees of containers, freed by reference counting
    try:
        _serve(w, n, scenario, strategy, ample_sets, full_keys, hot, conn, inboxes)
    except BaseException as exc:  # noqa: BLE001 - handed to the coordinator, which raises it
        blame = plugin_failure(exc)
        if blame is not None:  # the traceback that names the plug-in does not travel: its blame does
            exc = PluginFailed(blame)
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - not picklable: its text
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _serve(w, n, scenario, strategy, ample_sets, full_keys, hot, conn, inboxes) -> None:
    model = Model(scenario, strategy)
    reduce = ample_sets and ample_applicable(model)
    keys = model.keys
    # Forked workers share the parent's hash seed, so Node.fingerprint agrees between them; spawned
    # ones (not Linux) each draw their own, so they fingerprint portably.
    seal = sealer(keys, full_keys, portable=not FORKS)
    root = model.initial()
    packer = Packer(root)  # the same shared table in every worker: built the same way
    sometimes = root.monitor.sometimes  # the vacuity guard's witnesses, one set for the whole search
    seen: set = set()  # the seals this worker owns that some worker has visited or will visit
    offered: set = set()  # foreign seals offered to their owners (who have claimed them since)
    parents = array("q")  # local index -> the parent's global id (index * n + worker), -1 at the start
    steps = array("l")  # local index -> code of the step from the parent
    codes: dict = {}
    table: list = []
    root_seal = seal(root)
    # The next level's candidates: (seal, node or packed node, parent's global id, step).
    pending: list = [(root_seal, root, -1, None)] if _owner_of(root_seal, n) == w else []
    seen.update(p[0] for p in pending)
    conn.send(("ready", len(pending)))
    while True:
        message = conn.recv()
        if message[0] == "stop":
            conn.send(("sometimes", set(sometimes)))
            return
        if message[0] == "path":  # global ids of this worker's states -> (parent's global id, step)
            conn.send(("path", [(parents[i], table[steps[i]] if steps[i] >= 0 else None)
                                for i in message[1]]))
            continue
        quota = message[1]  # "level": visit the first ``quota`` candidates, expand them
        frontier = []
        for _sealed, node, parent, action in pending[:quota]:
            parents.append(parent)
            steps.append(-1 if action is None else _code(codes, table, action))
            frontier.append((packer.loads(node) if isinstance(node, bytes) else node, len(parents) - 1))
        admitted = len(frontier)
        del pending
        offer: list = [[] for _ in range(n)]  # owner -> children it owns, met first here this level
        keep: list = []  # the children this worker will visit: (seal, node, parent's global id, step)
        transitions = 0
        found: dict = {}  # invariant -> (local index of the parent, step): the first in this level
        for node, index in frontier:
            acts = model.actions(node)
            if reduce:
                acts = ample(model, node, acts)
            gid = index * n + w
            for (action,), child, broken in expand(model, node, [(a,) for a in acts]):
                transitions += 1
                for inv in broken:
                    if inv not in found:
                        found[inv] = (index, action)
                sealed = seal(child)
                owner = _owner_of(sealed, n)
                if owner == w:
                    if sealed not in seen:  # claimed at once: the owner's own child comes first
                        seen.add(sealed)
                        keep.append((sealed, child if len(keep) < hot else packer.dumps(child), gid,
                                     action))
                elif sealed not in offered:
                    offered.add(sealed)
                    bucket = offer[owner]
                    bucket.append((sealed, child if len(bucket) < hot else packer.dumps(child), gid,
                                   action))
        del frontier
        # Fingerprints only: each owner claims, in worker order, the offered children it has not
        # seen, and the worker that offered a claimed child keeps it (no state travels for that).
        post = _Post(w, n, inboxes)
        post.send("offer", [[c[0] for c in bucket] for bucket in offer])
        offers = post.receive("offer")
        claims: list = [[] for _ in range(n)]
        for source in range(n):
            if source != w:
                for position, sealed in enumerate(offers[source]):
                    if sealed not in seen:
                        seen.add(sealed)
                        claims[source].append(position)
        post.send("claim", claims)
        claimed = post.receive("claim")
        for owner in range(n):
            if owner != w:
                bucket = offer[owner]
                keep.extend([bucket[i] for i in claimed[owner]])
        received = sum(len(offers[source]) for source in range(n) if source != w)
        del offer, offers
        # Balance: the next level's states are shared out evenly; only a surplus travels, packed.
        post.send("count", [len(keep)] * n)
        counts = post.receive("count")
        counts[w] = len(keep)
        outgoing: list = [[] for _ in range(n)]
        for source, target, k in _balance(counts):
            if source == w:
                moving, keep[len(keep) - k:] = keep[len(keep) - k:], []
                outgoing[target] = [(sealed, child if isinstance(child, bytes) else packer.dumps(child),
                                     gid, action) for sealed, child, gid, action in moving]
        post.send("ship", outgoing)
        arrived = post.receive("ship")
        for source in range(n):
            if source != w:
                keep.extend(arrived[source])
        pending = keep
        for i in range(hot, len(pending)):  # past its share of --frontier-objects, a state waits packed
            sealed, node, gid, action = pending[i]
            if not isinstance(node, bytes):
                pending[i] = (sealed, packer.dumps(node), gid, action)
        traffic = (received, sum(map(len, outgoing)))  # fingerprints offered to it, states it shipped
        del keep, arrived, outgoing
        conn.send(("level", admitted, transitions, found, len(pending), traffic))


def _balance(counts: list) -> list:
    """Moves ``(source, target, k)`` that even out the workers' next levels (the first
    ``total % n`` workers take one more), the same plan in every worker."""
    n = len(counts)
    total = sum(counts)
    target = [total // n + (1 if w < total % n else 0) for w in range(n)]
    surplus = [[w, counts[w] - target[w]] for w in range(n) if counts[w] > target[w]]
    moves = []
    for w in range(n):
        need = target[w] - counts[w]
        while need > 0:
            entry = surplus[0]
            k = min(need, entry[1])
            moves.append((entry[0], w, k))
            need -= k
            entry[1] -= k
            if not entry[1]:
                surplus.pop(0)
    return moves


class _Post:
    """One level's exchange between the workers, by kind of message: ``send`` puts ``items[o]`` in
    worker ``o``'s inbox; ``receive`` returns what each other worker sent of that kind (a message of a
    later kind that arrives early is kept for its turn)."""

    def __init__(self, w: int, n: int, inboxes):
        self.w, self.n, self.inboxes = w, n, inboxes
        self.early: dict = {}

    def send(self, kind: str, items: list) -> None:
        for o in range(self.n):
            if o != self.w:
                self.inboxes[o].put((kind, self.w, items[o]))

    def receive(self, kind: str) -> list:
        got: list = [None] * self.n
        missing = self.n - 1
        for source in [s for (k, s) in self.early if k == kind]:
            got[source] = self.early.pop((kind, source))
            missing -= 1
        while missing:
            k, source, item = self.inboxes[self.w].get()
            if k == kind:
                got[source] = item
                missing -= 1
            else:
                self.early[(k, source)] = item
        return got


def explore_workers(scenario, strategy: str | None = None, *, workers: int = 2,
                    max_states: int = 1_000_000, progress=None, full_keys: bool = False,
                    ample: bool = False, frontier_objects: int | None = None,
                    max_seconds: float | None = None, hint=None) -> Exploration:
    """The search of :func:`simulations.explore.explorer.explore` shared by ``workers`` processes.

    ``frontier_objects``: as the serial search's (default ``store.HOT``), shared out between the
    workers: each keeps at most its share of the next level as objects and packs the rest.
    The bound is checked level by level: a level that would pass ``max_states`` is counted up to
    it and not expanded, and ``max_seconds`` is checked after each level (so a bounded search's
    transitions can differ from one worker's, which stops at the state that passes the bound).
    Ctrl-C or SIGTERM raise :class:`SearchInterrupted` with the figures so far; the
    counterexamples of what was found are not rebuilt then (the workers are stopped at once)."""
    start = time.perf_counter()
    n = workers
    interrupted = stopped_by = None
    states = transitions = offered = shipped = 0
    depth = -1
    first: dict = {}  # invariant -> (worker, local index of the parent, step)
    levels: list = []
    hot = (HOT if frontier_objects is None else frontier_objects) // n
    model = Model(scenario, strategy)
    context: Any = multiprocessing.get_context("fork" if FORKS else "spawn")
    inboxes = [context.Queue() for _ in range(n)]
    links, processes = [], []
    try:
        for w in range(n):
            mine, theirs = context.Pipe()
            p = context.Process(target=_worker, name=f"ssesim-explore-{w}", daemon=True,
                                args=(w, n, scenario, strategy, ample, full_keys, hot, theirs, inboxes))
            p.start()
            theirs.close()
            links.append(mine)
            processes.append(p)
        pend = [reply[1] for reply in _gather(links, processes, "ready")]
        growth = Growth(max_states, hint)
        deadline = None if max_seconds is None else start + max_seconds
        while any(pend):
            room = max_states - states
            if sum(pend) > room:  # the bound: count the level up to it, expand none of it
                states += max(room, 0)
                levels.append(max(room, 0))
                stopped_by = "max-states"
                break
            if deadline is not None and depth >= 0 and time.perf_counter() >= deadline:
                stopped_by = "max-seconds"
                break
            levels.append(sum(pend))
            growth.level_done(levels, states + sum(pend))
            quotas = list(pend)
            for link, quota in zip(links, quotas):
                link.send(("level", quota))
            replies = _gather(links, processes, "level")
            depth += 1
            for w, (_tag, admitted, moved, found, waiting, traffic) in enumerate(replies):
                offered += traffic[0]
                shipped += traffic[1]
                states += admitted
                transitions += moved
                pend[w] = waiting
                for inv in INVARIANTS:
                    if inv in found and inv not in first:
                        first[inv] = (w, *found[inv])
            if progress is not None:
                progress(states, transitions, depth=depth, frontier=sum(pend))
        paths = {inv: _path(links, n, w, index) + [action] for inv, (w, index, action) in first.items()}
        sometimes: set = set()
        for link in links:
            link.send(("stop",))
        for reply in _gather(links, processes, "sometimes"):
            sometimes |= reply[1]
        for p in processes:
            p.join()
    except KeyboardInterrupt as exc:
        interrupted, stopped_by = exc, interruption(exc)
        paths, sometimes = {}, set()
    finally:
        for p in processes:
            if p.is_alive():
                p.terminate()
                p.join()
        for link in links:
            link.close()
        for q in inboxes:
            q.close()
            q.cancel_join_thread()
    seconds = time.perf_counter() - start
    labels = {inv: (describe_path(model, paths[inv]) if inv in paths else
                    [NOT_REBUILT] if inv in first else None) for inv in INVARIANTS}
    name: str = getattr(model.strategy_cls, "name", strategy)  # type: ignore[assignment]
    result = Exploration(scenario.name, name, states,
                         transitions, stopped_by is None, seconds, labels, paths, max(depth, 0))
    result.ample = ample and ample_applicable(model)
    result.collision_probability = None if full_keys else collision_probability(states, transitions)
    result.sometimes = sometimes
    result.workers = n
    result.max_timeouts = model.max_timeouts
    result.traffic = {"offered": offered, "shipped": shipped}  # fingerprints offered, states shipped
    result.stopped_by, result.levels = stopped_by, levels
    if interrupted is not None:
        raise SearchInterrupted(result, interrupted) from None
    return result


NOT_REBUILT = "(violated; its counterexample was not rebuilt: the search was interrupted)"


def _receive(link, tag: str) -> tuple:
    try:
        return _check(link.recv(), tag)
    except EOFError:
        raise RuntimeError("an explorer worker died") from None


def _gather(links, processes, tag: str) -> list:
    """Every worker's reply, in worker order; a worker's error (or death) is raised at once: the others
    may be waiting for that worker's share, and would wait for ever."""
    replies: dict = {}
    waiting = dict(enumerate(links))
    while waiting:
        ready = wait(list(waiting.values()) + [p.sentinel for i, p in enumerate(processes) if i in waiting])
        for w, link in list(waiting.items()):
            if link in ready or processes[w].sentinel in ready:
                try:
                    message = link.recv()
                except EOFError:
                    raise RuntimeError(f"explorer worker {w} died (exit code {processes[w].exitcode})") \
                        from None
                replies[w] = _check(message, tag)
                del waiting[w]
    return [replies[w] for w in range(len(links))]


def _check(message, tag: str) -> tuple:
    if message[0] == "error":
        raise message[1]
    assert message[0] == tag, message
    return message


def _path(links, n: int, w: int, index: int) -> list:
    """The steps from the start to worker ``w``'s state ``index``, by the owners' parent pointers."""
    out: list = []
    while True:
        links[w].send(("path", [index]))
        ((parent, action),) = _receive(links[w], "path")[1]
        if parent < 0:
            break
        out.append(action)
        index, w = divmod(parent, n)
    out.reverse()
    return out
