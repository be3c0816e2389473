"""``ssesim browser``: a real client module in headless Chromium, checked like ``run`` (SPEC §6.1)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

CLIENT_HELP = "seed | reconciled | PATH.js (an ES module exporting mount(env); .ts with esbuild on PATH)"


def add_parser(sub) -> None:
    p = sub.add_parser("browser", help="the scenario with a real client module in headless Chromium",
                       description="Play SCENARIO with a client module (the seed's ChatManager, the "
                                   "reconciled design, or yours) in headless Chromium against the "
                                   "reference server, in the schedule's order (lockstep), or racing "
                                   "it in real time (--mode free, for rates with --runs); record the "
                                   "trace of `run --trace` and check it with the same checkers. "
                                   "Without SCENARIO: the race suite, every example scenario. Exit 0 "
                                   "clean, 1 an invariant broke, 2 bad input or no browser.")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO",
                   help="scenario TOML file, or a counterexample .json of `explore --counterexamples` "
                        "(its schedule is replayed); default: the race suite, every example")
    p.add_argument("--client", default="seed", metavar="MODULE", help=CLIENT_HELP + " (default seed)")
    p.add_argument("--mode", choices=("lockstep", "free"), default="lockstep",
                   help="lockstep (default; deterministic: the simulator's schedule) or free (real "
                        "timing, nothing waits for a real effect: the browser races the server; "
                        "nondeterministic, for rates with --runs)")
    p.add_argument("--time-scale", type=float, metavar="X",
                   help="free mode: wall seconds per scenario second (default 1; scripted latencies "
                        "and delays are waited for X times their length, on top of the real transit)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--runs", type=int, default=1, metavar="N",
                   help="runs per scenario, seeds SEED..SEED+N-1; N > 1 prints how often each "
                        "invariant broke, with a 95%% interval (default 1)")
    p.add_argument("--trace", metavar="FILE", help="write the (first run's) JSONL trace to FILE")
    p.add_argument("--json", action="store_true", help="print run's JSON object (the suite: a list)")
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML to FILE")
    p.add_argument("--headed", action="store_true", help="a visible browser window")
    p.add_argument("--patience", type=float, default=10.0, metavar="S",
                   help="longest wait for one real effect in the page or the server (default 10)")
    p.set_defaults(func=run)


def run(args) -> int:
    import asyncio

    from model.errors import InputError
    from simulations.browser.pool import require
    from simulations.browser.runner import load_module
    from simulations.io.scenario import builtin_scenarios, load_scenario

    if args.runs < 1:
        raise InputError("--runs", None, f"must be >= 1, got {args.runs}")
    if not args.patience > 0:
        raise InputError("--patience", None, f"must be > 0, got {args.patience:g}")
    if args.time_scale is not None and args.mode != "free":
        raise InputError("--time-scale", None, "only with --mode free (lockstep is unpaced)")
    if args.mode == "free":
        args.time_scale = 1.0 if args.time_scale is None else args.time_scale
        if not args.time_scale > 0:
            raise InputError("--time-scale", None, f"must be > 0 in a free run, got {args.time_scale:g}")
    else:
        args.time_scale = 0.0
    module = load_module(args.client)
    if args.scenario is not None:
        scenarios = [_scenario(args.scenario, load_scenario)]
        if scenarios[0][1] is not None and args.mode == "free":
            raise InputError("--mode", None, "a counterexample replays its schedule: lockstep only")
    else:
        if args.trace is not None:
            raise InputError("--trace", None, "needs a SCENARIO (the race suite writes no trace)")
        scenarios = [(load_scenario(p), None) for p in builtin_scenarios()]
    require()  # no browser: exit 2, before any work
    rows = asyncio.run(_play_all(scenarios, module, args))
    if args.junit is not None:
        from simulations.browser.suite import junit_xml
        from simulations.io.files import atomic_write, make_folder
        make_folder(args.junit.parent, "--junit")
        atomic_write(args.junit, junit_xml(rows, module.name), "--junit")
    _print(rows, module, args)
    if args.scenario is not None and rows[0].not_realizable:
        return 1  # not a pass, like a vacuous check
    return 1 if any(r.violated for r in rows) else 0


def _scenario(path: str, load_scenario):
    """(scenario, replay): a scenario file, or a counterexample's scenario and (steps, file)."""
    from simulations.explore import counterexample as cxm
    if cxm.looks_like_counterexample(path):
        cx = cxm.load(path)
        where = cxm.scenario_path(cx, path)
        if not where.exists():
            from model.errors import InputError
            raise InputError(path, "scenario", f"no such file {str(where)!r}")
        return load_scenario(where), (cx.steps, path)
    return load_scenario(path), None


async def _play_all(scenarios, module, args):
    from simulations.browser.pool import Pool
    from simulations.browser.suite import play
    from simulations.live.conductor import Limits

    pool = await Pool(args.headed).start()
    rows = []
    try:
        for scenario, replay in scenarios:
            rows.append(await play(scenario, module, pool, runs=1 if replay else args.runs,
                                   seed=args.seed, trace_path=args.trace,
                                   limits=Limits(patience=args.patience), replay=replay,
                                   time_scale=args.time_scale))
    finally:
        await pool.stop()
    return rows


def _print(rows, module, args) -> None:
    from simulations.browser.suite import rates, table
    from simulations.cli.run import summary

    if args.json:
        out = [dict(r.result.to_json(), browser=r.to_json()) if r.result is not None
               else {"scenario": r.scenario, "browser": r.to_json()} for r in rows]
        print(json.dumps(out[0] if args.scenario is not None else out, indent=2))
        return
    if args.scenario is None:
        print(table(rows, module.name, args.mode))
        return
    (row,) = rows
    for warning in row.result.warnings if row.result is not None else ():
        print(f"ssesim browser: warning: {warning}", file=sys.stderr)
    if row.not_realizable:
        print(f"scenario {row.scenario} | client {module.name}: not realizable: {row.not_realizable}")
        print("ssesim browser: not realizable is not a pass", file=sys.stderr)
        return
    print(summary(row.result))
    live = row.result.live
    mode = "lockstep" if args.mode == "lockstep" else f"free (time scale {args.time_scale:g})"
    print(f"browser: {mode}, client module {module.name}, Chromium | {live['wall_seconds']:.2f}s wall, "
          f"{live['steps']} steps")
    if args.runs > 1:
        print(rates(row))
