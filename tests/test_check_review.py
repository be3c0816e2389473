"""``check`` output a reviewer can act on (issue 23, items 7 and 8): a scenario × invariant matrix,
each explored counterexample with the views after each step and the command that replays it,
``--counterexamples DIR``, JUnit with measured times; ``--invariants`` / ``--ignore`` waive
invariants, printed as waived."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from model.invariants import INVARIANTS
from simulations.cli import main
from simulations.explore.counterexample import portable_path
from simulations.io.scenario import builtin_scenarios

SCENARIOS = {p.stem: str(p) for p in builtin_scenarios()}
EAC = SCENARIOS["error-after-commit"]


def test_a_counterexample_shows_the_views_and_the_replay_command(tmp_path, capsys):
    assert main(["check", EAC, "--runs", "1", "--quiet", "--counterexamples", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    cx = tmp_path / "error-after-commit.seed.no-ghost.json"
    assert ("  FAIL no-ghost: exploration (3 steps) and 1 of 1 runs (1 episodes)\n"
            "    1. user of client 0 sends 'A' (send 0)\n"
            "       ⇒ client 0 sees ['A' …sending]\n"
            "    2. POST 'A' (send 0, attempt 1) reaches the server; fault error_after_commit\n"
            "    3. client 0 gets HTTP 500 for send 0 attempt 1 (body v1)\n"
            "       ⇒ client 0 sees []\n"
            f"    replay: ssesim run {cx}\n") in out
    assert cx.is_file() and cx.with_suffix(".mmd").is_file()
    assert main(["run", str(cx), "--check"]) == 1  # the replay command does reproduce it


def test_without_a_folder_the_replay_command_writes_it_first(capsys):
    assert main(["check", EAC, "--runs", "0", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert (f"    replay: ssesim explore {portable_path(EAC)} --strategy seed --counterexamples cx && ssesim run "
            "cx/error-after-commit.seed.no-ghost.json") in out


def test_the_summary_matrix_has_a_row_per_scenario(capsys):
    assert main(["check", EAC, SCENARIOS["two-quick-sends"], "--runs", "1", "--quiet",
                 "--strategy", "reconciled", "--max-states", "50", "--allow-bounded"]) == 0
    out = capsys.readouterr().out.splitlines()
    head = next(i for i, line in enumerate(out) if line.startswith("scenario "))
    assert out[head].split() == ["scenario", *INVARIANTS]
    assert out[head + 1].split() == ["error-after-commit", "(reconciled)", *["ok"] * 10]
    assert out[head + 2].split() == ["two-quick-sends", "(reconciled)", *["~"] * 10]
    assert out[head + 3] == "(ok held | ~ undecided, accepted by --allow-bounded)"


def test_junit_times_are_measured_and_add_up(tmp_path, capsys):
    junit = tmp_path / "j.xml"
    assert main(["check", EAC, "--runs", "3", "--quiet", "--junit", str(junit)]) == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    times = [float(c.get("time")) for c in suite.iter("testcase")]
    assert all(t > 0 for t in times)
    assert sum(times) == pytest.approx(float(suite.get("time")), abs=0.001 * len(times))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert float(props["explore_seconds"]) > 0 and float(props["runs_seconds"]) > 0


def test_ignore_waives_an_invariant_and_says_so(tmp_path, capsys):
    junit = tmp_path / "j.xml"
    args = ["check", EAC, "--runs", "1", "--quiet", "--junit", str(junit)]
    assert main([*args, "--ignore", "no-ghost,no-flicker"]) == 0
    out = capsys.readouterr().out
    assert "  WAIVED no-ghost (violated: exploration (3 steps) and 1 of 1 runs" in out
    assert "check passed: 1 scenarios, 0 failed" in out and "waived: no-ghost, no-flicker" in out
    assert "FAIL" not in out.replace("FAIL violated", "")
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["no-ghost"].find("skipped").get("message").startswith("waived by --invariants/--ignore")
    assert main([*args, "--invariants", "no-ghost"]) == 1  # only no-ghost counts, and it is broken
    out = capsys.readouterr().out
    assert "WAIVED no-flicker" in out and "FAIL no-ghost" in out and "FAIL no-flicker" not in out


def test_explore_prints_waived_invariants(capsys):
    assert main(["explore", EAC, "--ignore", "no-ghost", "--json", "--quiet"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["waived"] == ["no-ghost"] and obj["violations"]["no-ghost"]  # still checked
    assert main(["explore", EAC, "--ignore", "no-ghost", "--quiet"]) == 0
    assert "waived: no-ghost (violated, 3-step counterexample; not counted" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["--ignore", "no-such"], "unknown invariant 'no-such': choose from sse-only, "),
    (["--invariants", ","], "needs invariant ids"),
])
def test_a_bad_waiver_is_one_line_exit_2(argv, words, capsys):
    assert main(["check", EAC, *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_waiving_everything_is_bad_input(capsys):
    assert main(["check", EAC, "--ignore", ",".join(INVARIANTS)]) == 2
    assert "every invariant is waived" in capsys.readouterr().err
