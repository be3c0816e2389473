"""SPEC v3.2 §2.4: the model follows a browser's EventSource. A reconnect carries the id of the last
event received, none before the first (race A13: nothing is replayed); an HTTP error on a reconnect
closes the EventSource for good (race A14), unless the strategy reopens one; ``snapshot-always`` is
the server-side fix for A13. Through the public interfaces: the CLI, ``simulate``, ``explore``."""

from __future__ import annotations

import json

import pytest

from model.strategies import BUILTIN
from model.vocab import Reopen
from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.explore.explorer import explore
from simulations.io.scenario import (
    builtin_scenarios,
    load_scenario,
    load_scenario_data,
    parse_scenario,
)

EXAMPLES = {p.stem: p for p in builtin_scenarios()}


def broken(result) -> dict:
    return {k: v for k, v in result.violations.items() if v}


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def variant(stem: str, **tables) -> dict:
    """The raw table of example ``stem`` with some tables' keys replaced."""
    data = load_scenario_data(EXAMPLES[stem])
    for table, keys in tables.items():
        if isinstance(keys, dict):
            data[table] = {**data.get(table, {}), **keys}
        else:
            data[table] = keys
    return data


# --- A13: a reconnect without an id ---------------------------------------------------------------
@pytest.mark.parametrize(("strategy", "expected"), [
    ("seed", {"no-orphan": 1, "convergence": 1}), ("seed-retry", {"no-orphan": 1, "convergence": 1}),
    ("dual-write", {"sse-only": 1}), ("reconciled", {})])
def test_a_drop_before_the_first_event_gets_nothing_replayed(strategy, expected, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = simulate(load_scenario(EXAMPLES["drop-before-first-event"]), strategy=strategy,
                      trace_path=trace)
    assert broken(result) == expected
    reconnect = next(r for r in records(trace) if r["kind"] == "reconnect")
    assert reconnect["resume"] == ("snapshot" if strategy == "reconciled" else "first")
    assert "refused" not in reconnect  # written only when true


def test_a_reconnect_after_an_event_carries_its_id():
    """The same drop after the first event is delivered: the reconnect carries id 1 and, with resume =
    last-event-id, the server replays what was missed; the seed then converges."""
    data = variant("drop-before-first-event", sse={"resume": "last-event-id"},
                   events=[{"at": 0.3, "client": 0, "kind": "sse-disconnect"}],
                   sends=[{"at": 0.0, "content": "A"}, {"at": 0.35, "content": "B"}])
    result = simulate(parse_scenario(data), strategy="seed")
    assert broken(result) == {}


def test_snapshot_always_fixes_a13_and_pushes_the_t0_snapshots_first(tmp_path):
    # A is sent after the t = 0 snapshot arrived (sent before it, the seed would see it wiped: A2)
    data = variant("drop-before-first-event", sse={"resume": "snapshot-always"},
                   clients=[{"session": "s1"}, {"session": "s1"}], sends=[{"at": 0.06, "content": "A"}])
    trace = tmp_path / "t.jsonl"
    result = simulate(parse_scenario(data), strategy="seed", trace_path=trace)
    assert broken(result) == {}
    recs = records(trace)
    assert [(r["kind"], r.get("client"), r.get("version")) for r in recs[1:3]] == [
        ("push", 0, 0), ("push", 1, 0)]  # before anything else, in client order
    assert next(r for r in recs if r["kind"] == "reconnect")["resume"] == "snapshot"


# --- A14: a refused reconnect ----------------------------------------------------------------------
@pytest.mark.parametrize(("stem", "strategy", "expected"), [
    ("reconnect-refused", "seed", {"no-orphan": 1, "convergence": 1}),
    ("reconnect-refused", "dual-write", {"sse-only": 1}),
    ("reconnect-refused", "reconciled", {}),
    ("reconnect-refused-typing", "seed", {"convergence": 1}),
    ("reconnect-refused-typing", "seed-retry", {"convergence": 1}),
    ("reconnect-refused-typing", "reconciled", {})])
def test_a_refused_reconnect_closes_the_eventsource_for_good(stem, strategy, expected, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = simulate(load_scenario(EXAMPLES[stem]), strategy=strategy, trace_path=trace)
    assert broken(result) == expected
    reconnects = [r for r in records(trace) if r["kind"] == "reconnect"]
    assert reconnects[0]["refused"] is True and reconnects[0]["conn"] == 1
    if strategy == "reconciled":  # it reopens after sse.reconnect_delay, asking for a snapshot
        assert [(r["conn"], r["resume"], r.get("refused", False)) for r in reconnects[1:]] == [
            (2, "snapshot", False)]
        assert reconnects[1]["t"] == pytest.approx(reconnects[0]["t"] + 0.5)
    else:  # closed for good, and the run still ends (a closed client is not pending work)
        assert len(reconnects) == 1
    assert records(trace)[-1] == {**records(trace)[-1], "kind": "end", "checked": True}


def test_a_refused_reopen_is_refused_again_and_reopened_again(tmp_path):
    data = variant("reconnect-refused", events=[{"at": 0.3, "kind": "sse-disconnect", "refuse": 2}])
    trace = tmp_path / "t.jsonl"
    result = simulate(parse_scenario(data), strategy="reconciled", trace_path=trace)
    assert broken(result) == {}
    assert [(r["conn"], r.get("refused", False)) for r in records(trace) if r["kind"] == "reconnect"] == [
        (1, True), (2, True), (3, False)]


def test_a_disconnect_that_does_nothing_sets_no_refusal():
    """Two scripted drops; the second comes while disconnected and asks for a refusal: ignored."""
    data = variant("reconnect-refused", events=[{"at": 0.3, "kind": "sse-disconnect"},
                                                {"at": 0.4, "kind": "sse-disconnect", "refuse": 1}])
    assert broken(simulate(parse_scenario(data), strategy="seed")) == {}


def test_a_refusal_probability_is_drawn_only_when_above_zero(tmp_path):
    base = variant("two-tabs", sse={"disconnect_rate": 5.0})
    plain, zero = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    simulate(parse_scenario(base), strategy="seed", seed=3, trace_path=plain)
    simulate(parse_scenario({**base, "sse": {**base["sse"], "reconnect_refused": 0.0}}),
             strategy="seed", seed=3, trace_path=zero)
    assert plain.read_bytes() == zero.read_bytes()
    always = tmp_path / "c.jsonl"
    simulate(parse_scenario({**base, "sse": {**base["sse"], "reconnect_refused": 1.0}}),
             strategy="seed", seed=3, trace_path=always)
    reconnects = [r for r in records(always) if r["kind"] == "reconnect"]
    assert reconnects and all(r["refused"] for r in reconnects)
    # closed for good: no Poisson drop once closed, so each client drops at most once
    drops = [r["client"] for r in records(always) if r["kind"] == "disconnect"]
    assert len(drops) == len(set(drops))


class ReopensAfterTwoTenths(BUILTIN["seed"]):
    """The seed, plus: it reopens a refused EventSource after 0.2 s."""

    name = "reopener"

    def on_refused(self, t):
        return [Reopen(0.2), Reopen(0.2)]  # the second is ignored: one new EventSource per refusal


def test_a_plugin_reopens_with_its_own_delay(tmp_path):
    trace = tmp_path / "t.jsonl"
    simulate(load_scenario(EXAMPLES["reconnect-refused"]), strategy=f"{__name__}:ReopensAfterTwoTenths",
             trace_path=trace)
    reconnects = [r for r in records(trace) if r["kind"] == "reconnect"]
    assert [(r["t"], r["conn"], r["resume"]) for r in reconnects] == [
        (0.8, 1, "snapshot"), (1.0, 2, "first")]  # a new EventSource carries no id: B is lost


# --- the explorer ------------------------------------------------------------------------------------
def test_the_explorer_finds_a13_shortest():
    result = explore(load_scenario(EXAMPLES["drop-before-first-event"]), "seed")
    assert result.complete
    kinds = [step[0] for step in result.paths["convergence"]]
    assert len(kinds) == 5 and kinds[0] == "send" and kinds[-1] in ("reconnect", "response")
    assert "deliver" not in kinds and kinds.index("disconnect") < kinds.index("reconnect")


def test_the_explorer_finds_a14_only_with_a_refusal_budget():
    """With snapshot-always, A13 cannot happen: convergence breaks for the seed only when a
    reconnect may be refused, and its shortest counterexample refuses one."""
    data = variant("reconnect-refused", sse={"resume": "snapshot-always"}, events=[])
    held = explore(parse_scenario({**data, "explore": {"faults": ["ok"], "max_disconnects": 1}}), "seed")
    assert held.complete and "convergence" not in held.paths
    found = explore(parse_scenario(data), "seed")
    assert found.complete and "refuse" in [step[0] for step in found.paths["convergence"]]


@pytest.mark.parametrize("stem", ["drop-before-first-event", "reconnect-refused", "reconnect-refused-typing"])
@pytest.mark.parametrize("budget", [1, 2])
def test_reconciled_keeps_every_invariant_with_refusals(stem, budget):
    data = variant(stem, explore={"max_refusals": budget})
    result = explore(parse_scenario(data), "reconciled")
    assert result.complete and result.paths == {}


@pytest.mark.parametrize("flags", [["--reduction"], ["--ample"], []])
def test_counterexamples_with_a_refusal_replay_and_draw(flags, tmp_path, capsys):
    out = tmp_path / "cx"
    code = main(["explore", str(EXAMPLES["reconnect-refused"]), "--quiet", "--counterexamples", str(out),
                 *flags])
    assert code == 0
    printed = capsys.readouterr().out
    assert "refused (HTTP 503)" in printed or "without Last-Event-ID" in printed
    files = sorted(out.glob("*.json"))
    assert files
    for f in files:
        assert main(["run", str(f), "--json"]) == 0
    assert list(out.glob("*.mmd")) or list(out.glob("*.md")) or list(out.glob("*.svg"))


def test_check_trace_accepts_refused_reconnects_and_rejects_a_bad_flag(tmp_path, capsys):
    trace = tmp_path / "t.jsonl"
    assert main(["run", str(EXAMPLES["reconnect-refused"]), "--trace", str(trace)]) == 0
    capsys.readouterr()
    assert main(["check-trace", str(trace), "--json"]) == 1  # the seed's A14 episodes
    assert json.loads(capsys.readouterr().out)["violations"]["convergence"] == 1
    lines = trace.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if '"refused":true' in line)
    lines[i] = lines[i].replace('"refused":true', '"refused":"yes"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    assert main(["check-trace", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"line {i + 1}" in err and "refused" in err and len(err.strip().splitlines()) == 1
