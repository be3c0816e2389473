"""How fast scenario and sweep files load: ``python -m simulations.bench.parse``.

Times, in CPU time (median of ``--repeats``), ``parse_scenario`` on every example scenario's table
(a sweep parses one per cell) and ``load_sweep`` of the built-in default sweep (read, validate,
expand, parse every cell), plus the cost of importing the scenario loader. Runs against whatever
``simulations`` is on the path, so the same file measures an older checkout too
(``PYTHONPATH=OLD python simulations/bench/parse.py``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--loops", type=int, default=100)
    args = parser.parse_args(argv)

    from simulations.io.scenario import builtin_scenarios, load_scenario_data, parse_scenario
    from simulations.io.sweep_file import load_sweep, resolve_sweep_path

    tables = [(str(p), load_scenario_data(p)) for p in builtin_scenarios()]
    for source, data in tables:  # warm up
        parse_scenario(data, source)
    per_scenario = []
    for _ in range(args.repeats):
        start = time.process_time()
        for _ in range(args.loops):
            for source, data in tables:
                parse_scenario(data, source)
        per_scenario.append((time.process_time() - start) / (args.loops * len(tables)))
    sweep_path = resolve_sweep_path("default")
    sweep_times = []
    for _ in range(args.repeats):
        start = time.process_time()
        sweep = load_sweep(sweep_path)
        sweep_times.append(time.process_time() - start)
    imports = []
    for _ in range(args.repeats):
        code = ("import time; t = time.process_time(); import simulations.io.scenario; "
                "print(time.process_time() - t)")
        imports.append(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            check=True).stdout))
    print(f"parse_scenario: {statistics.median(per_scenario) * 1e6:.1f} us per scenario "
          f"({len(tables)} example scenarios, median of {args.repeats} x {args.loops} loops)")
    print(f"load_sweep(default): {statistics.median(sweep_times) * 1e3:.2f} ms "
          f"({len(sweep.cells)} cells, median of {args.repeats})")
    print(f"import simulations.io.scenario: {statistics.median(imports) * 1e3:.0f} ms CPU "
          f"(fresh interpreter, median of {args.repeats})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
