"""``python -m simulations.bench``: ssesim against its SimPy and bare-loop twins, as a table or JSON.

Sections: (a–c) DES throughput on the realistic workload — ssesim's ``simulate`` with all
checkers, ssesim with a no-op observer instead (model and engine alone: the floor), the SimPy
twin, the bare heapq loop — interleaved, median of the repeats;
(d) history scaling — ssesim's per-event cost with snapshot payloads at growing
conversation lengths; (e) explorer throughput, through ``explorer_hook``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from simulations.bench.explorer_hook import explorer_figures
from simulations.bench.runner import (
    REALISTIC,
    history_scaling,
    interleaved,
    ssesim_floor_runner,
    ssesim_runner,
    twin_model_steps,
    twin_runners,
)

LENGTHS = [100, 1000, 10000]
SSESIM, FLOOR = "ssesim (all checkers)", "ssesim (no checkers)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulations.bench", description=__doc__)
    parser.add_argument(
        "--repeat", type=int, default=None, help="repeats per figure (default 5; 3 with --quick)"
    )
    parser.add_argument(
        "--seeds", type=int, default=None, help="seeds 1..K per repeat (default 3; 1 with --quick)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats, seeds and a shorter scaling stretch"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--scenario", type=Path, default=REALISTIC, help="workload scenario (default: realistic)"
    )
    parser.add_argument(
        "--lengths",
        type=int,
        nargs="*",
        default=None,
        help="history lengths (default 100 1000 10000)",
    )
    parser.add_argument(
        "--stretch",
        type=int,
        default=None,
        help="sends timed past each length (default 1000; 200 with --quick)",
    )
    parser.add_argument(
        "--no-scaling", action="store_true", help="skip the history scaling section"
    )
    parser.add_argument(
        "--wall", action="store_true", help="time with the wall clock, not this process's CPU time"
    )
    parser.add_argument("--no-explorer", action="store_true", help="skip the explorer section")
    return parser


def measure(args: argparse.Namespace) -> dict:
    """Run every section the arguments ask for; return the figures as a JSON-ready dict."""
    repeat = args.repeat or (3 if args.quick else 5)
    seeds = list(range(1, (args.seeds or (1 if args.quick else 3)) + 1))
    clock = time.perf_counter if args.wall else time.process_time
    out: dict = {"scenario": str(args.scenario), "seeds": seeds, "repeat": repeat}
    out["clock"] = "wall" if args.wall else "cpu"

    runners = {SSESIM: ssesim_runner(args.scenario), FLOOR: ssesim_floor_runner(args.scenario)}
    runners.update(twin_runners(args.scenario))
    timings = interleaved(runners, seeds, repeat, clock)
    out["throughput"] = {t.name: t.to_json(len(seeds)) for t in timings}
    steps = twin_model_steps(args.scenario, seeds)
    for t in timings:
        n = steps.get(t.name, t.events)  # ssesim: a heap pop is a model step
        out["throughput"][t.name]["model_steps_per_run"] = n / len(seeds)
        out["throughput"][t.name]["model_steps_per_s"] = n / t.median
    out["ratios"] = ratios(out["throughput"])
    out["floor_ratios"] = ratios(out["throughput"], FLOOR, exclude=(SSESIM,))
    if not args.no_scaling:
        lengths = args.lengths or LENGTHS
        stretch = args.stretch or (200 if args.quick else 1000)
        costs = history_scaling(lengths, stretch, repeat, clock)
        ratio = {k: v[max(v)] / v[min(v)] for k, v in costs.items() if len(v) > 1}
        costs = {k: {str(n): c for n, c in v.items()} for k, v in costs.items()}  # JSON keys
        out["history"] = {"stretch": stretch, "lengths": lengths, "seconds_per_event": costs}
        out["history"]["ratio"] = ratio
    if not args.no_explorer:
        # An exploration takes tens of seconds: fewer repeats than the DES figures.
        out["explorer"] = explorer_figures(1 if args.quick else min(repeat, 3), clock=clock)
    return out


def ratios(throughput: dict, key: str = SSESIM, exclude: tuple = ()) -> dict:
    """``key`` against each other contender: events/s ratio, and run-time ratio (the same workload)."""
    if key not in throughput:
        return {}
    mine, out = throughput[key], {}
    for name, twin in throughput.items():
        if name != key and name not in exclude:
            out[name] = {
                "events_per_s": mine["events_per_s"] / twin["events_per_s"],
                "model_steps_per_s": mine["model_steps_per_s"] / twin["model_steps_per_s"],
                "time_per_run": mine["ms_per_run"] / twin["ms_per_run"],
            }
    return out


def render(fig: dict) -> str:
    """The figures as a plain-text table."""
    title = f"DES throughput: {Path(fig['scenario']).name}, seeds {fig['seeds']}"
    clock = "CPU time" if fig["clock"] == "cpu" else "wall clock"
    lines = [f"{title}, median of {fig['repeat']} interleaved repeats ({clock})"]
    lines.append(
        f"  {'contender':<24}{'events/run':>12}{'steps/run':>11}{'ms/run':>9}"
        f"{'events/s':>12}{'steps/s':>12}{'us/event':>10}"
    )
    for name, t in fig["throughput"].items():
        lines.append(
            f"  {name:<24}{t['events_per_run']:>12.0f}{t['model_steps_per_run']:>11.0f}"
            f"{t['ms_per_run']:>9.2f}{t['events_per_s']:>12,.0f}{t['model_steps_per_s']:>12,.0f}"
            f"{1e6 / t['events_per_s']:>10.2f}"
        )
    lines.append("  (events: the contender's heap pops; steps: model steps, the bare loop's unit)")
    for name, r in fig["ratios"].items():
        lines.append(
            f"  ssesim / {name}: events/s x{r['events_per_s']:.3f}, "
            f"steps/s x{r['model_steps_per_s']:.3f}, time per run x{r['time_per_run']:.2f}"
        )
    for name, r in fig.get("floor_ratios", {}).items():
        lines.append(
            f"  {FLOOR} / {name}: events/s x{r['events_per_s']:.3f}, "
            f"steps/s x{r['model_steps_per_s']:.3f}, time per run x{r['time_per_run']:.2f}"
        )
    if "history" in fig:
        h = fig["history"]
        lines.append(
            f"History scaling: us per event over the {h['stretch']} sends past each length"
            " (ratio: longest / shortest)"
        )
        lines.append(
            f"  {'contender':<24}" + "".join(f"{n:>10}" for n in h["lengths"]) + f"{'ratio':>10}"
        )
        for name, costs in h["seconds_per_event"].items():
            row = "".join(f"{1e6 * costs[str(n)]:>10.2f}" for n in h["lengths"])
            lines.append(f"  {name:<24}{row}{h['ratio'].get(name, float('nan')):>10.2f}")
    if "explorer" in fig:
        lines.append("Explorer: three-send bounded scenario (explorer_hook.THREE_SENDS)")
        for label, e in fig["explorer"].items():
            lines.append(
                f"  {label:<14}{e['states']:>8} states {e['transitions']:>8} transitions"
                f"{e['seconds']:>8.2f} s {e['states_per_s']:>9,.0f} states/s"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark with ``argv`` (default: sys.argv[1:]); return the exit status."""
    args = build_parser().parse_args(argv)
    fig = measure(args)
    print(json.dumps(fig, indent=2) if args.json else render(fig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
