"""The breadth-first search shared by N worker processes (``explore --workers N``, ``check --workers N``).

Each state is owned by one worker: the one numbered ``fingerprint % N``. The search is level-synchronous:
in a round every worker expands its share of one breadth-first level (with the serial explorer's own
:func:`~simulations.explore.explorer.expand`), sends each child it does not already know to the child's
owner, and the owners keep the children they have not visited as their share of the next level. So
every state is reached at its breadth-first depth and every violation is found in the round of its
shortest counterexample: the same states, transitions, verdicts and shortest counterexample lengths as
one worker (when the search completes). Which of several shortest paths is kept is fixed for a given
N, not necessarily the serial one: an invariant's violating step is the first found in the round, by
(worker number, order within the worker's share of the level, order of the steps); a state's parent is
its owner's own first way to it in the round, else the first offered, by worker number.

Cost: most transitions reach states already seen, so children are not shipped blindly. A worker offers
the owner the fingerprint of a foreign child only the first time it meets it (it remembers what it
offered: the owner has visited it since); the owner answers which offers are new in this round, and
only those children are packed (``store.Packer``, uncompressed: what every state shares, the
scenario, the checkers' configuration and the witness set, travels as small numbers) and shipped. The coordinator (the calling
process) sends each worker one short message per level, sets the ``max_states`` quotas (filled in
worker order, so a bounded search visits exactly ``max_states`` states, as the serial one does), and
at the end follows the parent pointers, which each owner keeps for its states, back to the start.

Sleep sets (``reduction``) are not combined with workers: their revisits with smaller sleep sets do
not fit level by level (the CLI refuses the combination). Ample sets are a function of the state alone
and work unchanged.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import time
from array import array
from multiprocessing.connection import wait

from model.invariants import INVARIANTS
from model.plugins import PluginFailed, plugin_failure
from simulations.explore.explorer import (
    Exploration,
    Model,
    _code,
    collision_probability,
    describe_path,
    expand,
    fingerprint,
)
from simulations.explore.reduction import ample
from simulations.explore.reduction import applicable as ample_applicable
from simulations.explore.store import Packer
from simulations.io.workers import worker_init


def _owner_of(sealed, n: int) -> int:
    return (sealed if isinstance(sealed, int) else fingerprint(sealed)) % n


def _worker(w: int, n: int, scenario, strategy, ample_sets: bool, full_keys: bool, conn, inboxes) -> None:
    """One worker: answers the coordinator's messages on ``conn`` until ``stop``."""
    worker_init()
    gc.disable()  # as in the serial search: trees of containers, freed by reference counting
    try:
        _serve(w, n, scenario, strategy, ample_sets, full_keys, conn, inboxes)
    except BaseException as exc:  # noqa: BLE001 - handed to the coordinator, which raises it
        blame = plugin_failure(exc)
        if blame is not None:  # the traceback that names the plug-in does not travel: its blame does
            exc = PluginFailed(blame)
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - not picklable: its text
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _serve(w, n, scenario, strategy, ample_sets, full_keys, conn, inboxes) -> None:
    model = Model(scenario, strategy)
    reduce = ample_sets and ample_applicable(model)
    keys = model.keys
    seal = (lambda key: key) if full_keys else fingerprint
    root = model.initial()
    packer = Packer(root)  # the same shared table in every worker: built the same way
    sometimes = root.monitor.sometimes  # the vacuity guard's witnesses, one set for the whole search
    seen: set = set()  # the seals of this worker's visited states
    shipped: set = set()  # foreign seals sent to their owners (who have visited them since)
    parents = array("q")  # local index -> the parent's global id (index * n + worker), -1 at the start
    steps = array("l")  # local index -> code of the step from the parent
    codes: dict = {}
    table: list = []
    root_seal = seal(root.key(keys))
    # The next level's candidates: (seal, node or packed node, parent's global id, step).
    pending = [(root_seal, root, -1, None)] if _owner_of(root_seal, n) == w else []
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
        for sealed, node, parent, action in pending[:quota]:
            seen.add(sealed)
            parents.append(parent)
            steps.append(-1 if action is None else _code(codes, table, action))
            frontier.append((packer.loads(node) if isinstance(node, bytes) else node, len(parents) - 1))
        admitted = len(frontier)
        del pending
        buckets: list = [[] for _ in range(n)]
        transitions = 0
        found: dict = {}  # invariant -> (local index of the parent, step): the first in this level
        mine: set = set()  # seals of this level's own children
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
                sealed = seal(child.key(keys))
                owner = _owner_of(sealed, n)
                if owner == w:
                    if sealed not in seen and sealed not in mine:
                        mine.add(sealed)  # the first of this level: later copies are dropped now
                        buckets[w].append((sealed, child, gid, action))
                elif sealed not in shipped:
                    shipped.add(sealed)
                    buckets[owner].append((sealed, child, gid, action))
        del frontier
        # Fingerprints first: each owner says which of the children offered it are new in this level
        # (its own child first, then the first offer in worker order); only those are packed and shipped.
        post = _Post(w, n, inboxes)
        post.send("offer", [[c[0] for c in bucket] for bucket in buckets])
        offers = post.receive("offer")
        level: dict = {}
        wanted: list = [[] for _ in range(n)]
        for candidate in buckets[w]:  # its own children first: they need no shipping
            level[candidate[0]] = candidate
        for source in range(n):
            if source == w:
                continue
            for position, sealed in enumerate(offers[source]):
                if sealed not in seen and sealed not in level:
                    level[sealed] = None  # filled in when the child arrives
                    wanted[source].append(position)
        post.send("want", wanted)
        asked = post.receive("want")
        post.send("ship", [[(packer.dumps(buckets[o][i][1]), *buckets[o][i][2:]) for i in asked[o]]
                           if o != w else None for o in range(n)])
        shipped_here = post.receive("ship")
        for source in range(n):
            if source != w:
                for position, (packed, gid, action) in zip(wanted[source], shipped_here[source]):
                    sealed = offers[source][position]
                    level[sealed] = (sealed, packed, gid, action)
        pending = list(level.values())
        traffic = (sum(len(offers[o]) for o in range(n) if o != w), sum(len(a) for a in asked if a))
        del buckets, level, offers, shipped_here, mine
        conn.send(("level", admitted, transitions, found, len(pending), traffic))


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
                    ample: bool = False) -> Exploration:
    """The search of :func:`simulations.explore.explorer.explore` shared by ``workers`` processes."""
    start = time.perf_counter()
    n = workers
    model = Model(scenario, strategy)
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    inboxes = [context.Queue() for _ in range(n)]
    links, processes = [], []
    try:
        for w in range(n):
            mine, theirs = context.Pipe()
            p = context.Process(target=_worker, name=f"ssesim-explore-{w}", daemon=True,
                                args=(w, n, scenario, strategy, ample, full_keys, theirs, inboxes))
            p.start()
            theirs.close()
            links.append(mine)
            processes.append(p)
        pend = [reply[1] for reply in _gather(links, processes, "ready")]
        states = transitions = offered = shipped = 0
        depth = -1
        complete = True
        first: dict = {}  # invariant -> (worker, local index of the parent, step)
        while any(pend):
            room = max_states - states
            quotas = []
            for count in pend:
                quotas.append(min(count, room))
                room -= quotas[-1]
            if sum(quotas) < sum(pend):
                complete = False
            if not any(quotas):
                break
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
                progress(states, transitions)
        paths = {inv: _path(links, n, w, index) + [action] for inv, (w, index, action) in first.items()}
        sometimes: set = set()
        for link in links:
            link.send(("stop",))
        for reply in _gather(links, processes, "sometimes"):
            sometimes |= reply[1]
        for p in processes:
            p.join()
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
    labels = {inv: (describe_path(model, paths[inv]) if inv in paths else None) for inv in INVARIANTS}
    result = Exploration(scenario.name, getattr(model.strategy_cls, "name", strategy), states,
                         transitions, complete, seconds, labels, paths, max(depth, 0))
    result.ample = ample and ample_applicable(model)
    result.collision_probability = None if full_keys else collision_probability(states, transitions)
    result.sometimes = sometimes
    result.workers = n
    result.traffic = {"offered": offered, "shipped": shipped}  # fingerprints offered, children shipped
    return result


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
