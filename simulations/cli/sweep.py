"""``ssesim sweep``: run a sweep file's grid × strategies × seeds, then aggregate, plot and report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulations.cli.common import add_quiet, find_sweep, positive_int


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="parameter grid × seeds in parallel: tables, plots, report",
                       description="Run a sweep file (see simulations/sweeps/) and write runs.csv, "
                                   "summary tables, plots and a Markdown report into --out.")
    p.add_argument("sweep", metavar="SWEEP",
                   help="sweep file (TOML), or the name of a built-in sweep (e.g. default)")
    where = p.add_mutually_exclusive_group()  # a cluster's workers are the cluster's own
    where.add_argument("--workers", type=positive_int, default=None,
                       help="worker processes (default: the number of CPUs)")
    p.add_argument("--out", default=None, help="output folder (default: sweeps-out/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted sweep in --out: finished runs are kept")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask distributed scheduler (needs ssesim[dask])")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from simulations.io.progress import phase
    from simulations.io.sweep_file import load_sweep
    from simulations.report.sweep import finish_sweep
    from simulations.sweep.runner import run_sweep

    sweep = load_sweep(find_sweep(args.sweep, None))
    out = Path(args.out) if args.out else Path("sweeps-out") / sweep.name
    outcome = run_sweep(sweep, out, workers=args.workers, resume=args.resume,
                        scheduler=args.scheduler, quiet=args.quiet)
    with phase("sweep tables and plots", quiet=args.quiet):
        report = finish_sweep(out, args.workers)
    print(f"{sweep.name}: {outcome.total} runs ({outcome.skipped} already done, {outcome.ran} run "
          f"in {outcome.seconds:.1f} s), {outcome.failed} failed")
    print(f"results: {out / 'runs.csv'}; tables: {out / 'summary.md'}; report: {report}")
    if outcome.failed:
        for line in outcome.failures:
            print(f"failed run: {line}", file=sys.stderr)
        print(f"{outcome.failed} run(s) failed; see the error column of {out / 'runs.csv'} "
              "(--resume runs them again)", file=sys.stderr)
        return 1
    return 0
