"""``ssesim report``: the main job on built-in defaults, written as one Markdown report (README.md)."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="diagrams, checks and sweeps on built-in defaults, one report",
                       description="Write OUT/README.md with its figures under OUT.")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="output folder, created if missing (default: reports)")
    p.set_defaults(func=run)


def run(args) -> int:
    from simulations import diagrams
    from simulations.report import build_report, lifecycle_section

    # Each section is (title, markdown) and writes its own files under args.out first.
    sections = [lifecycle_section(args.out, diagrams.current_gaps())]
    print(build_report(args.out, sections))
    return 0
