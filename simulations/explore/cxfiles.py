"""Counterexample files: one ``<scenario>.<strategy>.<invariant>.json`` (to replay with ``ssesim run``)
and ``.mmd`` (a Mermaid sequence diagram) per violated invariant of an exploration."""

from __future__ import annotations

import re
from pathlib import Path


def safe_name(text: str) -> str:
    """A file-name-safe form of a scenario or strategy name (``pkg.mod:Class`` → ``pkg.mod-Class``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def stem(scenario: str, strategy: str, invariant: str) -> str:
    """The file name, without its suffix, of one counterexample."""
    return f"{safe_name(scenario)}.{safe_name(strategy)}.{invariant}"


def write(result, scenario, scenario_path, strategy, folder: Path, option: str = "--counterexamples",
          skip: frozenset = frozenset()) -> dict:
    """Write every counterexample of ``result`` (an exploration) not in ``skip`` into ``folder``,
    atomically; return ``{invariant: path of its .json}``."""
    from simulations.explore import counterexample as cxm
    from simulations.explore.explorer import Model
    from simulations.io.files import atomic_write, make_folder
    make_folder(folder, option)
    model = Model(scenario, strategy)
    written = {}
    for cx in cxm.all_from_exploration(result, scenario_path, strategy or scenario.strategy):
        if cx.invariant in skip:
            continue
        name = stem(result.scenario, result.strategy, cx.invariant)
        cxm.save(cx, folder / f"{name}.json", option)
        atomic_write(folder / f"{name}.mmd", cxm.to_mermaid(cx, model), option)
        written[cx.invariant] = folder / f"{name}.json"
    return written
