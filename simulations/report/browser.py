"""The report's "Model vs browser" section: each example × the two built-in client modules.

``model_vs_browser`` runs ``simulate`` (strategy ``seed`` / ``reconciled``) and a lockstep browser
run of the client module of the same name (``simulations.browser``: headless Chromium against the
reference server) on the same scenario and seed, and keeps both verdicts and, where they differ, why;
``browser_section`` renders them as a Markdown table. A scenario one native EventSource cannot play
is *not realizable* (a row that says so, never counted as agreeing).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from model.invariants import INVARIANTS
from simulations.browser.pool import Pool
from simulations.browser.runner import browser_run_async, load_module, realizable
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario

MODULES = ("seed", "reconciled")


def model_vs_browser(paths: list[Path] | None = None, modules=MODULES) -> list[dict]:
    """One row per (scenario, client module); raises ``NoBrowser`` without Chromium."""
    return asyncio.run(_rows(paths if paths is not None else builtin_scenarios(), modules))


async def _rows(paths, modules) -> list[dict]:
    pool = await Pool().start()
    rows = []
    try:
        for path in paths:
            scenario = load_scenario(path)
            for name in modules:
                simulated = simulate(scenario, strategy=name)
                row = {"scenario": scenario.name, "client": name, "simulated": dict(simulated.violations)}
                why = realizable(scenario)
                if why is not None:
                    row.update(browser=None, agree=False, why="not realizable: " + why.split(":", 1)[1].strip())
                else:
                    got = await browser_run_async(scenario, load_module(name), pool)
                    same = _violated(simulated.violations) == _violated(got.violations)
                    row.update(browser=dict(got.violations), agree=same, wall=got.live["wall_seconds"],
                               why="" if same else "the verdicts differ: see `ssesim browser` and `run --trace`")
                rows.append(row)
    finally:
        await pool.stop()
    return rows


def _violated(counts: dict[str, int]) -> set[str]:
    return {k for k, n in counts.items() if n}


def _cell(counts) -> str:
    if counts is None:
        return "-"
    parts = [f"`{inv}` {counts[inv]}" for inv in INVARIANTS if counts.get(inv)]
    return ", ".join(parts) if parts else "0"


def browser_section(rows: list[dict]) -> tuple[str, str]:
    """("Model vs browser", markdown) for ``model_vs_browser`` rows."""
    agree = sum(r["agree"] for r in rows)
    lines = [(f"Each example scenario with the two built-in client modules (`simulations/browser/"
              f"clients/`, TypeScript), run by the simulator (`ssesim run --strategy S`) and in headless "
              f"Chromium in lockstep against the reference server (`ssesim browser --client S`), with "
              f"the scenario's own seed and the same ten checkers. **{agree} of {len(rows)}** pairs "
              f"find the same set of violated invariants."), "",
             "| scenario | client module | simulated | browser | equal | why not |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        equal = "yes" if r["agree"] else "**no**"
        lines.append(f"| `{r['scenario']}` | `{r['client']}` | {_cell(r['simulated'])} | "
                     f"{_cell(r['browser'])} | {equal} | {r['why'] or '-'} |")
    lines += ["", ("Regenerate with `ssesim report --browser`; one pair with `ssesim browser SCENARIO "
                   "--client S` (README, *Browser runs*).")]
    return "Model vs browser", "\n".join(lines)
