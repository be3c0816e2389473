"""``ssesim diagram``: write the lifecycle chart, the seed's and the completed one, as Mermaid, DOT and PNG."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("diagram", help="lifecycle chart (seed's and completed) as Mermaid, DOT and PNG",
                       description="Write seed_flow.{mmd,dot,png} and, when the example scenarios "
                                   "show chart gaps, completed_flow.{mmd,dot,png}.")
    p.add_argument("--out", type=Path, default=Path("reports/diagrams"), metavar="DIR",
                   help="output folder, created if missing (default: reports/diagrams)")
    p.set_defaults(func=run)


def run(args) -> int:
    from simulations.report import diagrams

    for path in diagrams.write_diagrams(args.out, diagrams.current_gaps()):
        print(path)
    return 0
