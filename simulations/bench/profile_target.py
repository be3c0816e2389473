"""A profiling target: ssesim's ``simulate`` on the realistic workload, a few seeds, nothing else.

Run under cProfile so that the profile is the simulation, not parsing or the command line::

    python -m cProfile -s cumtime -m simulations.bench.profile_target [RUNS]
"""

from __future__ import annotations

import sys

from simulations.bench.runner import REALISTIC, ssesim_runner


def main(argv: list[str] | None = None) -> int:
    """Run ``simulate`` on seeds 1..RUNS (default 5); return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    runs = int(argv[0]) if argv else 5
    run = ssesim_runner(REALISTIC)
    events = sum(run(seed) for seed in range(1, runs + 1))
    print(f"{runs} runs, {events} events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
