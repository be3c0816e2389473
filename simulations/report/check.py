"""The report's verdict section: every built-in strategy explored and simulated on every example scenario.

For each (strategy, scenario): an exhaustive exploration (with reduction) run to completion, and a
few seeded runs; an invariant is violated when either finds it. An exploration the bound stopped is
reported as incomplete, by name: the report accepts the bound explicitly (as ``check --allow-bounded``
does), and says that its verdicts hold within the bound only.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from model.invariants import INVARIANTS
from model.strategies import BUILTIN
from simulations.engine.simulator import simulate
from simulations.explore.counterexample import from_exploration, to_mermaid
from simulations.explore.explorer import Model, explore
from simulations.io.scenario import builtin_scenarios, load_scenario
from simulations.sweep.work import worker_init


def verdict(path: str, strategy: str, runs: int, max_states: int) -> dict:
    """Explore and simulate one scenario under one strategy; violations as data."""
    scenario = load_scenario(path)
    out = {"scenario": scenario.name, "description": scenario.description, "strategy": strategy,
           "explored": None, "runs": {}}
    if scenario.sends:
        ex = explore(scenario, strategy, max_states=max_states, reduction=True, ample=True,
                     give_up=GIVE_UP)
        violated = {k: v for k, v in ex.violations.items() if v}
        model = Model(scenario, strategy)
        out["explored"] = {"states": ex.states, "complete": ex.complete, "violations": violated,
                           "projected": ex.projected, "peak_projection": ex.peak_projection,
                           "mermaid": {k: to_mermaid(from_exploration(ex, path, k, strategy), model)
                                       for k in violated}}
        if not ex.complete and scenario.explore.max_timeouts is None:
            out["explored"]["bounded"] = bounded(scenario, strategy, max_states)
    scripted = simulate(scenario, strategy=strategy)  # the scenario's own seed: its story
    out["scripted"] = {inv: n for inv, n in scripted.violations.items() if n}
    for seed in range(1, runs + 1):
        result = simulate(scenario, strategy=strategy, seed=seed)
        for inv, n in result.violations.items():
            if n:
                out["runs"][inv] = out["runs"].get(inv, 0) + 1
    return out


# An exploration stops early, undecided, once two breadth-first levels in a row project more than
# GIVE_UP × the bound (explorer.Growth: a rough projection, within about 3× on the examples). No
# example that completes within the bound comes near it (reports/benchmarks.md); the ones that
# cannot finish are seen within a few thousand states instead of running to the bound.
GIVE_UP = 10.0
BOUNDED_TIMEOUTS = 1  # the timeout budget of the re-run of an exploration the state bound stopped


def bounded(scenario, strategy: str, max_states: int) -> dict:
    """The exploration again with at most ``BOUNDED_TIMEOUTS`` POST timeouts on any path
    (``[explore].max_timeouts``): complete where the unbounded one was not, it decides the verdicts
    within that budget (README: Exploring a scenario)."""
    explore_config = dataclasses.replace(scenario.explore, max_timeouts=BOUNDED_TIMEOUTS)
    ex = explore(dataclasses.replace(scenario, explore=explore_config), strategy, max_states=max_states,
                 reduction=True, ample=True)
    return {"max_timeouts": BOUNDED_TIMEOUTS, "states": ex.states, "complete": ex.complete,
            "violations": {k: v for k, v in ex.violations.items() if v}}


LARGE_FIRST = ("seed-retry",)  # its explorations are the largest: started first, the pool stays busy


def _size_rank(job: tuple) -> tuple:
    """The order the pool takes the jobs in, the largest first (so that no long one starts last and
    runs alone): ``LARGE_FIRST`` strategies first, then by scripted sends × clients, a rough measure
    of an exploration's size (the interleavings of every send with every client's steps)."""
    scenario = load_scenario(job[0])
    return job[1] not in LARGE_FIRST, -len(scenario.sends) * len(scenario.clients)


def all_verdicts(runs: int = 5, max_states: int = 1_000_000, workers: int | None = None,
                 quiet: bool = True) -> list[dict]:
    """Every (built-in strategy, example scenario) verdict, in that order. Unless ``quiet``,
    progress on stderr: verdicts done of all, with the time left (simulations.io.progress)."""
    from simulations.io.progress import Progress

    jobs = [(str(p), s, runs, max_states) for s in BUILTIN for p in builtin_scenarios()]
    workers = workers or os.cpu_count() or 1
    results: list = [None] * len(jobs)
    # No rate or time left: the jobs differ in size by a thousand times and run the largest first
    with Progress("report check", len(jobs), "verdicts", quiet=quiet, rates=False) as bar:
        if workers == 1:
            for i, job in enumerate(jobs):
                bar.update(0, f"{_name(job)}: exploring and running")
                results[i] = verdict(*job)
                bar.update(1, f"{_name(job)}: done")
            return results
        order = sorted(range(len(jobs)), key=lambda i: _size_rank(jobs[i]))
        # worker_init: the workers leave signals to this process and exit when it dies (even SIGKILL)
        with ProcessPoolExecutor(max_workers=workers, initializer=worker_init) as pool:
            futures = {pool.submit(verdict, *jobs[i]): i for i in order}
            for future in as_completed(futures):  # the results keep the jobs' order, not this one
                i = futures[future]
                results[i] = future.result()
                running = len(futures) - bar.done - 1
                bar.update(1, f"{_name(jobs[i])} done; {min(running, workers)} running")
    return results


def _name(job: tuple) -> str:
    return f"{job[1]} on {Path(job[0]).stem}"


def broken(result: dict) -> list[str]:
    """The invariants one verdict found violated, by exploration or by a seeded run (SPEC order)."""
    explored = (result["explored"] or {}).get("violations", {})
    within = ((result["explored"] or {}).get("bounded") or {}).get("violations", {})  # real ones too
    return [inv for inv in INVARIANTS if inv in result["runs"] or inv in explored or inv in within]


def _why_stopped(explored: dict, max_states: int) -> str:
    projected = explored.get("projected")
    if projected is None:
        return ""
    return (f" (stopped at {explored['states']:,} states: its levels projected about "
            f"{projected:,.0f}, {projected / max_states:,.0f}× the bound)")


def _bounded_lines(results: list[dict]) -> list[str]:
    """One bullet per exploration the state bound stopped: its re-run under a timeout budget."""
    out = []
    for r in results:
        b = (r["explored"] or {}).get("bounded")
        if not b:
            continue
        n = b["max_timeouts"]
        budget = f"at most {n} POST timeout{'s' * (n != 1)} on any path (`max_timeouts = {n}`)"
        if not b["complete"]:
            out.append(f"- `{r['strategy']}` on `{r['scenario']}`, with {budget}: stopped too, at "
                       f"{b['states']:,} states.")
            continue
        stopped = r["explored"]["violations"]  # found broken before the bound stopped the search
        broke = [f"`{i}`" for i in INVARIANTS if i in b["violations"]]
        held = [f"`{i}`" for i in INVARIANTS if i not in b["violations"] and i not in stopped]
        out.append(f"- `{r['strategy']}` on `{r['scenario']}`, with {budget}: complete, "
                   f"{b['states']:,} states; violated {', '.join(broke) or 'none'}; of the invariants "
                   f"the stopped search had not found broken, {', '.join(held) or 'none'} held "
                   "(within that budget only).")
    if out:
        out = ["", ("Each exploration the bound stopped was run again with a budget of POST timeouts "
                    "(each timeout without a deadline may add a duplicate commit, which is what makes "
                    "these searches explode); a budget's verdicts cover only the paths within it "
                    "(README: Exploring a scenario):"), "", *out]
    return out


def check_section(results: list[dict], runs: int, max_states: int) -> tuple[str, str]:
    """Markdown: a strategy × invariant verdict table, then one shortest counterexample per race."""
    strategies = list(dict.fromkeys(r["strategy"] for r in results))
    n_scen = len({r["scenario"] for r in results})
    lines = [(f"Each built-in strategy on each of the {n_scen} example scenarios: an exhaustive "
             f"exploration (partial-order reduction, at most {max_states:,} states) plus {runs} seeded "
             "runs. "
             "A cell counts the scenarios in which the invariant was violated (0: it held in all)."),
             "", "| strategy | " + " | ".join(f"`{i}`" for i in INVARIANTS) + " | verdict |",
             "|---|" + "---|" * (len(INVARIANTS) + 1)]
    for s in strategies:
        mine = [r for r in results if r["strategy"] == s]
        cells, bad = [], False
        for inv in INVARIANTS:
            k = sum(1 for r in mine if inv in broken(r))
            bad |= k > 0
            cells.append(str(k))
        lines.append(f"| `{s}` | " + " | ".join(cells) + f" | {'**fails**' if bad else 'passes'} |")
    incomplete = [f"`{r['strategy']}` on `{r['scenario']}`" + _why_stopped(r["explored"], max_states)
                  for r in results if r["explored"] and not r["explored"]["complete"]]
    complete = sum(1 for r in results if r["explored"] and r["explored"]["complete"])
    lines += ["", (f"Every one of the {complete} explorations ran to completion (no bound hit): each "
                   "verdict above is proven over every interleaving of its scenario." if not incomplete
                   else f"{complete} explorations ran to completion; the bound stopped "
                        f"{len(incomplete)} (or the growth of their breadth-first levels, projected "
                        f"past {GIVE_UP:.0f}× the bound, stopped them early), whose verdicts cover only the states reached (the "
                        "report accepts the bound, as `ssesim check --allow-bounded` does: an "
                        "invariant such a search did not see broken is undecided, not proven, "
                        "and counts 0 above only within the bound): "
                        f"{', '.join(incomplete)}.")]
    lines += _bounded_lines(results)
    best: dict[str, dict] = {}  # invariant -> the result with its shortest counterexample
    for r in results:
        for inv, steps in (r["explored"] or {}).get("violations", {}).items():
            if inv not in best or len(steps) < len(best[inv]["explored"]["violations"][inv]):
                best[inv] = r
    examples = []
    for inv in INVARIANTS:
        if inv in best:
            r = best[inv]
            steps = r["explored"]["violations"][inv]
            body = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
            drawing = r["explored"].get("mermaid", {}).get(inv)
            examples.append(f"**`{inv}`**, broken by `{r['strategy']}` in `{r['scenario']}` "
                            f"({len(steps)} steps):\n\n{body}\n"
                            + (f"\n```mermaid\n{drawing.strip()}\n```\n" if drawing else ""))
    if examples:
        lines += ["", "### Shortest counterexamples found, one per invariant", ""]
        lines += examples
    return "Check verdicts", "\n".join(lines)
