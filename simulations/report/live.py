"""The report's "Model vs wire" section: each example scenario × built-in strategy, simulated and live.

``model_vs_wire`` runs ``simulate`` and ``live_run`` (lockstep: the reference server on loopback, real
HTTP and SSE, the simulator's schedule) on the same scenario, strategy and seed, and keeps both
verdicts; ``live_section`` renders them as a Markdown table. A disagreement is a finding: the server,
the wire or the client glue does not behave as the model says.
"""

from __future__ import annotations

import time
from pathlib import Path

from model.invariants import INVARIANTS
from model.strategies import BUILTIN
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario
from simulations.live.runner import live_run


def model_vs_wire(paths: list[Path] | None = None, strategies=tuple(BUILTIN), mode: str = "lockstep",
                  time_scale: float | None = None, progress=None) -> list[dict]:
    """One row per (scenario, strategy): the simulated and the live violation counts, and the wall
    time of the live run. ``progress.update(n, note)``, when given, hears of each row done."""
    rows = []
    for path in paths if paths is not None else builtin_scenarios():
        scenario = load_scenario(path)
        for name in strategies:
            if progress is not None:
                progress.update(0, f"{name} on {scenario.name}")
            simulated = simulate(scenario, strategy=name)
            start = time.perf_counter()
            live = live_run(scenario, strategy=name, mode=mode, time_scale=time_scale)
            rows.append({"scenario": scenario.name, "strategy": simulated.strategy,
                         "seed": simulated.seed, "sends": simulated.sends,
                         "simulated": dict(simulated.violations), "live": dict(live.violations),
                         "agree": _violated(simulated.violations) == _violated(live.violations),
                         "wall": time.perf_counter() - start, "mode": live.live["mode"]})
            if progress is not None:
                progress.update(1)
    return rows


def _violated(counts: dict[str, int]) -> set[str]:
    return {k for k, n in counts.items() if n}


def _cell(counts: dict[str, int]) -> str:
    parts = [f"`{inv}` {counts[inv]}" for inv in INVARIANTS if counts.get(inv)]
    return ", ".join(parts) if parts else "0"


def live_section(rows: list[dict]) -> tuple[str, str]:
    """("Model vs wire", markdown) for ``model_vs_wire`` rows."""
    agree = sum(r["agree"] for r in rows)
    modes = sorted({r["mode"] for r in rows})
    lines = [(f"Each example scenario and built-in strategy, run by the simulator (`ssesim run`) and "
              f"over real HTTP and SSE against the reference server on loopback (`ssesim live`, "
              f"{', '.join(modes)}), with the scenario's own seed. The live run's trace is checked by "
              f"the same ten checkers. **{agree} of {len(rows)}** pairs find the same set of violated "
              f"invariants."), "",
             "| scenario | strategy | sends | simulated | live | same set | live wall |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['scenario']}` | `{r['strategy']}` | {r['sends']} | {_cell(r['simulated'])} "
                     f"| {_cell(r['live'])} | {'yes' if r['agree'] else '**no**'} | {r['wall']:.2f} s |")
    lines += ["", ("Regenerate with `ssesim report --live`; one pair with "
                   "`ssesim live SCENARIO --strategy S` (README, *Live runs*).")]
    return "Model vs wire", "\n".join(lines)
