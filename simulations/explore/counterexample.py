"""Counterexamples as data: an invariant, the scenario, the strategy and the schedule that breaks it.

A counterexample is the explorer's shortest path to a violation, kept as plain data so that it can be
printed as numbered steps a person can follow, drawn as a Mermaid ``sequenceDiagram`` (lanes User,
Client — one per client when there are several —, Network, Server), saved as JSON and replayed through
the explorer's ``Model``. The JSON form is::

    {"ssesim": "counterexample", "version": 1, "scenario": "<path>", "strategy": "seed",
     "invariant": "no-ghost", "steps": [["send", 0], ["arrive", 0, "ok"], ...], "labels": [...]}

The format is declared once, in ``simulations.io.schema.counterexample`` (``ssesim schema
counterexample``); loading validates every key against it, and a problem is an ``InputError`` naming
the file, the key and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import InputError
from model.invariants import INVARIANTS, Monitor
from simulations.io.schema.base import JSON, read_json, validate
from simulations.io.schema.counterexample import (  # noqa: F401 -- ARITY, FORMAT, VERSION: re-exported
    ARITY,
    FORMAT,
    VERSION,
    CounterexampleFile,
)

MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass
class Counterexample:
    """A schedule of model steps (explorer actions) that violates ``invariant``."""

    invariant: str
    scenario: str  # path of the scenario file, as given
    strategy: str
    steps: list[tuple]
    labels: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"ssesim": FORMAT, "version": VERSION, "scenario": self.scenario,
                "strategy": self.strategy, "invariant": self.invariant,
                "steps": [list(s) for s in self.steps], "labels": list(self.labels)}


def from_exploration(exploration, scenario_path: str | Path, invariant: str,
                     strategy: str | None = None) -> Counterexample:
    """The shortest counterexample the explorer found for ``invariant`` (KeyError if it found none).

    ``strategy`` is the name to replay with (a built-in or ``module:Class``); by default the
    exploration's, which for a plug-in is its display ``name`` and may not resolve."""
    steps = [tuple(a) for a in exploration.paths[invariant]]
    return Counterexample(invariant, portable_path(scenario_path), strategy or exploration.strategy,
                          steps, list(exploration.violations[invariant]))


def all_from_exploration(exploration, scenario_path: str | Path,
                         strategy: str | None = None) -> list[Counterexample]:
    """One counterexample per violated invariant, in the SPEC's invariant order."""
    return [from_exploration(exploration, scenario_path, inv, strategy) for inv in INVARIANTS
            if exploration.paths.get(inv)]


def portable_path(path: str | Path) -> str:
    """``path`` relative to the working folder when it lies below it, else absolute."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


# --- text ----------------------------------------------------------------------------------------
def format_steps(cx: Counterexample, indent: str = "  ") -> str:
    """The schedule as numbered lines, one step each, ending at the violating step."""
    width = len(str(len(cx.labels)))
    return "\n".join(f"{indent}{i:>{width}}. {label}" for i, label in enumerate(cx.labels, 1))


# --- JSON ----------------------------------------------------------------------------------------
def dumps(cx: Counterexample) -> str:
    """The JSON text, one step and one label a line (diffs and reviews read it step by step)."""
    lines = []
    for key, value in cx.to_json().items():
        if isinstance(value, list):
            items = ",\n".join(f"    {json.dumps(v)}" for v in value)
            lines.append(f"  {json.dumps(key)}: [\n{items}\n  ]" if value else f"  {json.dumps(key)}: []")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def save(cx: Counterexample, path: str | Path, option: str = "--counterexamples") -> None:
    """Write ``cx`` to ``path``, its scenario given relative to ``path``'s folder (so that the pair
    can be moved together and replayed from any working folder)."""
    import dataclasses
    import os

    from simulations.io.files import atomic_write
    scenario = Path(cx.scenario)
    if not scenario.is_absolute() or scenario.exists():
        scenario = Path(os.path.relpath(scenario.resolve(), Path(path).resolve().parent))
    atomic_write(Path(path), dumps(dataclasses.replace(cx, scenario=scenario.as_posix())), option)


def looks_like_counterexample(path: str | Path) -> bool:
    """True for a ``.json`` file, or a file whose text starts with ``{`` (TOML never does)."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return True
    try:
        with p.open("rb") as fh:
            return fh.read(256).lstrip()[:1] == b"{"
    except OSError:
        return False


def load(path: str | Path) -> Counterexample:
    """Read and validate a counterexample file; every problem is a one-line ``InputError``."""
    src = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(src, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(src, None, "is a directory, not a counterexample file") from None
    except OSError as exc:
        raise InputError(src, None, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(src, None, f"larger than {MAX_FILE_BYTES // 2**20} MiB; not a counterexample file")
    return parse(read_json(raw, src), src)


def parse(data, src: str = "<counterexample>") -> Counterexample:
    """A counterexample from its JSON value, validated against the declared format."""
    f = validate(CounterexampleFile, data, src, JSON)
    steps = [tuple(step) for step in f.steps]
    if f.labels and len(f.labels) != len(steps):
        raise InputError(src, "labels", f"has {len(f.labels)} entries for {len(steps)} steps")
    return Counterexample(f.invariant, f.scenario, f.strategy, steps, list(f.labels))


# --- replay --------------------------------------------------------------------------------------
def scenario_path(cx: Counterexample, cx_file: str | Path | None = None) -> Path:
    """The scenario file: relative to the counterexample file's folder (as ``save`` writes it),
    else as written (relative to the working folder, as files of earlier versions have it)."""
    p = Path(cx.scenario)
    if not p.is_absolute() and cx_file is not None:
        beside = Path(cx_file).parent / p
        if beside.exists() or not p.exists():
            return beside
    return p


def model_for(cx: Counterexample, cx_file: str | Path | None = None, strategy: str | None = None):
    """The explorer's ``Model`` of the counterexample's scenario and strategy (or ``strategy``)."""
    from model.plugins import resolve_strategy
    from simulations.explore.explorer import Model
    from simulations.io.scenario import load_scenario
    path = scenario_path(cx, cx_file)
    if not path.exists():
        raise InputError(str(cx_file or "<counterexample>"), "scenario", f"no such file {str(path)!r}")
    scenario = load_scenario(path)
    name = strategy or cx.strategy
    resolve_strategy(name, str(cx_file or "<counterexample>"), "strategy" if strategy is None
                     else "--strategy")
    return Model(scenario, name)


def replay_counterexample(cx: Counterexample, model=None, cx_file: str | Path | None = None) -> Monitor:
    """Replay the schedule (untimed) and return the checkers' state; ``InputError`` if a step is
    not enabled where the schedule takes it (the scenario or the strategy changed)."""
    from simulations.explore.explorer import replay
    model = model or model_for(cx, cx_file)
    try:
        node = replay(model, [tuple(s) for s in cx.steps])
    except ValueError as exc:
        index = _step_index(str(exc))
        key = f"steps[{index}]" if index is not None else "steps"
        raise InputError(str(cx_file or cx.scenario), key, f"cannot replay: {exc}") from None
    return node.monitor


def replay_prefix(model, steps: list[tuple], trace_path=None):
    """Replay as far as the schedule stays enabled: (final node, number of steps taken).

    With ``trace_path``, every observation is written there as a JSONL trace (``t`` counts steps),
    atomically: the file appears only when the replay finished.
    """
    from simulations.io.trace import traced
    monitor = Monitor()
    taken = len(steps)
    with traced(trace_path, monitor) as obs:
        node = model.initial(monitor, obs)
        for i, action in enumerate(steps):
            action = tuple(action)
            if action not in model.actions(node):
                taken = i
                break
            node.depth += 1  # in place: the replay keeps one node, and with it the trace writer
            model.advance(node, action)
    return node, taken


def replay_result(cx: Counterexample, model, node, taken: int):
    """The replayed checkers' verdicts as a ``RunResult`` (seed None: the replay is untimed, and
    times count steps)."""
    from model.outcome import RunResult
    monitor = node.monitor
    examples = {}
    for step, raised in enumerate(violating_steps(model, cx.steps[:taken]), 1):
        for inv in raised:
            if inv not in examples:  # "seq" becomes the step number: a replay has no trace
                examples[inv] = {**monitor.first.get(inv, {}), "seq": step, "t": float(step)}
    metrics = monitor.metrics()
    metrics.update(events=taken, end_time=float(node.depth), stuck=False)
    return RunResult(
        scenario=model.scenario.name, strategy=getattr(model.strategy_cls, "name", cx.strategy),
        seed=None, sends=monitor.sends, committed=monitor.committed, violations=dict(monitor.counts),
        chart_gaps=monitor.lifecycle.total, metrics=metrics, examples=examples,
        gaps=monitor.lifecycle.summary(), events=taken, sometimes=set(monitor.sometimes))


def _step_index(message: str) -> int | None:
    parts = message.split()
    if len(parts) > 1 and parts[0] == "step" and parts[1].isdigit():
        return int(parts[1]) - 1
    return None


def violating_steps(model, steps: list[tuple]) -> list[list[str]]:
    """For each step, the invariants whose count it raised (replaying the schedule)."""
    node = model.initial()
    out = []
    for action in steps:
        child = model.step(node, tuple(action))
        out.append([inv for inv in INVARIANTS if child.monitor.counts[inv] > node.monitor.counts[inv]])
        node = child
    return out


# --- Mermaid -------------------------------------------------------------------------------------
def to_mermaid(cx: Counterexample, model) -> str:
    """A ``sequenceDiagram`` of the schedule: one arrow per step, a note at each violation."""
    n_clients = len(model.scenario.clients)
    lanes = _lanes(model, cx.steps)
    client_ids = [f"C{c}" for c in range(n_clients)] if n_clients > 1 else ["C"]
    title = f"{cx.invariant}: {cx.strategy} on {Path(cx.scenario).name}"
    lines = ["---", f"title: {json.dumps(title)}", "---", "sequenceDiagram",
             "    participant U as User"]
    if n_clients > 1:
        lines += [f"    participant C{c} as Client {c}" for c in range(n_clients)]
    else:
        lines.append("    participant C as Client")
    lines += ["    participant N as Network", "    participant S as Server"]
    labels = cx.labels or [" ".join(map(str, s)) for s in cx.steps]
    for i, ((src, dst, arrow, client), label, broken) in enumerate(
            zip(lanes, labels, violating_steps(model, cx.steps)), 1):
        cid = client_ids[client] if client is not None else client_ids[0]
        src, dst = (cid if x == "C" else x for x in (src, dst))
        lines.append(f"    {src}{arrow}{dst}: {i}. {_esc(label)}")
        if broken:
            lines.append(f"    Note over {dst}: violates {_esc(', '.join(broken))}")
    return "\n".join(lines) + "\n"


# kind -> (from lane, to lane, arrow); "C" is the step's client.
_ARROWS = {
    "send": ("U", "C", "->>"), "arrive": ("N", "S", "->>"), "response": ("N", "C", "->>"),
    "timeout": ("N", "C", "--x"), "deliver": ("N", "C", "->>"), "drain": ("N", "C", "-->>"),
    "retry": ("C", "N", "->>"), "assistant": ("S", "S", "->>"), "reconnect": ("C", "S", "->>"),
    "refuse": ("S", "C", "--x"), "disconnect": ("N", "C", "--x"),
}


def _lanes(model, steps: list[tuple]) -> list[tuple]:
    """(from, to, arrow, client index or None) per step, by replaying: indices depend on the state."""
    node = model.initial()
    out = []
    for action in steps:
        action = tuple(action)
        kind = action[0]
        if kind == "send":
            client = model.sends[action[1]].client
        elif kind == "arrive":
            client = node.net.requests[action[1]].client
        elif kind == "response":
            client = node.net.responses[action[1]][0].client
        elif kind == "assistant":
            client = None
        else:
            client = action[1]
        out.append((*_ARROWS[kind], client))
        node = model.step(node, action)
    return out


def _esc(text: str) -> str:
    """Mermaid message text: ``;`` and ``#`` as entity codes (``;`` would end the statement)."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


_ENTITIES = {"#": "#35;", ";": "#59;", "\n": " "}


def describe_steps(model, steps: list[tuple]) -> list[str]:
    """Readable labels of ``steps`` under ``model`` (recomputed, so they follow the strategy)."""
    from simulations.explore.explorer import describe_path
    return describe_path(model, [tuple(s) for s in steps])
