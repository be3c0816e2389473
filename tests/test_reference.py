"""The reference checker (model/reference.py) against the online Monitor, and the reference on its own.

Differential: random small scenarios (``differential_scenarios`` in tests/strategies.py) under every
built-in strategy and every planted-bug plug-in, with random seeds, are simulated with a trace; the
reference reads the trace and must find exactly the episode counts the run reported, and each
invariant's first episode at the record the run named. Quality: a checker with a planted bug (a
Monitor that miscounts one case, a reference that does) makes the comparison fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from strategies import PLUGINS, STRATEGIES, differential_scenarios, scenario_dicts

from model import reference
from model.invariants import INVARIANTS, Monitor
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASES = 2000  # generated cases (scenario × strategy × seed) in the default suite
SLOW_CASES = 10000  # under -m slow, and GENERAL_CASES from the general scenario generator
GENERAL_CASES = 2000
SCENARIOS = {p.stem: p for p in builtin_scenarios()}


@pytest.fixture(scope="module")
def trace_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("traces")


@pytest.fixture(scope="module", autouse=True)
def plugins():
    """Make ``tests.plugins`` importable whatever pytest's import mode put on sys.path."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        yield


def read_trace(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def disagreement(counts: dict, first: dict, records: list[dict]) -> str | None:
    """How online counts and first examples differ from the reference's on ``records``; None if not."""
    ref = dict.fromkeys(INVARIANTS, 0)
    ref_first: dict[str, int] = {}
    for e in reference.episodes(records):
        ref[e.invariant] += 1
        ref_first.setdefault(e.invariant, e.seq)
    problems = [f"{inv}: online {counts[inv]}, reference {ref[inv]}" for inv in INVARIANTS
                if counts[inv] != ref[inv]]
    problems += [f"{inv}: online first at record {first[inv]['seq']}, reference at {ref_first.get(inv)}"
                 for inv in INVARIANTS if inv in first and first[inv]["seq"] != ref_first.get(inv)]
    return "; ".join(problems) or None


def run_case(folder: Path, data: dict, strategy: str, seed: int, monitor: Monitor | None = None):
    """Simulate one case with a trace in ``folder``; how its Monitor (or ``monitor``, fed the same
    observations beside it) disagrees with the reference on that trace."""
    scenario = parse_scenario(dict(data, strategy=strategy), "<differential>")
    path = folder / "trace.jsonl"
    result = simulate(scenario, strategy=strategy, seed=seed, trace_path=path, observer=monitor)
    if monitor is not None:
        return disagreement(monitor.counts, monitor.first, read_trace(path))
    return disagreement(result.violations, result.examples, read_trace(path))


def check_case(folder: Path, data: dict, strategy: str, seed: int) -> None:
    problem = run_case(folder, data, strategy, seed)
    assert problem is None, f"{problem}\nstrategy {strategy}, seed {seed}, scenario {json.dumps(data)}"


CASES = st.tuples(differential_scenarios(), st.sampled_from(STRATEGIES + PLUGINS), st.integers(0, 2**16))


@settings(max_examples=DEFAULT_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=CASES)
def test_the_reference_agrees_with_the_monitor(case, trace_dir):
    check_case(trace_dir, *case)


@pytest.mark.slow
@settings(max_examples=SLOW_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=CASES)
def test_the_reference_agrees_with_the_monitor_deeper(case, trace_dir):
    check_case(trace_dir, *case)


@pytest.mark.slow
@settings(max_examples=GENERAL_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenario_dicts(max_fault_total=60), strategy=st.sampled_from(STRATEGIES + PLUGINS),
       seed=st.integers(0, 2**16))
def test_the_reference_agrees_with_the_monitor_on_general_scenarios(data, strategy, seed, trace_dir):
    """The scenario generator of the other tests: every latency form, longer horizons."""
    check_case(trace_dir, data, strategy, seed)


@pytest.mark.parametrize("name", sorted(n for n in SCENARIOS if n != "realistic"))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_reference_agrees_on_the_example_scenarios(name, strategy, trace_dir):
    path = trace_dir / f"{name}.{strategy}.jsonl"
    result = simulate(load_scenario(SCENARIOS[name]), strategy=strategy, trace_path=path)
    assert disagreement(result.violations, result.examples, read_trace(path)) is None


@pytest.mark.slow
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_reference_agrees_on_the_realistic_workload(strategy, trace_dir):
    path = trace_dir / f"realistic.{strategy}.jsonl"
    result = simulate(load_scenario(SCENARIOS["realistic"]), strategy=strategy, trace_path=path)
    assert disagreement(result.violations, result.examples, read_trace(path)) is None


# --- quality: a wrong checker is caught ------------------------------------------------------------
# The search is the differential test's own (same cases, fewer of them), stopped at the first
# disagreement: shrinking it would only cost time.
SEARCH = settings(max_examples=DEFAULT_CASES, database=None, deadline=None, phases=[Phase.generate],
                  derandomize=True, suppress_health_check=[HealthCheck.too_slow])


class FlagBlindMonitor(Monitor):
    """Misses ``sse-only`` when only the flags change outside an SSE delivery."""

    __slots__ = ()

    def view(self, t, client, cause, view):
        old = self.views[client]
        if view[0] == old[0] and view[2] != old[2]:
            cause = "sse"
        super().view(t, client, cause, view)


class RepeatCountsMonitor(Monitor):
    """Counts ``monotonic`` for a state of the same version applied again (``<=`` for ``<``)."""

    __slots__ = ()

    def apply(self, t, client, version, source):
        if version and version == self.maxv[client]:
            self._violate("monotonic", t, "the same version again")
        super().apply(t, client, version, source)


class EndBlindMonitor(Monitor):
    """Skips the end-of-run check (the SPEC's quiescence checks on a run that ends quiescent)."""

    __slots__ = ()

    def end(self, t, checked):
        super().end(t, False)


class OffByOneMonitor(Monitor):
    """Reports one flicker too many whenever it saw any: a wrong count, not a wrong path."""

    __slots__ = ()

    def end(self, t, checked):
        super().end(t, checked)
        if self.counts["no-flicker"]:
            self.counts["no-flicker"] += 1


@pytest.mark.parametrize("mutant", [FlagBlindMonitor, RepeatCountsMonitor, EndBlindMonitor, OffByOneMonitor])
def test_a_monitor_with_a_planted_bug_disagrees_with_the_reference(mutant, trace_dir):
    data, strategy, seed = find(CASES, lambda case: run_case(trace_dir, *case, monitor=mutant()) is not None,
                                settings=SEARCH)
    assert run_case(trace_dir, data, strategy, seed) is None  # the real Monitor agrees on that case


def test_a_reference_with_a_planted_bug_disagrees_with_the_monitor(trace_dir, monkeypatch):
    """A reference whose convergence ignores the flags (a plausible slip) is caught too."""

    def flag_blind(view, session, server):
        n, _flags = server[session]
        return not view.optimistic() and view.canonical() == [(session, i) for i in range(n)]

    monkeypatch.setattr(reference, "equals_server", flag_blind)
    data, strategy, seed = find(CASES, lambda case: run_case(trace_dir, *case) is not None, settings=SEARCH)
    assert "convergence" in run_case(trace_dir, data, strategy, seed)


# --- the reference on hand-written traces: the SPEC's fine print --------------------------------------

def trace(*records) -> list[dict]:
    """A trace from ``(kind, t, fields)`` triples, after a one-client config on session s1."""
    out = [{"seq": 1, "t": 0.0, "kind": "config", "scenario": "x", "strategy": "x", "seed": 1,
            "sessions": ["s1"]}]
    for kind, t, fields in records:
        out.append({"seq": len(out) + 1, "t": t, "kind": kind, **fields})
    return out


def view(canonical=(), optimistic=(), flags=(False, False)) -> dict:
    return {"canonical": [list(r) for r in canonical], "optimistic": list(optimistic), "flags": list(flags)}


def commit(index, send, version, flags=(False, False)):
    return ("commit", 0.1, {"session": "s1", "index": index, "send": send, "sender": "user",
                            "version": version, "typing": flags[0], "processing": flags[1]})


def test_a_rollback_that_finds_its_entry_replaced_is_no_orphan():
    records = trace(("send", 0.0, {"client": 0, "send": 0, "content": "A"}),
                    ("view", 0.0, {"client": 0, "cause": "send", "view": view(optimistic=[0])}),
                    commit(0, 0, 1),
                    ("view", 0.2, {"client": 0, "cause": "sse", "view": view([("s1", 0, 1)])}),
                    ("rollback", 0.3, {"client": 0, "send": 0, "before": view([("s1", 0, 1)]),
                                       "after": view([("s1", 0, 1)])}),
                    ("error", 0.3, {"client": 0, "send": 0}),
                    ("quiescent", 0.3, {}))
    assert reference.counts(records) == {**dict.fromkeys(INVARIANTS, 0), "no-ghost": 1}


def test_a_rollback_that_removes_a_canonical_message_is_an_orphan_and_not_sse():
    records = trace(("send", 0.0, {"client": 0, "send": 0, "content": "A"}),
                    commit(0, 0, 1),
                    ("view", 0.2, {"client": 0, "cause": "sse", "view": view([("s1", 0, 1)])}),
                    ("send", 0.25, {"client": 0, "send": 1, "content": "A"}),
                    ("view", 0.25, {"client": 0, "cause": "send", "view": view([("s1", 0, 1)], [1])}),
                    ("rollback", 0.3, {"client": 0, "send": 1, "before": view([("s1", 0, 1)], [1]),
                                       "after": view()}),
                    ("view", 0.3, {"client": 0, "cause": "timeout", "view": view()}),
                    ("error", 0.3, {"client": 0, "send": 1}))
    counts = reference.counts(records)
    assert counts["no-orphan"] == 1 and counts["sse-only"] == 1 and counts["no-flicker"] == 0


def test_two_entries_of_one_send_are_in_order_but_a_duplicate():
    records = trace(("send", 0.0, {"client": 0, "send": 0, "content": "A"}),
                    commit(0, 0, 1),
                    ("view", 0.2, {"client": 0, "cause": "sse", "view": view([("s1", 0, 1)], [0])}))
    counts = reference.counts(records)
    assert counts["send-order"] == 0 and counts["no-duplicate"] == 1


def test_the_end_check_counts_only_what_began_since_the_last_check():
    records = trace(("send", 0.0, {"client": 0, "send": 0, "content": "A"}),
                    ("view", 0.0, {"client": 0, "cause": "send", "view": view(optimistic=[0])}),
                    ("quiescent", 0.0, {}),
                    ("send", 1.0, {"client": 0, "send": 1, "content": "B"}),
                    ("view", 1.0, {"client": 0, "cause": "send", "view": view(optimistic=[0, 1])}),
                    ("end", 1.0, {"checked": True}))
    counts = reference.counts(records)
    # send 0: orphaned, diverged and lost at the quiescent instant; send 1 is new at the end: one orphan
    # and one silent loss more, but the view already differed, so no second convergence episode
    assert (counts["no-orphan"], counts["convergence"], counts["no-silent-loss"]) == (2, 1, 2)
