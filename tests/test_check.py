"""``ssesim check``, the CI gate: exit status, counterexamples, the vacuity guard, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from model.invariants import INVARIANTS
from simulations.cli import main
from simulations.explore.checking import required_sometimes
from simulations.io.scenario import builtin_scenarios, parse_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}
FAST = ["two-quick-sends", "error-after-commit", "disconnect-resume-none", "accepted-then-dropped"]


def paths(*stems) -> list[str]:
    return [str(SCENARIOS[s]) for s in stems]


def test_seed_fails_with_numbered_counterexamples(capsys):
    assert main(["check", *paths("two-quick-sends", "error-after-commit"), "--strategy", "seed",
                 "--runs", "3"]) == 1
    out = capsys.readouterr().out
    assert "FAIL no-flicker: exploration (4 steps) and 3 of 3 runs" in out
    assert "FAIL no-ghost: exploration (3 steps)" in out
    assert "    1. user of client 0 sends 'A' (send 0)" in out
    assert out.rstrip().splitlines()[-1].startswith("check FAILED: 2 scenarios, 2 failed")


def test_reconciled_passes_where_its_exploration_completes(capsys):
    """Reconciled explores each of these completely in well under a second (≤ 200 states)."""
    assert main(["check", *paths(*FAST), "--strategy", "reconciled", "--runs", "5",
                 "--max-states", "5000"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "VACUOUS" not in out and "INCOMPLETE" not in out
    assert "check passed: 4 scenarios, 0 failed" in out
    assert "witnessed: post-failure, sse-before-response, disconnect-during-post" in out


def test_an_incomplete_exploration_leaves_undecided_invariants_that_fail_the_check(tmp_path, capsys):
    junit = tmp_path / "j.xml"
    assert main(["check", *paths("two-quick-sends"), "--strategy", "reconciled", "--runs", "1",
                 "--max-states", "20", "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "explore: 20 states" in out and "INCOMPLETE" in out
    assert "WARNING: exploration incomplete" in out
    assert "  UNDECIDED: sse-only, no-orphan, " in out and "--allow-bounded" in out
    assert "  ok:" not in out
    assert "check FAILED: 1 scenarios, 1 failed | 0 violated invariants | 0 vacuous | 10 undecided" in out
    assert "1 incomplete explorations (two-quick-sends)" in out
    root = ET.parse(junit).getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["complete"] == "false" and props["explored"] == "true"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    for inv in INVARIANTS:
        skipped = cases[inv].find("skipped")
        assert skipped is not None and skipped.get("message").startswith("undecided: ")
    assert cases["bounded-search"].find("failure").get("type") == "undecided"
    assert root.get("skipped") == "10" and root.get("failures") == "1"


def test_allow_bounded_accepts_the_bound_and_says_so(tmp_path, capsys):
    junit = tmp_path / "j.xml"
    assert main(["check", *paths("two-quick-sends"), "--strategy", "reconciled", "--runs", "1",
                 "--max-states", "20", "--allow-bounded", "--junit", str(junit)]) == 0
    out = capsys.readouterr().out
    assert "  bounded (accepted by --allow-bounded): sse-only, " in out
    assert "check passed: 1 scenarios, 0 failed" in out and "10 undecided (accepted: --allow-bounded)" in out
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "0" and root.get("skipped") == "10"
    assert "bounded-search" not in {c.get("name") for c in root.iter("testcase")}


def test_workload_scenario_is_only_simulated(capsys):
    assert main(["check", *paths("realistic"), "--strategy", "reconciled", "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert "explore: skipped (no [[sends]]" in out
    assert "witnessed: post-failure" in out


def test_a_violation_found_only_by_runs_names_the_seed_to_reproduce(capsys):
    assert main(["check", *paths("realistic"), "--strategy", "seed", "--runs", "2"]) == 1
    out = capsys.readouterr().out
    assert "FAIL no-flicker: " in out and "runs" in out
    assert "reproduce: ssesim run " in out and "realistic.toml --strategy seed --seed " in out


def test_junit_is_well_formed_with_a_suite_per_scenario(tmp_path, capsys):
    junit = tmp_path / "out" / "check.xml"
    assert main(["check", *paths("two-quick-sends", "disconnect-resume-none"), "--strategy", "seed",
                 "--runs", "2", "--junit", str(junit)]) == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["two-quick-sends", "disconnect-resume-none"]
    for suite in suites:
        cases = suite.findall("testcase")
        names = [c.get("name") for c in cases]
        assert names[:10] == list(INVARIANTS)
        assert all(n.startswith("sometimes:") for n in names[10:])
        failures = [c for c in cases if c.find("failure") is not None]
        assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failures)
    tqs = {c.get("name"): c for c in suites[0].findall("testcase")}
    failure = tqs["send-order"].find("failure")
    assert failure.get("type") == "invariant" and failure.text.startswith("1. user of client 0 sends")
    assert tqs["isolation"].find("failure") is None
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites)
    assert "sometimes:disconnect-during-post" in {c.get("name") for c in suites[1]}


def test_vacuity_guard_fails_a_check_that_never_saw_what_it_requires(tmp_path, capsys):
    """Reconciled on a scenario whose only fault is ok never rolls back: requiring "rollback" fails."""
    path = tmp_path / "vacuous.toml"
    path.write_text('name = "vacuous"\n[[sends]]\ncontent = "A"\n'
                    '[explore]\nfaults = ["ok"]\nmax_disconnects = 0\nsometimes = ["rollback", "retry"]\n')
    junit = tmp_path / "j.xml"
    assert main(["check", str(path), "--strategy", "reconciled", "--runs", "2",
                 "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "VACUOUS: rollback never witnessed" in out
    assert "VACUOUS: retry" not in out  # a timeout in exploration leads to a retry
    assert "check FAILED: 1 scenarios, 1 failed | 0 violated invariants | 1 vacuous" in out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["sometimes:rollback"].find("failure").get("type") == "vacuous"
    assert cases["sometimes:retry"].find("failure") is None


def test_an_empty_sometimes_list_requires_nothing(tmp_path, capsys):
    path = tmp_path / "none.toml"
    path.write_text('name = "none"\n[[sends]]\ncontent = "A"\n[explore]\nfaults = ["ok"]\n'
                    "max_disconnects = 0\nsometimes = []\n")
    assert main(["check", str(path), "--strategy", "reconciled", "--runs", "1"]) == 0
    assert "witnessed" not in capsys.readouterr().out


@pytest.mark.parametrize("table, expected", [
    ({"sends": [{"content": "A"}], "explore": {"faults": ["ok"], "max_disconnects": 0}},
     ("post-failure", "sse-before-response")),
    ({"sends": [{"content": "A"}], "explore": {"faults": ["ok"], "max_disconnects": 1}},
     ("post-failure", "sse-before-response", "disconnect-during-post")),
    ({"sends": [{"content": "A"}], "explore": {"faults": ["rejected"], "max_disconnects": 0}},
     ("post-failure",)),
    ({"workload": {"count": 3}}, ()),
    ({"workload": {"count": 3}, "post": {"faults": {"rejected": 0.1}}}, ("post-failure",)),
    ({"sends": [{"content": "A"}], "explore": {"sometimes": ["retry"]}}, ("retry",)),
    # [explore].max_timeouts = 0: a POST fails only by a failing fault or invalid content
    ({"sends": [{"content": "A"}], "explore": {"faults": ["ok", "request_lost"], "max_disconnects": 0,
                                               "max_timeouts": 0}}, ("sse-before-response",)),
    ({"sends": [{"content": "A"}], "explore": {"faults": ["ok", "error_before_commit"],
                                               "max_disconnects": 0, "max_timeouts": 0}},
     ("post-failure", "sse-before-response")),
    ({"sends": [{"content": ""}], "explore": {"faults": ["ok"], "max_disconnects": 0, "max_timeouts": 0}},
     ("post-failure", "sse-before-response")),
    ({"sends": [{"content": "A"}], "explore": {"faults": ["ok"], "max_disconnects": 0, "max_timeouts": 1}},
     ("post-failure", "sse-before-response")),
])
def test_default_required_sometimes(table, expected):
    assert set(required_sometimes(parse_scenario({"name": "x", **table}))) == set(expected)


@pytest.mark.parametrize("argv, where", [
    (["check", "nope.toml"], "nope.toml: no such file"),
    (["check", "X", "--runs", "-1"], "--runs: must be >= 0"),
    (["check", "X", "--max-states", "0"], "--max-states: must be >= 1"),
    (["check", "X", "--strategy", "nosuch"], "--strategy: unknown strategy 'nosuch'"),
])
def test_bad_input_is_exit_2_one_line(argv, where, capsys):
    argv = [str(SCENARIOS["two-tabs"]) if a == "X" else a for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert where in captured.err and captured.err.count("\n") == 1
    assert captured.out == ""  # nothing was checked: every file is validated first


def test_a_bad_scenario_among_good_ones_stops_before_any_work(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n")
    assert main(["check", *paths("two-tabs"), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"{bad}: name: must be a string" in captured.err


@pytest.mark.slow
def test_default_check_of_every_example_fails_on_the_seeds_races(tmp_path, capsys):
    junit = tmp_path / "all.xml"
    assert main(["check", "--runs", "5", "--junit", str(junit)]) == 1
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == len(SCENARIOS)


@pytest.mark.slow
def test_reconciled_passes_every_example(capsys):
    assert main(["check", "--strategy", "reconciled", "--runs", "20"]) == 0
