"""Load and validate sweep files (TOML): a base scenario, grids of scenario keys, strategies, seeds.

A sweep file::

    name = "faults"                        # required; a slug: it names the default output folder
    description = "..."                    # optional
    base = "../scenarios/realistic.toml"   # optional, relative to the sweep file
    strategies = ["seed", "reconciled"]    # required, built-in names or module:Class
    seeds = 10                             # seeds seed_start .. seed_start+9 (or a list of ints)
    seed_start = 1                         # optional, default 1

    [scenario]                             # optional inline scenario, merged over `base`
    workload.count = 30

    [grid]                                 # one study: the product of its lists
    "post.faults.response_lost" = [0.0, 0.05]
    sse.disconnect_rate = [0.0, 0.02]      # unquoted dotted keys work too

    [grids.history]                        # more studies, each its own product
    workload.count = [10, 50]
    sse.payload = ["snapshot", "delta"]

The cells of a sweep are the studies' products, in file order. The format is declared once, in
``simulations.io.schema.sweep`` (``ssesim schema sweep``). Every cell is merged into the base and
validated with ``parse_scenario`` when the file is loaded, before any run starts; a problem is an
``InputError`` naming the sweep file (or the base file), the key and the problem.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.errors import InputError
from model.plugins import resolve_strategy
from simulations.io.scenario import parse_scenario, read_toml
from simulations.io.schema import sweep as declared
from simulations.io.schema.base import one_line, validate

BUILTIN_SWEEPS = Path(__file__).resolve().parent.parent / "sweeps"


@dataclass(frozen=True)
class Cell:
    """One grid point: the study it belongs to and the scenario keys it sets."""

    study: str
    params: tuple[tuple[str, Any], ...]

    @property
    def id(self) -> str:
        """A stable, readable identifier: ``study|key=value|...`` (values as compact JSON)."""
        parts = [f"{k}={_compact(v)}" for k, v in self.params]
        return "|".join([self.study, *parts])

    @property
    def label(self) -> str:
        """The cell's parameters for people: ``key=value, ...`` (or ``base`` when none)."""
        return ", ".join(f"{k}={_plain(v)}" for k, v in self.params) or "base"


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: everything needed to enumerate and run its runs."""

    name: str
    description: str
    source: str
    base: dict
    studies: tuple[tuple[str, tuple[tuple[str, tuple], ...]], ...]
    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    cells: tuple[Cell, ...]

    @property
    def grid_keys(self) -> tuple[str, ...]:
        """Every scenario key any study varies, in first-seen order."""
        seen: dict[str, None] = {}
        for _, axes in self.studies:
            for key, _ in axes:
                seen.setdefault(key, None)
        return tuple(seen)

    @property
    def run_count(self) -> int:
        return len(self.cells) * len(self.strategies) * len(self.seeds)

    def scenario_data(self, cell: Cell) -> dict:
        """The raw scenario table of ``cell``: a copy of the base with the cell's keys set."""
        return cell_data(self.base, cell, self.source)

    def fingerprint(self) -> str:
        """A hash of what the runs depend on, so ``--resume`` can refuse a changed sweep."""
        blob = json.dumps([self.base, [c.id for c in self.cells], self.strategies, self.seeds],
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        return {"name": self.name, "description": self.description, "source": self.source,
                "grid_keys": list(self.grid_keys),
                "studies": {s: {k: list(v) for k, v in axes} for s, axes in self.studies},
                "strategies": list(self.strategies), "seeds": list(self.seeds),
                "cells": [{"id": c.id, "study": c.study, "params": dict(c.params)}
                          for c in self.cells]}


def load_sweep(path: str | Path, parse: Callable | None = None) -> Sweep:
    """Read, validate and expand a sweep file; ``parse`` validates scenarios (default: the real one)."""
    path = Path(path)
    data = read_toml(path, "sweep file")
    return parse_sweep(data, str(path), path.parent, parse)


def parse_sweep(data: dict, source: str, base_dir: Path, parse: Callable | None = None) -> Sweep:
    """Validate a raw sweep table (see the module docstring); raise InputError on the first problem."""
    real_parse = parse is None
    if real_parse:
        parse = parse_scenario
    f = validate(declared.SweepFile, data, source)
    if ".." in f.name:  # the name names the default output folder: never a path
        raise InputError(source, "name", f"must be a slug (no '..'), got {f.name!r}")
    base, base_source = _base(f, data, source, base_dir)
    studies = _studies(f, source)
    strategies = _strategies(f, source)
    if real_parse:
        parse = _with_option_keys(parse, strategies, source)
    seeds = _seeds(f, data, source)
    _check_size(studies, strategies, seeds, source)
    cells = tuple(Cell(study, tuple(zip([k for k, _ in axes], values)))
                  for study, axes in studies
                  for values in itertools.product(*[vals for _, vals in axes]))
    sweep = Sweep(f.name, f.description, source, base, studies, strategies, seeds, cells)
    _validate_cells(sweep, base_source, parse)
    return sweep


def cell_data(base: dict, cell: Cell, source: str) -> dict:
    """A deep copy of ``base`` with each of the cell's dotted keys set to its value."""
    data = copy.deepcopy(base)
    for key, value in cell.params:
        table, parts = data, key.split(".")
        for i, part in enumerate(parts[:-1]):
            node = table.setdefault(part, {})
            if not isinstance(node, dict):
                prefix = ".".join(parts[: i + 1])
                raise InputError(source, one_line(f"grid.{key}"),
                                 one_line(f"{prefix} is not a table in the base scenario"))
            table = node
        table[parts[-1]] = copy.deepcopy(value)
    return data


def _base(f, data: dict, source: str, base_dir: Path) -> tuple[dict, str]:
    """The base scenario table: ``base`` file, with the inline ``[scenario]`` merged over it."""
    base, base_source = {}, source
    if f.base is not None:
        base_path = base_dir / f.base
        if not base_path.is_file():
            raise InputError(source, "base", f"no such scenario file: {one_line(str(base_path))}")
        base, base_source = read_toml(base_path, "scenario file"), str(base_path)
    if f.scenario is not None:
        base = _merge(base, data["scenario"])
        base_source = source if f.base is None else f"{base_source} + {source} [scenario]"
    return base, base_source


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _studies(f, source: str) -> tuple:
    """``[grid]`` (study "main") then each ``[grids.NAME]``; no grid at all is one base cell."""
    raw: list[tuple[str, str, Any]] = []
    if f.grid is not None:
        raw.append(("main", "grid", f.grid))
    if f.grids is not None:
        raw.extend((name, f"grids.{name}", table) for name, table in f.grids.items())
    if not raw:
        return (("main", ()),)
    return tuple((name, tuple((key, tuple(values)) for key, values in _flatten(table)))
                 for name, _where, table in raw)


def _flatten(table: dict, prefix: str = ""):
    """(dotted key, list of values) pairs: nested tables are walked until a list is found."""
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _strategies(f, source: str) -> tuple[str, ...]:
    for item in f.strategies:
        _check_strategy(item, source)
    if len(set(f.strategies)) != len(f.strategies):
        raise InputError(source, "strategies", "lists a strategy twice")
    return tuple(f.strategies)


def _with_option_keys(parse: Callable, strategies, source: str) -> Callable:
    """The scenario parser, accepting the ``[strategy_options]`` keys the sweep's strategies declare."""
    keys = {k for name in strategies for k in resolve_strategy(name, source, "strategies").option_keys}
    return lambda data, where: parse(data, where, keys)


def _check_strategy(name: str, source: str) -> None:
    resolve_strategy(name, source, "strategies")


def _seeds(f, data: dict, source: str) -> tuple[int, ...]:
    if isinstance(f.seeds, list):
        if "seed_start" in data:
            raise InputError(source, "seed_start", "only applies when seeds is a count")
        if len(set(f.seeds)) != len(f.seeds):
            raise InputError(source, "seeds", "lists a seed twice")
        return tuple(f.seeds)
    return tuple(range(f.seed_start, f.seed_start + f.seeds))


def _check_size(studies, strategies, seeds, source: str) -> None:
    """Refuse a sweep of more than MAX_RUNS runs before its cells are enumerated."""
    cells = sum(math.prod(len(values) for _, values in axes) for _, axes in studies)
    runs = cells * len(strategies) * len(seeds)
    if runs > declared.MAX_RUNS:
        raise InputError(source, "grid" if cells > 1 else "seeds",
                         f"{cells} cell(s) x {len(strategies)} strategies x {len(seeds)} seeds is "
                         f"{runs} runs, above the {declared.MAX_RUNS} a sweep may have")


def _validate_cells(sweep: Sweep, base_source: str, parse: Callable) -> None:
    """Parse every cell's scenario now, so a bad grid point fails before any run starts."""
    try:
        parse(sweep.base, base_source)
    except InputError as exc:
        if not sweep.grid_keys or not _touches(exc.key, sweep.grid_keys):
            raise
    for cell in sweep.cells:
        data = sweep.scenario_data(cell)
        try:
            parse(data, base_source)
        except InputError as exc:
            key = next((k for k, _ in cell.params if _touches(exc.key, (k,))), None)
            if key is None:
                raise
            study = "grid" if cell.study == "main" else f"grids.{cell.study}"
            raise InputError(sweep.source, one_line(f"{study}.{key}"),
                             one_line(f"at {cell.label}: {exc.key}: {exc.problem}")) from None


def _touches(key: str | None, grid_keys) -> bool:
    """Whether an error at scenario ``key`` can come from a swept key (same path or nested)."""
    if not key:
        return False
    return any(key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in grid_keys)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else _compact(value)


def resolve_sweep_path(name: str) -> Path:
    """A path as given, or a built-in sweep's file when ``name`` names one (``default``)."""
    path = Path(name)
    if path.exists() or path.suffix:
        return path
    builtin = BUILTIN_SWEEPS / f"{name}.toml"
    if builtin.exists():
        return builtin
    return path
