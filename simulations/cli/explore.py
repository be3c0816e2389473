"""``ssesim explore``: exhaustive bounded exploration of one scenario, with its shortest counterexamples.

Prints the search figures, each violated invariant with its numbered shortest counterexample, the
invariants held (a complete search) or undecided (a search a bound or a signal stopped), the waived
ones, and the "sometimes" properties witnessed; ``--json`` prints the SPEC §6 object plus
``verdicts``, ``undecided`` and ``stopped_by``. Ctrl-C or SIGTERM print what was found so far, marked
interrupted, before the usual 130 / 143. Optional outputs: the
reachable state graph (``--graph`` GraphML, ``--png`` drawing when small) and the counterexamples as
files (``--counterexamples DIR``: JSON to replay with ``ssesim run``, Mermaid sequence diagrams).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from model.errors import InputError
from model.invariants import INVARIANTS, SOMETIMES
from simulations.cli.common import (
    add_frontier,
    add_quiet,
    add_strategy,
    add_waivers,
    add_workers,
    check_search,
    waivers,
)


def add_parser(sub) -> None:
    p = sub.add_parser("explore", help="exhaustive bounded exploration, shortest counterexamples",
                       description="Explore every interleaving of SCENARIO's scripted sends within its "
                                   "[explore] bounds; print the shortest counterexample of each "
                                   "violated invariant. Exit 0 (violations are a finding, not an "
                                   "error; `ssesim check` is the gate), 2 on bad input or when "
                                   "there is nothing to explore (no [[sends]]).")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    add_strategy(p)
    p.add_argument("--max-states", type=int, default=1_000_000, metavar="N",
                   help="stop after N distinct states (default 1000000); the result says complete: false")
    p.add_argument("--max-seconds", type=float, default=None, metavar="S",
                   help="stop after S seconds of search; like --max-states, the result is "
                        "incomplete and the invariants not seen broken are undecided")
    add_waivers(p)
    p.add_argument("--json", action="store_true", help="print the SPEC §6 JSON object")
    p.add_argument("--reduction", action="store_true",
                   help="sleep sets (fewer transitions) and, after the last input of a scenario of "
                        "several sessions, session sets (fewer states): the same verdicts and "
                        "shortest counterexample lengths")
    p.add_argument("--ample", action="store_true",
                   help="ample (persistent) sets: fewer states, same verdicts, counterexamples may be "
                        "longer than the shortest")
    p.add_argument("--full-keys", action="store_true",
                   help="keep full state keys instead of 64-bit fingerprints: no collision is possible, "
                        "at several times the memory")
    p.add_argument("--symmetry", action="store_true",
                   help="client symmetry: states that differ only by a renaming of interchangeable "
                        "clients (watching tabs of one session) count once; same verdicts and shortest "
                        "counterexamples; not with --reduction or --ample")
    add_workers(p)
    add_frontier(p)
    p.add_argument("--graph", metavar="FILE", type=Path,
                   help="write the reachable state graph as GraphML (without reduction)")
    p.add_argument("--png", metavar="FILE", type=Path,
                   help="draw the state graph as PNG (only when it has at most 300 states)")
    p.add_argument("--counterexamples", metavar="DIR", type=Path,
                   help="write one JSON (replay with `ssesim run FILE`) and one Mermaid .mmd per "
                        "violated invariant into DIR")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from simulations.explore.explorer import SearchInterrupted, explore
    from simulations.io.progress import Progress, phase
    from simulations.io.scenario import load_scenario
    check_search(args)
    if args.max_seconds is not None and not args.max_seconds >= 0:
        raise InputError("--max-seconds", None, f"must be >= 0, got {args.max_seconds:g}")
    scenario = load_scenario(args.scenario)
    if not scenario.sends:
        raise InputError(args.scenario, None, "nothing to explore: no [[sends]] (exploration covers "
                                              "scripted sends; a [workload] is random: use `ssesim "
                                              "run` or `ssesim check`)")
    waived = waivers(args)
    interrupted = None
    with Progress("explore", None, "states", quiet=args.quiet) as bar:
        def progress(states, moves, depth, frontier):  # as TLC: states, level, queue, rate
            bar.set(states, f"depth {depth}, frontier {frontier:,}, {moves:,} transitions "
                            f"(bound {args.max_states:,} states)")

        def hint(text: str) -> None:
            with bar.aside():
                print(f"ssesim explore: {text}", file=sys.stderr, flush=True)
        try:
            if args.workers > 1:
                from simulations.explore.parallel import explore_workers
                result = explore_workers(scenario, args.strategy, workers=args.workers,
                                         max_states=args.max_states, ample=args.ample,
                                         full_keys=args.full_keys, progress=progress,
                                         frontier_objects=args.frontier_objects,
                                         max_seconds=args.max_seconds, hint=hint)
            else:
                result = explore(scenario, args.strategy, max_states=args.max_states,
                                 reduction=args.reduction, ample=args.ample, full_keys=args.full_keys,
                                 progress=progress, frontier_objects=args.frontier_objects,
                                 symmetry=args.symmetry, max_seconds=args.max_seconds, hint=hint)
        except SearchInterrupted as exc:  # print what was found, then exit 130/143 as usual
            result, interrupted = exc.partial, exc.cause
        bar.set(result.states, f"depth {result.max_depth}, {result.transitions:,} transitions")
        bar.finished = result.complete  # "stopped" when a bound or an interruption ended the search
    if interrupted is not None:
        print(json.dumps(result.to_json(), indent=2) if args.json else report(result, scenario, waived),
              flush=True)
        raise interrupted
    notes = []
    if args.counterexamples is not None:
        notes += write_counterexamples(result, scenario, args.scenario, args.strategy,
                                       args.counterexamples)
    if args.graph is not None or args.png is not None:
        with phase("explore graph", quiet=args.quiet):  # a second search, keeping every edge
            notes += write_graph(scenario, args.strategy, args.max_states, args.graph, args.png,
                                 f"{result.scenario}: {result.strategy}")
    if args.json:
        obj = result.to_json()
        if waived:
            obj["waived"] = sorted(waived, key=INVARIANTS.index)
        print(json.dumps(obj, indent=2))
    else:
        print(report(result, scenario, waived))
        for note in notes:
            print(note)
    return 0


STOPPED = {"max-states": "INCOMPLETE (the --max-states bound stopped it)",
           "max-seconds": "INCOMPLETE (the --max-seconds bound stopped it)",
           "interrupted": "INTERRUPTED (Ctrl-C): what was found so far",
           "terminated": "INTERRUPTED (SIGTERM): what was found so far"}


def report(result, scenario, waived: frozenset = frozenset()) -> str:
    """The human summary: figures, violated invariants with numbered steps, the held or undecided
    ones, the waived ones, witnesses."""
    rate = result.states / result.seconds if result.seconds > 0 else float("inf")
    bounds = (f"faults {', '.join(scenario.explore.faults)} | max disconnects "
              f"{scenario.explore.max_disconnects}"
              + ("" if scenario.explore.max_timeouts is None else
                 f" | max timeouts {scenario.explore.max_timeouts}"))
    status = "complete" if result.complete else STOPPED.get(result.stopped_by, "INCOMPLETE")
    lines = [f"scenario {result.scenario} | strategy {result.strategy} | {bounds}"
             + (" | sleep sets" if result.reduced else "") + (" | ample sets" if result.ample else "")
             + (" | session sets" if result.sessions else "")
             + (f" | {result.workers} workers" if result.workers > 1 else "")
             + "".join(f" | symmetry: clients {', '.join(map(str, g))}" for g in result.symmetry),
             (f"states {result.states} | transitions {result.transitions} | depth {result.max_depth} | "
             f"{status} | {result.seconds:.2f}s ({rate:,.0f} states/s)"),
             ("visited set: full keys" if result.collision_probability is None else
              f"visited set: 64-bit fingerprints, collision probability ≈ {result.collision_probability:.1e}")]
    if not result.complete and scenario.explore.max_timeouts is None:
        lines.append("hint: every unanswered POST may time out at any step, and timeouts multiply the "
                     "states; [explore].max_timeouts = 1 bounds them, and a search within that budget "
                     "decides its verdicts for those paths only (README: Exploring a scenario)")
    counted = [inv for inv in INVARIANTS if inv not in waived]
    violated = [inv for inv in counted if result.violations.get(inv)]
    others = [inv for inv in counted if not result.violations.get(inv)]
    if violated:
        lines.append(f"violated: {len(violated)} of {len(counted)} invariants")
        for inv in violated:
            lines.append(numbered(inv, result.violations[inv]) if inv in result.paths else
                         f"  {inv}: {result.violations[inv][0]}")
    else:
        lines.append(f"violated: none of the {len(counted)} invariants"
                     + ("" if result.complete else " (within the explored states)"))
    if others and result.complete and violated:
        lines.append(f"held: {', '.join(others)}")
    if others and not result.complete:
        lines.append(f"undecided: {', '.join(others)} (not seen broken in the {result.states:,} "
                     "states reached; a stopped search proves nothing about them)")
    for inv in INVARIANTS:
        if inv in waived:
            found = result.violations.get(inv)
            seen = (f"violated, {len(found)}-step counterexample" if found else
                    "not seen broken" if not result.complete else "held")
            lines.append(f"waived: {inv} ({seen}; not counted: --ignore/--invariants)")
    seen = [s for s in SOMETIMES if s in result.sometimes]
    unseen = [s for s in SOMETIMES if s not in result.sometimes]
    lines.append(f"sometimes witnessed: {', '.join(seen) or 'none'}"
                 + (f" | never: {', '.join(unseen)}" if unseen else ""))
    return "\n".join(lines)


def numbered(invariant: str, labels: list[str], indent: str = "  ") -> str:
    width = len(str(len(labels)))
    head = f"{indent}{invariant}: shortest counterexample, {len(labels)} steps"
    return "\n".join([head] + [f"{indent}  {i:>{width}}. {label}" for i, label in enumerate(labels, 1)])


def write_counterexamples(result, scenario, scenario_path, strategy, folder: Path) -> list[str]:
    """One ``<scenario>.<strategy>.<invariant>.json`` and ``.mmd`` per violated invariant."""
    from simulations.explore.cxfiles import write
    written = write(result, scenario, scenario_path, strategy, folder)
    if not written:
        return [f"counterexamples: none to write into {folder}"]
    return [(f"counterexamples: {len(written)} written into {folder} (.json to replay with "
            f"`ssesim run FILE`, .mmd to draw)")]


def write_graph(scenario, strategy, max_states: int, graphml: Path | None, png: Path | None,
                title: str) -> list[str]:
    from simulations.explore.explorer import Model
    from simulations.explore.graph import build_graph, write_graphml
    from simulations.report.state_png import PNG_MAX_STATES, write_png
    if graphml is None:  # only a drawing: no need to walk past the size that can be drawn
        max_states = min(max_states, PNG_MAX_STATES + 1)
    graph, complete = build_graph(Model(scenario, strategy), max_states)
    n = graph.number_of_nodes()
    notes = []
    cut = "" if complete else " (cut at --max-states)"
    if graphml is not None:
        write_graphml(graph, graphml)
        notes.append(f"graph: {n} states, {graph.number_of_edges()} edges{cut} written to {graphml}")
    if png is not None:
        if n <= PNG_MAX_STATES:
            write_png(graph, png, title)
            notes.append(f"png: {png}")
        else:
            notes.append(f"png: not drawn: the graph has more than {PNG_MAX_STATES} states "
                         "(use --graph for GraphML)")
    return notes
