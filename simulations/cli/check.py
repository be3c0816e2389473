"""``ssesim check``: the CI gate — exploration plus seeded runs per scenario; exit 1 on any violation.

Exit 0: every invariant held and every required "sometimes" property was witnessed. Exit 1: a
violation (its shortest counterexample is printed, numbered) or a vacuous check ("VACUOUS: …").
Exit 2: bad input, or nothing to check (no message is ever sent: a pass would be vacuous). An
exploration stopped by ``--max-states`` leaves the invariants it did not see broken *undecided*: the
check fails on them (exit 1) unless ``--allow-bounded`` accepts the bound. ``--invariants`` and
``--ignore`` waive invariants (still checked and printed, not counted).
"""

from __future__ import annotations

from pathlib import Path

from model.errors import InputError
from model.invariants import INVARIANTS
from simulations.cli.common import (
    STRATEGY_HELP,
    add_frontier,
    add_quiet,
    add_strategy,
    add_waivers,
    add_workers,
    check_search,
    waivers,
)

DEFAULT_RUNS = 20
DEFAULT_MAX_STATES = 200_000


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="CI gate: exploration plus N seeded runs per scenario",
                       description="Check every SCENARIO (default: the built-in examples): a bounded "
                                   "exhaustive exploration (scenarios with scripted sends) and seeded "
                                   "runs 1..N. Exit 0 clean, 1 on a violation, an undecided "
                                   "invariant (a bound stopped the exploration; --allow-bounded "
                                   "accepts it) or a vacuous check, 2 on bad input or when there "
                                   "is nothing to check.")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="scenario TOML files (default: every built-in example scenario)")
    add_strategy(p, help=f"override every scenario's strategy: {STRATEGY_HELP}")
    p.add_argument("--runs", type=int, default=DEFAULT_RUNS, metavar="N",
                   help=f"seeded simulations per scenario, seeds 1..N (default {DEFAULT_RUNS})")
    p.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES, metavar="N",
                   help=f"exploration bound per scenario (default {DEFAULT_MAX_STATES}); an "
                        "exploration it stops leaves undecided the invariants it did not see broken, "
                        "and the check fails on them unless --allow-bounded")
    p.add_argument("--allow-bounded", action="store_true",
                   help="accept an exploration the bound stopped: its undecided invariants do not "
                        "fail the check (printed as bounded, skipped in JUnit)")
    add_waivers(p)
    p.add_argument("--counterexamples", metavar="DIR", type=Path,
                   help="write each explored counterexample into DIR (.json to replay with "
                        "`ssesim run FILE`, .mmd to draw); the output names the file to replay")
    p.add_argument("--reduction", action="store_true",
                   help="explore with sleep sets and session sets (same verdicts and shortest "
                        "counterexample lengths)")
    p.add_argument("--ample", action="store_true",
                   help="explore with ample sets (fewer states; counterexamples may be longer)")
    p.add_argument("--full-keys", action="store_true",
                   help="keep full state keys instead of 64-bit fingerprints (collision-free, more memory)")
    p.add_argument("--symmetry", action="store_true",
                   help="explore with client symmetry (interchangeable clients renamed; same verdicts "
                        "and shortest counterexamples; not with --reduction or --ample)")
    add_workers(p)
    add_frontier(p)
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML to FILE")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from simulations.explore.checking import check_scenario, report, write_junit
    from simulations.io.progress import Progress
    from simulations.io.scenario import builtin_scenarios, load_scenario
    if args.runs < 0:
        raise InputError("--runs", None, f"must be >= 0, got {args.runs}")
    check_search(args)
    paths = [Path(p) for p in args.scenarios] or builtin_scenarios()
    scenarios = [(p, load_scenario(p)) for p in paths]  # every file valid before any work
    for path, scenario in scenarios:
        why = nothing_to_check(scenario, args.runs)
        if why:
            raise InputError(str(path), None, f"nothing to check: {why}")
    waived = waivers(args)
    checks = []
    steps = sum(args.runs + bool(scenario.sends) for _, scenario in scenarios)
    with Progress("check", steps, "steps", quiet=args.quiet) as bar:
        for path, scenario in scenarios:
            c = check_scenario(path, scenario, args.strategy, args.runs, args.max_states,
                               args.reduction, progress=bar, full_keys=args.full_keys,
                               ample=args.ample, workers=args.workers,
                               frontier_objects=args.frontier_objects, symmetry=args.symmetry,
                               waived=waived, allow_bounded=args.allow_bounded,
                               hint=_hint(bar, scenario.name))
            if args.counterexamples is not None and c.exploration is not None:
                from simulations.explore.cxfiles import write
                c.replay = write(c.exploration, scenario, str(path), c.strategy, args.counterexamples,
                                 skip=c.waived)
            checks.append(c)
            with bar.aside():
                print(report(c), flush=True)
    if args.junit is not None:
        write_junit(checks, args.junit)
    from simulations.explore.checking import matrix
    print(matrix(checks))
    print(summary(checks) + (f"\njunit: {args.junit}" if args.junit is not None else ""))
    return 1 if any(c.failed for c in checks) else 0


def _hint(bar, name: str):
    """The early hint of a search bound to stop (``explorer.Growth``): one line on stderr."""
    def say(text: str) -> None:
        import sys
        with bar.aside():
            print(f"ssesim check: {name}: {text}", file=sys.stderr, flush=True)
    return say


def nothing_to_check(scenario, runs: int) -> str | None:
    """Why a check of ``scenario`` would look at nothing (a vacuous pass), or None."""
    if scenario.sends:
        return None  # explored, whatever --runs says
    if scenario.workload is None:
        return "no [[sends]] and no [workload]: no message is ever sent"
    if scenario.workload.count == 0:
        return "no [[sends]] and workload.count = 0: no message is ever sent"
    if runs == 0:
        return "no [[sends]] to explore and --runs 0: nothing is simulated"
    return None


def summary(checks) -> str:
    failed = [c for c in checks if c.failed]
    violations = sum(len(c.violated()) for c in checks)
    vacuous = sum(len(c.vacuous()) for c in checks)
    undecided = sum(len(c.undecided()) for c in checks)
    incomplete = [c.scenario for c in checks if c.complete is False]
    verdict = "FAILED" if failed else "passed"
    bounded = checks and checks[0].allow_bounded
    line = (f"check {verdict}: {len(checks)} scenarios, {len(failed)} failed | {violations} violated "
            f"invariants | {vacuous} vacuous | {undecided} undecided"
            f"{' (accepted: --allow-bounded)' if bounded and undecided else ''}"
            f" | {len(incomplete)} incomplete explorations")
    if incomplete:
        line += f" ({', '.join(incomplete)})"
    waived = sorted({i for c in checks for i in c.waived}, key=INVARIANTS.index)
    if waived:
        line += f" | waived: {', '.join(waived)}"
    return line
