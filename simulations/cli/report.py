"""``ssesim report``: the main job on built-in defaults — diagrams, check verdicts, the default sweep.

Writes OUT/README.md (Markdown) and OUT/index.html (standalone, images embedded). ``--quick``
writes the same sections with every exploration capped low, fewer seeded runs and the quick sweep.
Each phase is announced on stderr, with its progress (simulations.io.progress); stdout holds only
the two paths.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from model.errors import InputError
from simulations.cli.common import add_quiet, find_sweep, positive_int
from simulations.report import (
    QUICK_MAX_STATES,
    QUICK_RUNS,
    QUICK_SWEEP,
    REPORT_MAX_STATES,
    REPORT_RUNS,
)

REPORT_TITLE = "ssesim report: is the POST + SSE design race-free?"


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="diagrams, checks and sweeps on built-in defaults, one report",
                       description="Write OUT/README.md and OUT/index.html with figures under OUT.")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="output folder, created if missing (default: reports)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="worker processes (default: one per CPU)")
    p.add_argument("--sweep", default=None, metavar="NAME",
                   help=f"built-in sweep to run (default: default; with --quick: {QUICK_SWEEP})")
    p.add_argument("--runs", type=int, default=None, metavar="N",
                   help=f"seeded runs per scenario and strategy (default {REPORT_RUNS}; with "
                        f"--quick: {QUICK_RUNS})")
    p.add_argument("--max-states", type=int, default=None, metavar="N",
                   help=f"exploration bound per scenario and strategy (default {REPORT_MAX_STATES:,};"
                        f" with --quick: {QUICK_MAX_STATES:,})")
    p.add_argument("--quick", action="store_true",
                   help="the same sections in a fraction of the time: explorations capped at "
                        f"{QUICK_MAX_STATES:,} states, {QUICK_RUNS} seeded runs, the {QUICK_SWEEP} "
                        "sweep (each unless given)")
    add_quiet(p)
    p.add_argument("--live", action="store_true",
                   help="add the Model vs wire table: every example also run over real HTTP + SSE")
    p.add_argument("--browser", action="store_true",
                   help="add the Model vs browser table: every example with the built-in client "
                        "modules in headless Chromium (needs Playwright and Chromium)")
    p.set_defaults(func=run)


def settings(args) -> tuple[str, int, int]:
    """(sweep, runs, max_states): each as given, else the --quick or the full report's default."""
    quick = args.quick
    sweep = args.sweep if args.sweep is not None else (QUICK_SWEEP if quick else "default")
    runs = args.runs if args.runs is not None else (QUICK_RUNS if quick else REPORT_RUNS)
    bound = args.max_states if args.max_states is not None else (
        QUICK_MAX_STATES if quick else REPORT_MAX_STATES)
    return sweep, runs, bound


def run(args) -> int:
    from simulations.io.files import make_folder
    from simulations.io.progress import Progress, phase
    from simulations.io.sweep_file import load_sweep
    from simulations.report import diagrams
    from simulations.report.build import build_report, lifecycle_section
    from simulations.report.check import all_verdicts, check_section
    from simulations.report.html_page import write_html
    from simulations.report.story import story_sections
    from simulations.report.sweep import default_sweep_section

    sweep, runs, max_states = settings(args)
    for option, value, least in (("--runs", runs, 0), ("--max-states", max_states, 1)):
        if value < least:
            raise InputError(option, None, f"must be >= {least}, got {value}")
    load_sweep(find_sweep(sweep, "--sweep"))  # a bad sweep fails before any work or folder
    if args.browser:
        from simulations.browser.pool import require
        require()  # no browser: exit 2 before any work
    make_folder(args.out)
    start = time.perf_counter()
    phases = 4 + bool(args.live) + bool(args.browser)
    steps = iter(range(1, phases + 1))

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"[report] {next(steps)}/{phases} {msg}", file=sys.stderr, flush=True)

    say("lifecycle chart and chart gaps")
    with phase("report lifecycle", quiet=args.quiet):
        sections = [lifecycle_section(args.out, diagrams.current_gaps())]
    say(f"check verdicts: exploration (at most {max_states:,} states) + {runs} seeded runs of every "
        "example scenario x strategy")
    verdicts = all_verdicts(runs=runs, max_states=max_states, workers=args.workers, quiet=args.quiet)
    sections.append(check_section(verdicts, runs, max_states))
    say(f"sweep {sweep}")
    sections.append(default_sweep_section(args.out, sweep=sweep, workers=args.workers,
                                          quiet=args.quiet))
    if args.live:
        from model.strategies import BUILTIN
        from simulations.io.scenario import builtin_scenarios
        from simulations.report.live import live_section, model_vs_wire
        say("model vs wire: every example scenario x strategy, live against the reference server")
        total = len(builtin_scenarios()) * len(BUILTIN)
        with Progress("report live", total, "runs", quiet=args.quiet) as bar:
            sections.append(live_section(model_vs_wire(progress=bar)))
    if args.browser:
        from simulations.report.browser import browser_section, model_vs_browser
        say("model vs browser: every example scenario x client module, in headless Chromium")
        with phase("report browser", quiet=args.quiet):
            sections.append(browser_section(model_vs_browser()))
    say("summary, Markdown and HTML")
    with phase("report writing", quiet=args.quiet):
        sections[:0] = story_sections(verdicts, args.out / "sweep")  # the summary goes first
        intro = ("Generated by `ssesim report` on the built-in defaults; every number below was "
                 "computed by this run (seeds are given with each table). Regenerate with "
                 "`ssesim report --out DIR`.")
        readme = build_report(args.out, sections, title=REPORT_TITLE, intro=intro)
        html = write_html(readme, args.out / "index.html")
    if not args.quiet:
        print(f"[report] done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(readme)
    print(html)
    return 0
