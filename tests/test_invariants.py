"""Each of the ten invariants of SPEC §3 holds in one small scripted run and breaks in another.

A breaking run is the smallest ordering of the race (RESEARCH.md) under a strategy that has it; the holding
run is the same scenario under a strategy that removes it. ``isolation`` only breaks with a deliberately
broken plug-in (tests/plugins/leaky.py), and the rollback half of ``no-orphan`` with another one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from strategies import to_toml

from model.compiled import own_slots
from model.invariants import INVARIANTS
from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.io.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def plugins(monkeypatch):
    """Make ``tests.plugins`` importable whatever pytest's import mode put on sys.path."""
    monkeypatch.syspath_prepend(str(ROOT))


def scenario(sends, **tables) -> dict:
    """A scripted scenario table with constant latencies (POST legs 0.1 s, SSE 0.05 s): fully determined."""
    d = {"post": {"request_latency": 0.1, "response_latency": 0.1, "timeout": 10.0},
         "sse": {"delay": 0.05}, "sends": sends}
    for name, table in tables.items():
        if isinstance(table, dict) and isinstance(d.get(name), dict):
            d[name] = {**d[name], **table}
        else:
            d[name] = table
    return d


def violations(d: dict, strategy: str) -> dict[str, int]:
    return simulate(parse_scenario(d, "<test>"), strategy=strategy).violations


TWO_QUICK_SENDS = scenario([{"at": 0.0, "content": "A"}, {"at": 0.12, "content": "B"}])
ACCEPTED_DROPPED = scenario([{"at": 0.0, "content": "A", "fault": "accepted_dropped"}])
ERROR_AFTER_COMMIT = scenario([{"at": 0.0, "content": "A", "fault": "error_after_commit"}],
                              post={"timeout": 2.0}, strategy_options={"request_deadline": 2.0})
RESPONSE_LOST = scenario([{"at": 0.0, "content": "A", "fault": "response_lost"}],
                         post={"timeout": 1.0}, strategy_options={"request_deadline": 1.0})
RESUME_NONE = scenario([{"at": 0.0, "content": "A"}], sse={"resume": "none"},
                       events=[{"at": 0.12, "kind": "sse-disconnect"}])
OLD_STREAM = scenario([{"at": 0.0, "content": "A"}, {"at": 0.4, "content": "B"}],
                      sse={"reconnect_delay": 0.2, "old_stream_drains": True, "old_stream_delay": 1.0},
                      events=[{"at": 0.12, "kind": "sse-disconnect"}])
OVERTAKING = scenario([{"at": 0.0, "content": "A", "request_latency": 0.5},
                       {"at": 0.1, "content": "B", "request_latency": 0.05}])
TWO_TABS = scenario([{"at": 0.0, "client": 0, "content": "A"}, {"at": 0.02, "client": 1, "content": "B"}],
                    clients=[{"session": "s1"}, {"session": "s1"}])
TWO_SESSIONS = scenario([{"at": 0.0, "client": 0, "content": "A"}, {"at": 0.05, "client": 1, "content": "B"},
                         {"at": 0.16, "client": 0, "content": "C"}],
                        clients=[{"session": "s1"}, {"session": "s2"}])
# A is rejected at 0.1 (answer at 0.2) while B's slow POST is still in flight: the rollback must keep B.
ROLLBACK_WITH_PEER = scenario([{"at": 0.0, "content": "A", "fault": "rejected"},
                               {"at": 0.05, "content": "B", "request_latency": 1.0}])

# invariant -> (scenario, strategy that breaks it, episodes, strategy that keeps it)
CASES = {
    "sse-only": (TWO_TABS, "dual-write", 1, "seed"),
    "no-orphan": (ACCEPTED_DROPPED, "seed", 1, "reconciled"),
    "no-ghost": (ERROR_AFTER_COMMIT, "seed", 1, "reconciled"),
    "no-flicker": (TWO_QUICK_SENDS, "seed", 1, "reconciled"),
    "no-duplicate": (RESPONSE_LOST, "seed-retry", 2, "reconciled"),
    "convergence": (RESUME_NONE, "seed", 1, "reconciled"),
    "monotonic": (OLD_STREAM, "seed", 1, "reconciled"),
    "isolation": (TWO_SESSIONS, "tests.plugins.leaky:Leaky", 2, "seed"),
    "send-order": (OVERTAKING, "seed", 1, "reconciled"),
    "no-silent-loss": (ACCEPTED_DROPPED, "seed", 1, "reconciled"),
}


def test_every_invariant_has_a_case():
    assert set(CASES) == set(INVARIANTS)


@pytest.mark.parametrize("invariant", INVARIANTS)
def test_invariant_breaks(invariant, plugins):
    d, breaker, episodes, _ = CASES[invariant]
    assert violations(d, breaker)[invariant] == episodes


@pytest.mark.parametrize("invariant", INVARIANTS)
def test_invariant_holds(invariant, plugins):
    d, _, _, keeper = CASES[invariant]
    assert violations(d, keeper)[invariant] == 0


def test_no_orphan_counts_a_rollback_that_removes_another_entry(plugins):
    assert violations(ROLLBACK_WITH_PEER, "tests.plugins.greedy_rollback:GreedyRollback")["no-orphan"] == 1
    assert violations(ROLLBACK_WITH_PEER, "seed")["no-orphan"] == 0


def test_a_rollback_that_finds_its_entry_replaced_is_no_orphan_episode():
    # The seed's rollback after the snapshot already replaced A's entry removes nothing (SPEC §3).
    assert violations(ERROR_AFTER_COMMIT, "seed")["no-orphan"] == 0


def test_no_silent_loss_is_not_counted_for_a_validation_error():
    d = scenario([{"at": 0.0, "content": ""}, {"at": 0.1, "content": "x" * 5}], server={"max_message_length": 4})
    for strategy in ("seed", "dual-write", "seed-retry", "reconciled"):
        r = simulate(parse_scenario(d, "<test>"), strategy=strategy)
        assert r.total_violations == 0
        assert (r.sends, r.committed, r.metrics["posts"], r.metrics["errors_shown"]) == (2, 0, 0, 2)


def test_unconfirmed_is_neither_error_nor_rollback():
    d = scenario([{"at": 0.0, "content": "A", "fault": "request_lost"}], post={"timeout": 1.0},
                 strategy_options={"retries": 1, "request_deadline": 1.0})
    r = simulate(parse_scenario(d, "<test>"), strategy="reconciled")
    assert r.total_violations == 0
    assert (r.metrics["unconfirmed"], r.metrics["errors_shown"], r.committed) == (1, 0, 1)


def test_isolation_breaks_through_the_command_line(tmp_path, capsys, plugins):
    path = tmp_path / "two-sessions.toml"
    path.write_text(to_toml(TWO_SESSIONS))
    assert main(["run", str(path), "--strategy", "tests.plugins.leaky:Leaky", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["strategy"] == "leaky"
    assert out["violations"]["isolation"] == 2
    assert main(["run", str(path), "--strategy", "seed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["violations"]["isolation"] == 0


def test_example_plugin_removes_the_stale_overwrite(tmp_path, capsys, plugins):
    path = tmp_path / "old-stream.toml"
    path.write_text(to_toml(OLD_STREAM))
    assert main(["run", str(path), "--strategy", "tests.plugins.example:VersionedSeed", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["strategy"] == "versioned-seed"
    assert out["violations"]["monotonic"] == 0
    assert out["violations"]["convergence"] == 0
    assert violations(OLD_STREAM, "seed")["monotonic"] == 1


def test_clone_monitor_sets_every_slot_and_copies_the_state():
    from model.invariants import Monitor, clone_monitor, monitor_key

    data = scenario([{"at": 0.0, "content": "A"}, {"at": 0.1, "content": "B"}])
    monitor = Monitor()
    simulate(parse_scenario(data), observer=monitor)
    copy = clone_monitor(monitor)
    assert all(hasattr(copy, name) for k in Monitor.__mro__ for name in own_slots(k))
    assert monitor_key(copy) == monitor_key(monitor)
    assert copy.views is not monitor.views and copy.cnt[0] is not monitor.cnt[0]
