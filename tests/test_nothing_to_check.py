"""Nothing to check or explore is exit 2 with one line saying why, never a vacuous pass."""

from __future__ import annotations

import pytest

from simulations.cli import main
from simulations.io.scenario import builtin_scenarios

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("body, argv, why", [
    ('name = "empty"\n', [], "no [[sends]] and no [workload]: no message is ever sent"),
    ('name = "idle"\n[workload]\ncount = 0\n', [],
     "no [[sends]] and workload.count = 0: no message is ever sent"),
    ('name = "w"\n[workload]\ncount = 5\n', ["--runs", "0"],
     "no [[sends]] to explore and --runs 0: nothing is simulated"),
])
def test_check_with_nothing_to_check_is_exit_2(body, argv, why, tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(body)
    assert main(["check", str(path), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert _one_line(err) == f"ssesim check: error: {path}: nothing to check: {why}"


def test_check_refuses_before_any_work_when_one_of_several_has_nothing(tmp_path, capsys):
    empty = tmp_path / "empty.toml"
    empty.write_text('name = "empty"\n')
    assert main(["check", str(SCENARIOS["two-tabs"]), str(empty)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "nothing to check" in _one_line(err)


def test_check_with_scripted_sends_and_no_runs_still_explores(capsys):
    assert main(["check", str(SCENARIOS["two-tabs"]), "--runs", "0", "--strategy", "reconciled",
                 "--quiet"]) == 0
    assert "check passed: 1 scenarios" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["realistic"])
def test_explore_without_scripted_sends_is_exit_2(name, capsys):
    path = SCENARIOS[name]
    assert main(["explore", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert _one_line(err).startswith(f"ssesim explore: error: {path}: nothing to explore: no "
                                     "[[sends]]")


def test_explore_of_an_empty_scenario_is_exit_2(tmp_path, capsys):
    path = tmp_path / "empty.toml"
    path.write_text('name = "empty"\n[[events]]\nat = 0.5\n')
    assert main(["explore", str(path), "--json"]) == 2
    assert "nothing to explore" in _one_line(capsys.readouterr().err)
