"""What ``sweep --resume`` compares: the parts of a sweep its finished runs depend on.

``meta.json`` records, beside the sweep's fingerprint, a hash of each part — the base scenario, the
grid's cells, the strategies, the seeds — and of each plug-in strategy's source file. On resume
every part must be as it was, except the seeds, which may be extended (the runs of the new seeds are
added); anything else is refused with what differs, so that results of different code or another
grid are never mixed in one table.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json

from model.errors import InputError


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def plugin_hash(strategy: str) -> str | None:
    """A hash of a ``module:Class`` strategy's source file (None: a built-in, or no file found)."""
    if ":" not in strategy:
        return None
    module = strategy.partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    try:
        with open(spec.origin, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()[:16]
    except OSError:
        return None


def parts(sweep) -> dict:
    """The parts of ``sweep`` that ``--resume`` compares, as ``meta.json`` records them."""
    return {"base": _hash(sweep.base), "cells": [c.id for c in sweep.cells],
            "strategies": list(sweep.strategies), "seeds": list(sweep.seeds),
            "plugins": {s: plugin_hash(s) for s in sweep.strategies if ":" in s}}


def differences(old: dict, new: dict) -> list[str]:
    """What keeps a sweep recorded as ``old`` from being resumed as ``new`` (empty: it can be)."""
    out = []
    if old.get("base") != new["base"]:
        out.append("the base scenario or the [scenario] table changed")
    before, now = old.get("cells", []), new["cells"]
    if before != now:
        gone = [c for c in before if c not in now]
        added = [c for c in now if c not in before]
        what = "; ".join(part for part in (
            f"{len(gone)} cell(s) no longer in it ({', '.join(gone[:3])}{', …' if len(gone) > 3 else ''})"
            if gone else "",
            f"{len(added)} new ({', '.join(added[:3])}{', …' if len(added) > 3 else ''})" if added else "")
            if part) or "its cells are in another order"
        out.append(f"the grid changed: {what}")
    if old.get("strategies") != new["strategies"]:
        out.append(f"the strategies changed: {old.get('strategies')} then, {new['strategies']} now")
    seeds_then, seeds_now = old.get("seeds", []), new["seeds"]
    if seeds_then != seeds_now[:len(seeds_then)]:
        out.append(f"the seeds changed: {_seeds(seeds_then)} then, {_seeds(seeds_now)} now (more "
                   "seeds after the same ones extend a sweep; others do not)")
    for strategy, digest in new["plugins"].items():
        recorded = old.get("plugins", {}).get(strategy)
        if recorded != digest:
            out.append(f"plug-in {strategy} changed since its runs were made (source hash "
                       f"{recorded} then, {digest} now)")
    return out


def _seeds(seeds: list) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds[:6])) + (", …" if len(seeds) > 6 else "")


def check_resumable(out, meta: dict, sweep) -> None:
    """Refuse (``InputError``, one line) to resume ``sweep`` into ``out`` whose ``meta.json`` is ``meta``."""
    recorded = meta.get("parts")
    if recorded is None:  # written before the parts were recorded: the fingerprint decides
        if meta.get("fingerprint") != sweep.fingerprint():
            raise InputError(str(out), None, f"holds results of another sweep (or of {sweep.source} "
                                             "before it changed); choose another --out")
        return
    diffs = differences(recorded, parts(sweep))
    if diffs:
        raise InputError(str(out), None, f"cannot resume: {'; '.join(diffs)}; choose another --out")
