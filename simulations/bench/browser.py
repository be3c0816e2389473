"""Benchmark of ``ssesim browser`` (issue 20's speed targets): per-example wall, the race suite,
the realistic workload with ``workload.count = 20``, and whether each trace equals the simulator's.

    python -m simulations.bench.browser [--runs N] [--json]

One Chromium for the whole benchmark (as ``ssesim browser`` and the tests use it); each figure is a
lockstep run's wall time (page navigation, mount, every step), the browser's launch excluded and
reported apart. Prints a Markdown section for ``reports/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from simulations.browser.pool import Pool, require
from simulations.browser.runner import browser_run_async, load_module, realizable
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario

MODULES = ("seed", "reconciled")


async def measure(runs: int) -> dict:
    started = time.perf_counter()
    pool = await Pool().start()
    launch = time.perf_counter() - started
    out = {"launch_s": round(launch, 3), "examples": [], "suite_s": {}, "realistic20": {}}
    tmp = Path(tempfile.mkdtemp(prefix="ssesim-bench-browser-"))
    try:
        for name in MODULES:
            module = load_module(name)
            suite = 0.0
            for path in builtin_scenarios():
                scenario = load_scenario(path)
                if realizable(scenario) is not None:
                    out["examples"].append({"scenario": scenario.name, "client": name, "realizable": False})
                    continue
                walls, equal = [], None
                for k in range(runs if scenario.workload is None else 1):
                    trace = tmp / f"{name}-{scenario.name}-{k}.jsonl"
                    t = time.perf_counter()
                    await browser_run_async(scenario, module, pool, trace_path=trace)
                    walls.append(time.perf_counter() - t)
                    if k == 0:
                        ref = tmp / f"run-{name}-{scenario.name}.jsonl"
                        simulate(scenario, strategy=name, trace_path=ref)
                        equal = trace.read_bytes() == ref.read_bytes()
                suite += walls[0]
                out["examples"].append({"scenario": scenario.name, "client": name, "realizable": True,
                                        "runs": len(walls), "p50_s": round(statistics.median(walls), 3),
                                        "max_s": round(max(walls), 3), "trace_equal": equal})
            out["suite_s"][name] = round(suite, 2)
        path = tmp / "realistic20.toml"
        text = next(p for p in builtin_scenarios() if p.stem == "realistic").read_text()
        path.write_text(text.replace("count = 100", "count = 20"))
        scenario = load_scenario(path)
        for name in MODULES:
            trace, ref = tmp / f"r20-{name}.jsonl", tmp / f"r20-run-{name}.jsonl"
            t = time.perf_counter()
            result = await browser_run_async(scenario, load_module(name), pool, trace_path=trace)
            wall = time.perf_counter() - t
            simulate(scenario, strategy=name, trace_path=ref)
            out["realistic20"][name] = {"wall_s": round(wall, 2), "steps": result.live["steps"],
                                        "trace_equal": trace.read_bytes() == ref.read_bytes()}
    finally:
        await pool.stop()
    return out


def markdown(m: dict, runs: int) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [(f"Command: `python -m simulations.bench.browser --runs {runs}` ({os.cpu_count()} cores, "
              f"load average {load:.1f} when it finished; Chromium launch {m['launch_s']:.2f} s, not "
              "counted below)."), "",
             "| scenario | client module | runs | wall p50 | wall max | trace = `run --trace` |",
             "|---|---|---|---|---|---|"]
    for e in m["examples"]:
        if not e["realizable"]:
            lines.append(f"| `{e['scenario']}` | `{e['client']}` | - | - | - | not realizable |")
            continue
        lines.append(f"| `{e['scenario']}` | `{e['client']}` | {e['runs']} | {e['p50_s']:.2f} s | "
                     f"{e['max_s']:.2f} s | {'yes' if e['trace_equal'] else '**no**'} |")
    lines.append("")
    for name, s in m["suite_s"].items():
        lines.append(f"- Race suite, `{name}` (every example once, the full `realistic` included): "
                     f"{s:.1f} s.")
    for name, r in m["realistic20"].items():
        lines.append(f"- `realistic` with `workload.count = 20`, `{name}`: {r['wall_s']:.1f} s for "
                     f"{r['steps']} steps, trace equal to the simulator's: "
                     f"{'yes' if r['trace_equal'] else 'no'}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.browser", description=__doc__)
    p.add_argument("--runs", type=int, default=3, help="runs per scripted example (default 3)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.runs < 1:
        print("python -m simulations.bench.browser: error: --runs: must be >= 1", file=sys.stderr)
        return 2
    try:
        require()
    except Exception as exc:  # noqa: BLE001 - NoBrowser: one line, exit 2
        print(f"python -m simulations.bench.browser: error: {exc}", file=sys.stderr)
        return 2
    m = asyncio.run(measure(args.runs))
    print(json.dumps(m, indent=2) if args.json else markdown(m, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
