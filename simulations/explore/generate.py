"""``python -m simulations.explore.generate [--check]``: write the generated modules of derived copy
and key functions (``model/derived.py``, ``model/checkers/derived.py``,
``simulations/explore/derived.py``; ``model.explored.write_module``), so that the compiled build
compiles them (README: A compiled build). ``--check``: write nothing, exit 1 if one is out of date.

Every built-in explored class is derived on import; the attempt's key has one variant per
``Keys(attempt_number=...)``, so both are made here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import simulations.explore.transitions  # noqa: F401 - imports (and so derives) every built-in part
from model.explored import GENERATED, write_module
from model.world_state import Keys

ROOT = Path(__file__).resolve().parents[2]


def modules() -> dict[Path, str]:
    """Each generated module's path and the source it should hold."""
    for attempt_number in (True, False):
        Keys(attempt_number=attempt_number)
    return {ROOT / package.replace(".", "/") / "derived.py": write_module(package) for package in GENERATED}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.explore.generate")
    p.add_argument("--check", action="store_true", help="exit 1 if a generated module is out of date")
    args = p.parse_args(argv)
    stale = []
    for path, text in modules().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            tmp = path.with_suffix(".py.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(ROOT)}", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
