"""``ssesim run``: one simulation of a scenario, printed as a summary or as the SPEC §6 JSON object."""

from __future__ import annotations

import json
import sys
import threading

from model.invariants import INVARIANTS
from model.outcome import RunResult
from simulations.cli.common import add_check, add_quiet, add_strategy, check_exit, check_strategy
from simulations.engine.simulator import simulate
from simulations.io.progress import Progress
from simulations.io.scenario import load_scenario


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="one simulation; summary or --json; optional JSONL trace",
                       description="Run one seeded simulation of SCENARIO (a TOML file), or replay a "
                                   "counterexample file (JSON, from `ssesim explore "
                                   "--counterexamples`) through the explorer's model.")
    p.add_argument("scenario", metavar="SCENARIO",
                   help="scenario TOML file, or a counterexample .json file to replay")
    add_strategy(p)
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--trace", metavar="FILE",
                   help="write the JSONL trace of every event to FILE (folders created as needed)")
    p.add_argument("--json", action="store_true", help="print the SPEC §6 JSON object")
    add_check(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from simulations.explore.counterexample import looks_like_counterexample
    check_strategy(args.strategy)
    if looks_like_counterexample(args.scenario):
        return run_counterexample(args)
    scenario = load_scenario(args.scenario)
    with RunProgress(quiet=args.quiet) as progress:
        result = simulate(scenario, strategy=args.strategy, seed=args.seed, trace_path=args.trace,
                          on_start=progress.watch)
    for warning in result.warnings:
        print(f"ssesim run: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(summary(result))
    return check_exit(args, result, "ssesim run")


def run_counterexample(args) -> int:
    """Replay a counterexample's schedule (untimed) and print the replayed verdicts like a run."""
    from model.errors import InputError
    from simulations.explore import counterexample as cxm
    path = args.scenario
    if args.seed is not None:
        raise InputError(path, "--seed", "has no meaning for a counterexample replay (untimed, "
                                         "fixed schedule)")
    cx = cxm.load(path)
    model = cxm.model_for(cx, path, args.strategy)
    if args.strategy is None:
        cxm.replay_counterexample(cx, model, path)  # a step not enabled is bad input (exit 2)
    node, taken = cxm.replay_prefix(model, cx.steps, args.trace)
    result = cxm.replay_result(cx, model, node, taken)
    reproduced = result.violations[cx.invariant] > 0
    if taken < len(cx.steps):
        print(f"ssesim run: warning: {path}: step {taken + 1} {list(cx.steps[taken])} is not enabled under "
              f"{result.strategy}; replayed the first {taken} steps", file=sys.stderr)
    if not reproduced:
        print(f"ssesim run: warning: {path}: the replay does not violate {cx.invariant}", file=sys.stderr)
    if args.json:
        obj = result.to_json()
        obj.update(counterexample=path, invariant=cx.invariant, steps=taken, reproduced=reproduced)
        print(json.dumps(obj, indent=2))
        return check_exit(args, result, "ssesim run")
    lines = [line.replace("(trace record ", "(step ") if (line.split() or [""])[0] in INVARIANTS
             else line.replace("trace record", "observation") for line in summary(result).splitlines()]
    lines[0] = (f"scenario {result.scenario} | strategy {result.strategy} | counterexample {path} "
                f"(untimed replay: t counts steps)")
    labels = cxm.describe_steps(model, cx.steps[:taken])
    print(f"replaying {taken} steps of the {cx.invariant} counterexample:")
    print("\n".join(f"  {i:>{len(str(taken))}}. {label}" for i, label in enumerate(labels, 1)))
    print(f"{cx.invariant}: {'reproduced' if reproduced else 'NOT reproduced'}")
    print("\n".join(lines))
    return check_exit(args, result, "ssesim run")


def summary(r: RunResult) -> str:
    m = r.metrics
    ct = m["confirm_time"]
    lines = [
        f"scenario {r.scenario} | strategy {r.strategy} | seed {r.seed}",
        (f"sends {r.sends} | committed {r.committed} | posts {m['posts']} | errors shown "
         f"{m['errors_shown']} | unconfirmed {m['unconfirmed']} | events {m['events']} | "
         f"ended at t={m['end_time']:g}s"),
        f"violations ({r.total_violations} in all):",
    ]
    for inv in INVARIANTS:
        n = r.violations[inv]
        line = f"  {inv:<15} {n:>6}"
        ex = r.examples.get(inv)
        if ex:
            line += f"   first at t={ex['t']:g}s (trace record {ex['seq']}): {ex['detail']}"
        lines.append(line)
    lines.append(f"chart gaps: {r.chart_gaps}")
    for g in r.gaps:
        ex = g["example"]
        lines.append(f"  {g['from']} --[{g['event']}]--> {g['to']}  x{g['count']}   "
                     f"first: send {ex['send']} at t={ex['t']:g}s (trace record {ex['seq']})")
    p50 = "-" if ct["p50"] is None else f"{ct['p50']:.3f}s"
    p99 = "-" if ct["p99"] is None else f"{ct['p99']:.3f}s"
    conv = "-" if m["convergence_time"] is None else f"{m['convergence_time']:.3f}s"
    lines.append(f"time to confirm p50 {p50} p99 {p99} (n={ct['count']}) | flicker {m['flicker_count']} "
                 f"({m['flicker_time']:.3f}s) | view differs {m['diverged_time']:.3f}s | re-renders/send "
                 f"{m['rerenders_per_send']:.2f} | SSE {m['sse_bytes']} bytes in {m['sse_events']} events"
                 f" | converged {conv} after the last send")
    return "\n".join(lines)


class RunProgress:
    """Progress of one simulation (its inputs, sends and scripted events, handled so far), polled
    from a thread: the simulator's loop stays as it is."""

    POLL = 0.25  # seconds between looks at the running simulator

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.stop = threading.Event()
        self.thread = None

    def watch(self, sim) -> None:
        """``simulate``'s ``on_start`` hook: start watching ``sim``."""
        if self.quiet:
            return
        self.thread = threading.Thread(target=self._poll, args=(sim,), daemon=True,
                                       name="ssesim-run-progress")
        self.thread.start()

    def _poll(self, sim) -> None:
        total = sim.inputs
        with Progress("run", total, "inputs") as bar:
            while not self.stop.wait(self.POLL):
                bar.set(total - sim.inputs)
            bar.set(total - sim.inputs)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
