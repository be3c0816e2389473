"""The CI gate's verdicts (``ssesim check``): exploration plus seeded runs per scenario, as data.

A scenario passes when no invariant is violated — neither in the bounded exhaustive exploration (run
when the scenario scripts sends) nor in any of the seeded simulations — and when every required
"sometimes" property was witnessed by one or the other (the vacuity guard: a check that never saw a
POST fail proved nothing about failures). An exploration stopped by ``--max-states`` leaves the
invariants nothing broke *undecided*, which fails the check unless ``--allow-bounded`` accepts the
bound; waived invariants (``--invariants`` / ``--ignore``) are checked and printed but not counted.
Verdicts render as text, as a scenario × invariant matrix and as JUnit XML.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.invariants import INVARIANTS, SOMETIMES
from model.system import STATUS, post_outcome

COMMITTING = ("ok", "error_after_commit", "response_lost")  # faults under which a POST commits


def required_sometimes(scenario) -> tuple[str, ...]:
    """What a check of ``scenario`` must witness: ``[explore].sometimes``, else the defaults —
    ``post-failure`` when the scenario scripts sends (exploration may time any POST out, unless
    ``[explore].max_timeouts`` is 0 and nothing else can fail one) or has a fault probability above 0; with scripted sends, also ``disconnect-during-post`` when
    ``max_disconnects`` ≥ 1 and ``sse-before-response`` when a POST can commit."""
    if scenario.explore.sometimes is not None:
        return tuple(scenario.explore.sometimes)
    explored = bool(scenario.sends)
    faulty = any(p > 0 for _f, p in scenario.post.faults) or any(
        s.fault not in (None, "ok") for s in scenario.sends)
    out = []
    if faulty or (explored and _explored_post_can_fail(scenario)):
        out.append("post-failure")
    if explored and scenario.explore.max_disconnects >= 1:
        out.append("disconnect-during-post")
    if explored and any(f in COMMITTING for f in scenario.explore.faults + tuple(
            s.fault for s in scenario.sends if s.fault)):
        out.append("sse-before-response")
    return tuple(s for s in SOMETIMES if s in out)


def _explored_post_can_fail(scenario) -> bool:
    """Whether the exploration can fail a POST: by a timeout (unless ``[explore].max_timeouts`` is
    0), or because the server answers a scripted send non-2xx under an explored fault (SPEC §2.6)."""
    if scenario.explore.max_timeouts != 0:
        return True
    limit = scenario.server.max_message_length
    return any(STATUS[post_outcome(False, False, s.content, limit, f)] >= 300
               for s in scenario.sends for f in scenario.explore.faults)


@dataclass
class ScenarioCheck:
    """Everything ``check`` learned about one scenario under one strategy."""

    path: str
    scenario: str
    strategy: str  # as given (a built-in name or module:Class), so that it can be passed back
    runs: int
    required: tuple[str, ...]
    exploration: Any = None  # simulations.explore.explorer.Exploration, None when skipped
    skipped: str | None = None  # why exploration was skipped
    run_counts: dict = field(default_factory=lambda: dict.fromkeys(INVARIANTS, 0))
    run_failing: dict = field(default_factory=lambda: dict.fromkeys(INVARIANTS, 0))  # runs that broke it
    run_first: dict = field(default_factory=dict)  # invariant -> (seed, example): earliest in its trace
    run_sometimes: set = field(default_factory=set)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    explore_seconds: float = 0.0
    waived: frozenset = frozenset()  # --invariants / --ignore: checked, printed, not counted
    allow_bounded: bool = False  # --allow-bounded: an undecided invariant does not fail the check
    annotated: dict = field(default_factory=dict)  # invariant -> numbered steps with the views
    replay: dict = field(default_factory=dict)  # invariant -> counterexample file written for it

    @property
    def explored_violations(self) -> dict:
        ex = self.exploration
        return {} if ex is None else {k: v for k, v in ex.violations.items() if v}

    def broken(self) -> list[str]:
        """Every invariant the exploration or a run broke, waived ones included (SPEC order)."""
        found = self.explored_violations
        return [inv for inv in INVARIANTS if inv in found or self.run_counts[inv]]

    def violated(self) -> list[str]:
        """The broken invariants that count (not waived)."""
        return [inv for inv in self.broken() if inv not in self.waived]

    def undecided(self) -> list[str]:
        """The counted invariants nothing broke while the exploration was stopped by a bound:
        neither proven nor refuted."""
        if self.complete is not False:
            return []
        broken = set(self.broken())
        return [inv for inv in INVARIANTS if inv not in broken and inv not in self.waived]

    def held(self) -> list[str]:
        """The counted invariants decided as held (by a complete exploration, or by the runs of a
        scenario that is not explored)."""
        if self.complete is False:
            return []
        broken = set(self.broken())
        return [inv for inv in INVARIANTS if inv not in broken and inv not in self.waived]

    def verdict(self, inv: str) -> str:
        """``violated``, ``held``, ``undecided``, ``bounded`` (undecided, accepted by
        ``--allow-bounded``) or ``waived``."""
        if inv in self.waived:
            return "waived"
        if inv in self.violated():
            return "violated"
        if inv in self.undecided():
            return "bounded" if self.allow_bounded else "undecided"
        return "held"

    @property
    def witnessed(self) -> set:
        ex = self.exploration
        return set(self.run_sometimes) | (set(ex.sometimes) if ex is not None else set())

    def vacuous(self) -> list[str]:
        return [s for s in self.required if s not in self.witnessed]

    @property
    def complete(self) -> bool | None:
        return None if self.exploration is None else self.exploration.complete

    @property
    def failed(self) -> bool:
        return bool(self.violated() or self.vacuous() or
                    (self.undecided() and not self.allow_bounded))


def check_scenario(path, scenario, strategy: str | None, runs: int, max_states: int,
                   reduction: bool = False, progress=None, full_keys: bool = False,
                   ample: bool = False, workers: int = 1,
                   frontier_objects: int | None = None, symmetry: bool = False,
                   waived: frozenset = frozenset(), allow_bounded: bool = False,
                   hint=None) -> ScenarioCheck:
    """Explore (when the scenario scripts sends; with ``workers`` processes) and simulate seeds 1..``runs``.

    ``progress.update(n, note)``, when given, hears of each step done: the exploration (one step,
    with the states reached so far in ``note`` while it runs) and each seeded run (one step each)."""
    from simulations.engine.simulator import simulate
    from simulations.explore.explorer import explore
    start = time.perf_counter()
    name = strategy or scenario.strategy
    from simulations.explore.counterexample import portable_path
    result = ScenarioCheck(portable_path(path), scenario.name, name, runs, required_sometimes(scenario),
                           waived=frozenset(waived), allow_bounded=allow_bounded)
    say = progress.update if progress is not None else (lambda n, note=None: None)
    if scenario.sends:
        say(0, f"{scenario.name}: exploring")
        progress = lambda states, _moves, depth, frontier: say(
            0, f"{scenario.name}: exploring, {states:,} states, depth {depth}, frontier {frontier:,}")
        if workers > 1:
            from simulations.explore.parallel import explore_workers
            result.exploration = explore_workers(scenario, name, workers=workers, max_states=max_states,
                                                 ample=ample, full_keys=full_keys, progress=progress,
                                                 frontier_objects=frontier_objects, hint=hint)
        else:
            result.exploration = explore(scenario, name, max_states=max_states, reduction=reduction,
                                         ample=ample, full_keys=full_keys, progress=progress,
                                         frontier_objects=frontier_objects, symmetry=symmetry,
                                         hint=hint)
        say(1)
        result.explore_seconds = time.perf_counter() - start
        if not result.exploration.complete:
            result.warnings.append(f"exploration incomplete: stopped at --max-states {max_states}; "
                                   "the invariants it did not see broken are undecided")
        from simulations.explore.explorer import Model
        from simulations.explore.views import annotated
        model = Model(scenario, name)
        for inv, steps in result.exploration.paths.items():
            result.annotated[inv] = annotated(model, steps, result.exploration.violations[inv])
    else:
        result.skipped = "no [[sends]]: a random workload is simulated, not explored"
    for seed in range(1, runs + 1):
        say(0, f"{scenario.name}: run seed {seed}/{runs}")
        r = simulate(scenario, strategy=name, seed=seed)
        say(1)
        result.run_sometimes |= r.sometimes
        for w in r.warnings:
            if w not in result.warnings:
                result.warnings.append(w)
        for inv, n in r.violations.items():
            if n:
                result.run_counts[inv] += n
                result.run_failing[inv] += 1
                ex = r.examples.get(inv, {})
                best = result.run_first.get(inv)
                if best is None or ex.get("seq", 0) < best[1].get("seq", 0):
                    result.run_first[inv] = (seed, ex)  # the fewest trace records before it
    result.seconds = time.perf_counter() - start
    return result


# --- text ----------------------------------------------------------------------------------------
def counterexample_text(c: ScenarioCheck, inv: str, indent: str = "    ") -> str:
    """The shortest counterexample, numbered, with what each client saw after each step, and the
    command that replays it: the explorer's, else the first failing run's example."""
    steps = c.explored_violations.get(inv)
    if steps:
        body = c.annotated.get(inv) or "\n".join(
            f"{indent}{i:>{len(str(len(steps)))}}. {s}" for i, s in enumerate(steps, 1))
        if indent != "    ":
            body = "\n".join(line.removeprefix("    ") for line in body.splitlines())
            body = "\n".join(indent + line for line in body.splitlines())
        return f"{body}\n{indent}replay: {replay_command(c, inv)}"
    seed, ex = c.run_first[inv]
    at = f", trace record {ex['seq']}, t={ex['t']:g}s" if "seq" in ex else ""
    return (f"{indent}seed {seed}{at}: {ex.get('detail', '')}\n"
            f"{indent}reproduce: ssesim run {c.path} --strategy {c.strategy} --seed {seed} "
            f"--trace trace.jsonl")


def replay_command(c: ScenarioCheck, inv: str) -> str:
    """``ssesim run CX.json`` for a counterexample written by ``--counterexamples``, else the two
    commands that write it and replay it."""
    if inv in c.replay:
        return f"ssesim run {c.replay[inv]}"
    from simulations.explore.cxfiles import stem
    return (f"ssesim explore {c.path} --strategy {c.strategy} --counterexamples cx && ssesim run "
            f"cx/{stem(c.scenario, c.exploration.strategy, inv)}.json")


def where_found(c: ScenarioCheck, inv: str) -> str:
    parts = []
    steps = c.explored_violations.get(inv)
    if steps:
        parts.append(f"exploration ({len(steps)} steps)")
    if c.run_failing[inv]:
        parts.append(f"{c.run_failing[inv]} of {c.runs} runs ({c.run_counts[inv]} episodes)")
    return " and ".join(parts)


def report(c: ScenarioCheck) -> str:
    lines = [f"== {c.scenario} ({c.strategy}) {c.path}"]
    ex = c.exploration
    if ex is None:
        lines.append(f"  explore: skipped ({c.skipped})")
    else:
        status = "complete" if ex.complete else "INCOMPLETE"
        if ex.max_timeouts is not None:
            status += f" within {ex.max_timeouts} POST timeout{'s' * (ex.max_timeouts != 1)} ([explore].max_timeouts)"
        lines.append(f"  explore: {ex.states} states, {ex.transitions} transitions, {status}, "
                     f"{ex.seconds:.2f}s")
    lines.append(f"  runs: seeds 1..{c.runs}" if c.runs else "  runs: none (--runs 0)")
    for w in c.warnings:
        lines.append(f"  WARNING: {w}")
    for inv in c.violated():
        lines.append(f"  FAIL {inv}: {where_found(c, inv)}")
        lines.append(counterexample_text(c, inv))
    undecided = c.undecided()
    if undecided and c.allow_bounded:
        lines.append(f"  bounded (accepted by --allow-bounded): {', '.join(undecided)}: not seen broken "
                     f"within the {ex.states:,} states reached nor in the runs")
    elif undecided:
        lines.append(f"  UNDECIDED: {', '.join(undecided)}: the exploration stopped at {ex.states:,} "
                     "states before deciding them (runs did not break them); raise --max-states, "
                     "bound the scenario ([explore].max_timeouts), or accept the bound with "
                     "--allow-bounded")
    for inv in INVARIANTS:
        if inv in c.waived:
            what = f"violated: {where_found(c, inv)}" if inv in c.broken() else "not broken"
            lines.append(f"  WAIVED {inv} ({what}; not counted: --invariants/--ignore)")
    held = c.held()
    if held:
        lines.append(f"  ok: {', '.join(held)}")
    seen = [s for s in c.required if s in c.witnessed]
    if seen:
        lines.append(f"  witnessed: {', '.join(seen)}")
    for s in c.vacuous():
        lines.append(f"  VACUOUS: {s} never witnessed (not in exploration, not in {c.runs} runs): "
                     "the check proved nothing about it")
    return "\n".join(lines)


CELL = {"held": "ok", "violated": "FAIL", "undecided": "?", "bounded": "~", "waived": "w"}


def matrix(checks: list[ScenarioCheck]) -> str:
    """The scenario × invariant verdicts as a text table, one row per checked scenario."""
    names = [f"{c.scenario} ({c.strategy})" for c in checks]
    first = max([len("scenario"), *map(len, names)])
    head = "  ".join([f"{'scenario':<{first}}", *INVARIANTS])
    rows = [head]
    used = set()
    for name, c in zip(names, checks):
        cells = []
        for inv in INVARIANTS:
            cell = CELL[c.verdict(inv)] + ("!" if inv in c.waived and inv in c.broken() else "")
            used.add(cell)
            cells.append(f"{cell:<{len(inv)}}")
        rows.append("  ".join([f"{name:<{first}}", *cells]).rstrip())
    legend = [f"{cell} {meaning}" for cell, meaning in LEGEND if cell in used]
    return "\n".join(rows + [f"({' | '.join(legend)})"])


LEGEND = (("ok", "held"), ("FAIL", "violated"), ("?", "undecided: a bound stopped the exploration"),
          ("~", "undecided, accepted by --allow-bounded"), ("w", "waived"), ("w!", "waived, violated"))


# --- JUnit XML -----------------------------------------------------------------------------------
def junit_xml(checks: list[ScenarioCheck]) -> bytes:
    """One testsuite per scenario; a testcase per invariant and per required sometimes property.

    Every checker runs over the same exploration and runs, so a scenario's measured time is shared
    out evenly between its testcases (they add up to the suite's time). Undecided, accepted-bounded
    and waived invariants are skipped testcases, with the reason."""
    import xml.etree.ElementTree as ET
    root = ET.Element("testsuites", name="ssesim check")
    total = failures = skipped = 0
    for c in checks:
        suite = ET.SubElement(root, "testsuite", name=c.scenario)
        props = ET.SubElement(suite, "properties")
        ex = c.exploration
        values = {"file": c.path, "strategy": c.strategy, "runs": c.runs,
                  "explored": ex is not None, "complete": "n/a" if ex is None else ex.complete,
                  "allow_bounded": c.allow_bounded,
                  "waived": ",".join(i for i in INVARIANTS if i in c.waived)}
        if ex is not None:
            values.update(states=ex.states, transitions=ex.transitions,
                          explore_seconds=f"{c.explore_seconds:.3f}")
        values["runs_seconds"] = f"{max(c.seconds - c.explore_seconds, 0.0):.3f}"
        for k, v in values.items():
            ET.SubElement(props, "property", name=k, value=str(v).lower() if isinstance(v, bool)
                          else str(v))
        classname = f"{c.scenario}[{c.strategy}]"
        n = len(INVARIANTS) + len(c.required)
        each = f"{c.seconds / n:.6f}"
        n_fail = n_skip = 0
        for inv in INVARIANTS:
            case = ET.SubElement(suite, "testcase", classname=classname, name=inv, time=each)
            verdict = c.verdict(inv)
            if verdict == "violated":
                n_fail += 1
                failure = ET.SubElement(case, "failure", type="invariant",
                                        message=f"{inv} violated: {where_found(c, inv)}")
                failure.text = counterexample_text(c, inv, indent="")
            elif verdict in ("undecided", "bounded", "waived"):
                n_skip += 1
                ET.SubElement(case, "skipped", message=skip_reason(c, inv, verdict))
        for s in c.required:
            case = ET.SubElement(suite, "testcase", classname=classname, name=f"sometimes:{s}", time=each)
            if s not in c.witnessed:
                n_fail += 1
                ET.SubElement(case, "failure", type="vacuous",
                              message=f"VACUOUS: {s} never witnessed").text = (
                    f"{s} was witnessed neither in exploration nor in {c.runs} seeded runs")
        if c.undecided() and not c.allow_bounded:
            n_fail += 1  # the suite fails as the check does: one testcase says why
            case = ET.SubElement(suite, "testcase", classname=classname, name="bounded-search",
                                 time="0.000")
            ET.SubElement(case, "failure", type="undecided",
                          message=f"undecided: {', '.join(c.undecided())}").text = (
                f"the exploration stopped at {ex.states} states; --allow-bounded accepts it")
            n += 1
        if c.warnings:
            ET.SubElement(suite, "system-out").text = "\n".join(c.warnings)
        suite.set("tests", str(n))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(n_skip))
        suite.set("time", f"{c.seconds:.3f}")
        total += n
        failures += n_fail
        skipped += n_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    root.set("time", f"{sum(c.seconds for c in checks):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def skip_reason(c: ScenarioCheck, inv: str, verdict: str) -> str:
    if verdict == "waived":
        what = f"violated: {where_found(c, inv)}" if inv in c.broken() else "not broken"
        return f"waived by --invariants/--ignore ({what})"
    states = c.exploration.states
    if verdict == "bounded":
        return (f"undecided, accepted by --allow-bounded: not seen broken within the {states} states "
                "the bound let the exploration reach")
    return (f"undecided: the exploration stopped at {states} states (--max-states) before deciding "
            f"{inv}; not a pass")


def write_junit(checks: list[ScenarioCheck], path: Path) -> None:
    from simulations.io.files import atomic_write, make_folder
    make_folder(Path(path).parent, "--junit")
    atomic_write(Path(path), junit_xml(checks), "--junit")
