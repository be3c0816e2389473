"""Every explorer counterexample of the other strategies, replayed against the reconciled module.

    python -m simulations.bench.browser_counterexamples [--max-states N] [--module reconciled]

For each example scenario with scripted sends and each of ``seed``, ``seed-retry`` and
``dual-write``: ``explore --counterexamples`` (bounded by ``--max-states``), then each counterexample
replayed in headless Chromium with the client module (``ssesim browser FILE``). Prints one line per
counterexample and a total: how many replays broke an invariant, and how many stopped at a step the
module does not enable (as ``run FILE --strategy``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from simulations.browser.pool import Pool, require
from simulations.browser.runner import load_module
from simulations.browser.suite import play
from simulations.explore import counterexample as cxm
from simulations.explore.explorer import explore
from simulations.io.scenario import builtin_scenarios, load_scenario

OTHERS = ("seed", "seed-retry", "dual-write")


def counterexamples(folder: Path, max_states: int) -> list[Path]:
    for path in builtin_scenarios():
        scenario = load_scenario(path)
        if not scenario.sends or scenario.sse.old_stream_drains:
            continue
        for strategy in OTHERS:
            result = explore(scenario, strategy, max_states=max_states, reduction=True)
            for cx in cxm.all_from_exploration(result, path, strategy):
                cxm.save(cx, folder / f"{path.stem}.{strategy}.{cx.invariant}.json")
    return sorted(folder.glob("*.json"))


async def replay_all(files: list[Path], module_name: str) -> list[tuple]:
    module = load_module(module_name)
    pool = await Pool().start()
    out = []
    try:
        for f in files:
            cx = cxm.load(f)
            scenario = load_scenario(cxm.scenario_path(cx, f))
            row = await play(scenario, module, pool, replay=(cx.steps, str(f)))
            out.append((f.name, row.violated, row.result.warnings))
    finally:
        await pool.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.browser_counterexamples")
    p.add_argument("--max-states", type=int, default=20_000)
    p.add_argument("--module", default="reconciled")
    args = p.parse_args(argv)
    require()
    folder = Path(tempfile.mkdtemp(prefix="ssesim-cx-"))
    files = counterexamples(folder, args.max_states)
    rows = asyncio.run(replay_all(files, args.module))
    broke = stopped = 0
    for name, violated, warnings in rows:
        broke += bool(violated)
        stopped += bool(warnings)
        print(f"{name}: {', '.join(violated) or 'clean'}{' (stopped early)' if warnings else ''}")
    print(f"{len(rows)} counterexamples of {', '.join(OTHERS)} replayed against {args.module}: "
          f"{broke} broke an invariant, {stopped} stopped at a step it does not enable")
    return 1 if broke else 0


if __name__ == "__main__":
    sys.exit(main())
