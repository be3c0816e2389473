"""Exhaustive bounded exploration: breadth-first over every interleaving of the model's steps.

The transition system is ``simulations.explore.transitions`` (its names are re-exported here). States
are deduplicated, so the first path that violates an invariant is a shortest one.
"""

from __future__ import annotations

import gc
import io
import pickle
import time
from array import array
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from hashlib import blake2b
from typing import Any, ClassVar

from model.compiled import mypyc_attr
from model.config import Scenario
from model.errors import InputError
from model.invariants import INVARIANTS
from simulations.explore.reduction import NO_SLEEP, ample, idents, independent
from simulations.explore.reduction import applicable as ample_applicable
from simulations.explore.sessions import SessionSets, project
from simulations.explore.store import FingerprintSet, Frontier, Packer
from simulations.explore.transitions import (  # noqa: F401 - re-exported, the explorer's public names
    FULL_KEYS,
    ExploredKeys,
    Model,
    Net,
    Node,
    describe,
    describe_path,
    replay,
    symmetry_groups,
)


@mypyc_attr(allow_interpreted_subclasses=True)  # also: blank instances to copy into, and pickles
@dataclass
class Exploration:
    scenario: str
    strategy: str
    states: int
    transitions: int
    complete: bool
    seconds: float
    violations: dict  # invariant -> list of step labels (shortest counterexample) or None
    paths: dict  # invariant -> list of actions
    max_depth: int = 0
    sometimes: set = dataclass_field(default_factory=set)
    reduced: bool = False  # sleep sets
    sessions: bool = False  # session-level persistent sets after the last input (sessions.py)
    ample: bool = False  # persistent (ample) sets
    collision_probability: float | None = None  # None: full keys, no fingerprints
    symmetry: tuple = ()  # the groups of interchangeable clients keyed up to a renaming
    workers: int = 1  # processes that shared the search (parallel.py)
    max_timeouts: int | None = None  # [explore].max_timeouts: the POST timeouts any path may fire
    traffic: dict | None = None  # parallel.py: fingerprints offered to owners, states shipped to even out levels
    # What stopped an incomplete search: "max-states", "max-seconds", "projected" (``give_up``),
    # "interrupted", "terminated".
    stopped_by: str | None = None
    projected: float | None = None  # stopped_by "projected": the size the growth per level projected
    peak_projection: float = 0.0  # give_up: the largest projection met on the way
    levels: list = dataclass_field(default_factory=list)  # depth -> states first reached at it

    @property
    def undecided(self) -> list[str]:
        """The invariants a stopped search did not see broken: not proven, not refuted (SPEC order)."""
        return [] if self.complete else [k for k in INVARIANTS if not self.violations.get(k)]

    def verdicts(self) -> dict:
        """Each invariant → ``"violated"``, ``"held"`` (a complete search) or ``"undecided"``."""
        return {k: "violated" if self.violations.get(k) else "held" if self.complete else "undecided"
                for k in INVARIANTS}

    def to_json(self) -> dict:
        """SPEC §6's object, then what it leaves implicit: each invariant's verdict, the undecided
        ones, and what stopped an incomplete search."""
        return {"scenario": self.scenario, "strategy": self.strategy, "states": self.states,
                "transitions": self.transitions, "complete": self.complete,
                "violations": {k: self.violations[k] for k in INVARIANTS},
                "fingerprint_collision_probability": self.collision_probability,
                "verdicts": self.verdicts(), "undecided": self.undecided,
                "stopped_by": self.stopped_by}


@mypyc_attr(native_class=False)  # a compiled class cannot subclass KeyboardInterrupt
class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a search, carrying what was found so far (``partial``, an
    :class:`Exploration` marked incomplete) and the interruption itself (``cause``)."""

    def __init__(self, partial: Exploration, cause: KeyboardInterrupt):
        super().__init__(str(cause))
        self.partial, self.cause = partial, cause


def interruption(exc: KeyboardInterrupt) -> str:
    """``"terminated"`` for SIGTERM (``simulations.cli.Terminated``), else ``"interrupted"``."""
    return "terminated" if type(exc).__name__ == "Terminated" else "interrupted"


class Growth:
    """Watches the states each breadth-first level adds and says once, early, when the growth per
    level predicts that the search will pass ``max_states`` (``hint(text)`` hears of it).

    The projection: a level's growth ratio falls by about the same step from level to level (the
    mean fall over the last three, at least ``MIN_FALL``) until the levels stop growing, and the
    levels after the widest one add about as many states as those before it (breadth-first level
    sizes of these models rise and fall roughly symmetrically). It is a rough estimate, within a
    factor of about 3 on the example scenarios; the hint is given only when two levels in a row
    project more than ``MARGIN`` × the bound, and never for a search under ``SMALL`` states.
    ``give_up``: once two levels in a row have projected past ``give_up`` × the bound, the search is
    given up as soon as it has visited ``FLOOR`` × the bound, even if a level in between projects
    less (the projection wavers by a few times from level to level; no search that completes on
    the examples projected past 1.5× the bound at any level)."""

    MIN_FALL: ClassVar[float] = 0.05
    MARGIN: ClassVar[float] = 1.25
    SMALL: ClassVar[int] = 1000
    # ``give_up`` waits for this share of the bound: the shallow violations a search finds on its way
    # (within about ten steps on the examples) are found before it stops.
    FLOOR: ClassVar[float] = 0.1

    def __init__(self, max_states: int, hint, give_up: float | None = None):
        self.max_states, self.hint, self.said = max_states, hint, hint is None
        self.over = 0  # levels in a row whose projection passed the bound
        self.give_up = give_up  # stop when two levels in a row project past give_up × the bound
        self.beyond = 0  # levels in a row whose projection passed that
        self.doomed: float | None = None  # the projection of the second of two such levels
        self.hopeless: float | None = None  # the projection that gave up, once it has
        self.peak = 0.0  # the largest projection met (give_up only): how near a search came to it

    @classmethod
    def projected(cls, levels: list) -> float | None:
        """The projected size of the whole search from its level sizes so far (None: too early,
        or the levels no longer grow)."""
        states = sum(levels)
        if len(levels) < 6 or states < cls.SMALL or min(levels[-5:]) == 0:
            return None
        ratios = [levels[i] / levels[i - 1] for i in range(len(levels) - 4, len(levels))]
        ratio, fall = ratios[-1], max((ratios[0] - ratios[-1]) / 3, cls.MIN_FALL)
        if ratio < 1:
            return None
        size, rise = levels[-1], 0.0
        while ratio - fall > 1:
            ratio -= fall
            size *= ratio
            rise += size
        return 2 * (states + rise)

    def level_done(self, levels: list, states: int) -> None:
        """``levels[d]``: the states first reached at depth d, the last one just complete;
        ``states``: all the states found so far."""
        if self.said and self.give_up is None:
            return
        total = self.projected(levels)
        if self.give_up is not None:
            self.peak = max(self.peak, total or 0.0)
            self.beyond = self.beyond + 1 if total is not None and total > self.give_up * self.max_states else 0
            if self.beyond >= 2 and self.doomed is None:
                self.doomed = total  # latched: a later level's rougher projection does not undo it
            if self.doomed is not None and states >= self.FLOOR * self.max_states:
                self.hopeless = self.doomed
        if self.said:
            return
        self.over = self.over + 1 if total is not None and total > self.MARGIN * self.max_states else 0
        if self.over < 2:
            return
        self.said = True
        self.hint(f"hint: at depth {len(levels) - 1} ({states:,} states so far, the last level "
                  f"{levels[-1] / levels[-2]:.2f}× the one before) the growth per level projects "
                  f"about {total:,.0f} states, past the --max-states bound of {self.max_states:,}: the "
                  "search will likely stop undecided; a smaller scenario (fewer sends, clients, "
                  "[explore].faults or max_disconnects, a max_timeouts budget) or --ample decides "
                  "sooner (README: Sizing a search)")


PROGRESS_EVERY = 4096


def sealer(keys, full_keys: bool, portable: bool = False):
    """What the visited set holds of a state: its key (``full_keys``), or a 64-bit fingerprint
    (``Node.fingerprint``: Python's ``hash`` over cached part hashes, the same in this process and
    those it forks; ``portable``: :func:`fingerprint`, the same in every process)."""
    if full_keys:
        return lambda node: node.key(keys)
    if portable:
        return lambda node: fingerprint(node.key(keys))
    return lambda node: node.fingerprint(keys)


def fingerprint(key: tuple) -> int:
    """A 64-bit fingerprint of a state key, the same in every process, whatever its hash seed.

    The key is pickled without a memo (identical bytes for equal keys, whatever objects they share)
    and hashed with BLAKE2b: Python's own ``hash`` of a string differs between processes.
    """
    buffer = _BUFFER
    buffer.seek(0)
    buffer.truncate()
    _PICKLER.dump(key)
    return int.from_bytes(blake2b(buffer.getvalue(), digest_size=8).digest(), "little")


_BUFFER = io.BytesIO()
_PICKLER = pickle.Pickler(_BUFFER, 5)
_PICKLER.fast = True  # no memo: the bytes depend on the values only, not on which objects they share


def collision_probability(states: int, transitions: int) -> float:
    """TLC's estimate of the chance that two distinct states shared a fingerprint, so that one was
    never explored: ``states × (transitions − states) / 2^64`` (each of the transitions that
    reached an already-seen fingerprint could have been a new state among ``states`` others)."""
    return states * max(transitions - states, 0) / 2.0 ** 64


def explore(scenario: Scenario, strategy: str | None = None, *, max_states: int = 1_000_000,
            reduction: bool = False, progress=None, full_keys: bool = False,
            ample: bool = False, frontier_objects: int | None = None, symmetry: bool = False,
            prune: bool = True, max_seconds: float | None = None, hint=None,
            sessions: bool | None = None, give_up: float | None = None) -> Exploration:
    """Breadth-first search of every interleaving; shortest counterexample per invariant.

    ``reduction``: sleep sets skip steps that an explored sibling path already took (every state is
    still visited, at its breadth-first depth: same verdicts, same shortest counterexamples).
    ``ample``: persistent sets also skip states (same verdicts; counterexamples may be longer).
    ``sessions`` (default: with ``reduction``): after the last scripted input, one session's steps at
    a time (``simulations.explore.sessions``): fewer states, the same verdicts and shortest
    counterexample lengths once complete; each reported counterexample leaves out the other sessions'
    steps that it does not need.

    The visited set holds 64-bit fingerprints of the canonical state keys (``full_keys``: the keys
    themselves, collision-free at a higher memory cost). Each visited state keeps only the index of
    its parent and the code of the step that reached it, for the counterexamples.
    ``progress(states, transitions, depth=, frontier=)``, when given, is called every
    ``PROGRESS_EVERY`` states (``depth``: the breadth-first level being expanded; ``frontier``: the
    states queued).
    ``symmetry``: interchangeable clients are keyed up to a renaming (states counted up to it;
    same verdicts and shortest counterexamples); it cannot be combined with sleep or ample sets,
    whose skipped steps name clients. ``prune=False`` keeps the checkers' entries of sends that can
    no longer change a verdict in the key (to test that leaving them out changes nothing).

    The search stops, incomplete, at once when a new state would pass ``max_states`` or when
    ``max_seconds`` have passed (``stopped_by`` says which); ``hint(text)`` hears, once, when the
    growth per level predicts the state bound (:class:`Growth`); ``give_up``: the search also stops,
    ``stopped_by = "projected"``, once two levels in a row project more than ``give_up`` × the bound
    and it has visited a tenth of the bound (``Growth.FLOOR``): the report's way to spend no minutes
    on a search that cannot finish. Ctrl-C or SIGTERM raise :class:`SearchInterrupted` with what was
    found so far."""
    if sessions is None:
        sessions = reduction
    if symmetry and (reduction or ample or sessions):
        raise InputError("--symmetry", None, "cannot be combined with --reduction or --ample (their "
                         "skipped steps name clients, which symmetry renames)")
    # The states are trees of containers without reference cycles, freed by reference counting:
    # the cyclic collector would only rescan the growing frontier (a quarter of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _explore(scenario, strategy, max_states, reduction, progress, full_keys, ample,
                        frontier_objects, symmetry, prune, max_seconds, hint, sessions, give_up)
    finally:
        if collecting:
            gc.enable()


def _explore(scenario, strategy, max_states, sleep, progress, full_keys, ample_sets,
             frontier_objects=None, symmetry=False, prune=True, max_seconds=None,
             hint=None, sessions=False, give_up=None) -> Exploration:
    model = Model(scenario, strategy, symmetry=symmetry, prune=prune)
    reduce = ample_sets and ample_applicable(model)
    sets: Any = SessionSets(model) if sessions and SessionSets.applies(model) else None
    start = time.perf_counter()
    keys = model.keys
    seal = sealer(keys, full_keys)
    root = model.initial()
    root_seal = seal(root)
    seen = {root_seal} if full_keys else FingerprintSet([root_seal])
    parents = array("q", [-1])  # state index -> its parent's index
    steps = array("i", [-1])  # state index -> the code of the step from its parent
    codes: dict = {}  # step -> code
    # (node, index, seal, only, after): ``only`` None expands the node; a set of step names
    # re-expands a state met again with a smaller sleep set, taking just the steps that slept there
    # before. ``after``: None before the last input (or without session sets); else ``(pre, base,
    # own)`` for the path that reached the state: the depth where the inputs ended, the depth less
    # the postponed steps of the sessions already blocked (sessions.py), and ``own`` None, or the
    # path's own sleep set for a state met again with a smaller ``base``, expanded again with it.
    # The queue packs its states once it is large (simulations/explore/store.py).
    queue = Frontier(Packer(root), hot=frontier_objects)
    queue.append((root, 0, root_seal, None, _entered(sets, root)))
    best: dict = {}  # seal -> the smallest ``base`` met (states after the last input)
    lengths: dict = {}  # invariant -> the length of its counterexample in ``paths``
    sleeping: dict = {}  # seal -> the state's sleep set (absent: empty)
    waiting: set = {root_seal} if sleep else set()  # seals queued and not yet expanded
    paths: dict[str, list] = {}
    transitions = 0
    max_depth = 0
    table: list = []  # code -> step
    levels = [1]  # depth -> states first reached at it
    growth = Growth(max_states, hint, give_up)
    deadline = None if max_seconds is None else start + max_seconds
    stopped_by = interrupted = None
    pops = 0
    try:
        while queue:
            node, index, sealed, only, after = queue.popleft()
            if node.depth > max_depth:  # every state of this depth is known: the level before is done
                max_depth = node.depth
                growth.level_done(levels[:max_depth + 1], len(seen))
                if growth.hopeless is not None:
                    stopped_by = "projected"
                    break
            pops += 1
            if deadline is not None and not pops % 256 and time.perf_counter() >= deadline:
                stopped_by = "max-seconds"
                break
            acts = model.actions(node)
            if after is not None:
                pre, base, own = after
                if own is not None and base > best[sealed]:
                    continue  # met since with a smaller base, expanded again with that
                acts, rank = sets.select(node, acts)
                counts = node.monitor.counts.copy()
            else:
                own = None
            if reduce:  # within the session's steps: the path keeps taking the sessions in turn
                acts = ample(model, node, acts)
            if sleep:
                if own is not None:
                    asleep = own
                else:
                    asleep = sleeping.get(sealed, NO_SLEEP)
                    if only is None:
                        waiting.discard(sealed)
                names = idents(node, acts, model.max_timeouts is not None)
                todo = [(a, n) for a, n in zip(acts, names)
                        if (n is None or n not in asleep) and (only is None or n in only)]
                done: list = []
            else:
                todo = [(a, None) for a in acts]
            for (action, name), child, broken in expand(model, node, todo):
                if sleep:  # the steps asleep after this one: those independent of it
                    child_sleep = frozenset([u for u in asleep if independent(u, name)]
                                            + [u for u in done if independent(u, name)])
                    if name is not None:
                        done.append(name)
                transitions += 1
                if after is None:
                    child_after = _entered(sets, child)
                elif sets.still_enabled(child, rank):
                    child_after = (pre, base + 1, None)
                else:  # the session has blocked: its steps since the inputs are postponed
                    child_after = (pre, pre, None)
                for inv in broken:
                    if after is not None and (not child.net.done or model.settling[inv] > counts[inv]):
                        length = base + 1  # raised by the step itself, in its session
                    else:
                        length = child.depth
                    if inv not in paths or length < lengths[inv]:
                        path = _path(parents, steps, table, index) + [action]
                        if length < child.depth:
                            path = project(model, sets, path, pre, rank)
                            assert len(path) == length, (inv, len(path), length)
                        paths[inv], lengths[inv] = path, length
                child_seal = seal(child)
                if child_seal in seen:
                    if child_after is not None and child_after[1] < best.get(child_seal, child_after[1] + 1):
                        # Met again with a smaller base: expanded again from this path, with its own
                        # sleep set (the steps asleep on it are covered by its own siblings).
                        best[child_seal] = child_after[1]
                        if sleep:
                            _shrink(sleeping, child_seal, child_sleep)
                        parents.append(index)
                        steps.append(_code(codes, table, action))
                        queue.append((child, len(parents) - 1, child_seal, None,
                                      (child_after[0], child_after[1], child_sleep if sleep else NO_SLEEP)))
                        continue
                    if sleep:
                        old = _shrink(sleeping, child_seal, child_sleep)
                        # Met again with fewer steps asleep: the steps that slept there and do not
                        # sleep now must be taken (Godefroid's rule for sleep sets with a visited set).
                        if old is not None and child_seal not in waiting:
                            parents.append(index)
                            steps.append(_code(codes, table, action))
                            queue.append((child, len(parents) - 1, child_seal, old - child_sleep,
                                          child_after))
                    continue
                if len(seen) >= max_states:  # stop now: what is queued would only be expanded
                    stopped_by = "max-states"
                    break
                seen.add(child_seal)
                while len(levels) <= child.depth:
                    levels.append(0)
                levels[child.depth] += 1
                if sleep:
                    waiting.add(child_seal)
                    if child_sleep:
                        sleeping[child_seal] = child_sleep
                if child_after is not None:
                    best[child_seal] = child_after[1]
                parents.append(index)
                steps.append(_code(codes, table, action))
                queue.append((child, len(parents) - 1, child_seal, None, child_after))
                if progress is not None and not len(seen) % PROGRESS_EVERY:
                    progress(len(seen), transitions, depth=max_depth, frontier=len(queue))
            if stopped_by is not None:
                break
    except KeyboardInterrupt as exc:
        interrupted, stopped_by = exc, interruption(exc)
    complete = stopped_by is None
    seconds = time.perf_counter() - start
    labels = {inv: (describe_path(model, paths[inv]) if inv in paths else None) for inv in INVARIANTS}
    result = Exploration(scenario.name, getattr(model.strategy_cls, "name", strategy), len(seen),
                         transitions, complete, seconds, labels, paths, max_depth)
    result.reduced = sleep
    result.sessions = sets is not None
    result.ample = reduce
    result.collision_probability = None if full_keys else collision_probability(len(seen), transitions)
    result.symmetry = model.groups
    result.max_timeouts = model.max_timeouts
    result.sometimes = set(root.monitor.sometimes)  # one set, shared by every cloned monitor
    result.stopped_by, result.levels, result.projected = stopped_by, levels, growth.hopeless
    result.peak_projection = growth.peak
    if interrupted is not None:
        raise SearchInterrupted(result, interrupted) from None
    return result


def _entered(sets, node) -> tuple | None:
    """``after`` (see ``_explore``) for a state reached by a step taken before the last input."""
    if sets is None or not sets.after_inputs(node):
        return None
    return (node.depth, node.depth, None)


def expand(model: Model, node: Node, todo: list):
    """Take each step of ``todo`` (items whose first element is the action) from ``node``; yield
    ``(item, child, broken)``, ``broken`` the invariants whose count that step raised. The last
    child reuses ``node`` (not needed again), so ``node`` must not be read after the last yield.
    The serial search and each worker of the parallel one (``parallel.py``) expand with it."""
    last = len(todo) - 1
    for i, item in enumerate(todo):
        # The counts are written by replacement (Monitor._violate): the same dict after the step
        # means no count rose, and ``before`` stays the state's own even when the node is reused.
        before = node.monitor.counts
        if i < last:
            child = model.step(node, item[0])
        else:  # the node is not needed again: its last successor reuses it
            node.depth += 1
            child = model.advance(node, item[0])
        after = child.monitor.counts
        yield item, child, (() if after is before else
                            [inv for inv in INVARIANTS if after[inv] > before[inv]])


def _shrink(sleeping: dict, seal, now: frozenset) -> frozenset | None:
    """A state met again with the steps ``now`` asleep keeps only the steps asleep on both paths;
    returns its sleep set before, if that lost a step (else None)."""
    old = sleeping.get(seal, NO_SLEEP)
    if not old or old <= now:
        return None
    if old & now:
        sleeping[seal] = old & now
    else:
        del sleeping[seal]
    return old


def _code(codes: dict, table: list, action: tuple) -> int:
    code = codes.get(action)
    if code is None:
        code = codes[action] = len(table)
        table.append(action)
    return code


def _path(parents, steps, table: list, index: int) -> list:
    out = []
    while parents[index] >= 0:
        out.append(table[steps[index]])
        index = parents[index]
    out.reverse()
    return out
