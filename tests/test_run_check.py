"""``run --check`` and ``live --check`` are gates (issue 23, item 5): exit 1 when the run broke an
invariant, with one line naming what; without ``--check`` a finding is printed and the exit is 0."""

from __future__ import annotations

import pytest

from simulations.cli import main
from simulations.io.scenario import builtin_scenarios

SCENARIOS = {p.stem: str(p) for p in builtin_scenarios()}


@pytest.mark.parametrize("command", ["run", "live"])
def test_a_violation_fails_the_run_only_with_check(command, capsys):
    path = SCENARIOS["two-quick-sends"]
    assert main([command, path, "--strategy", "seed"]) == 0
    capsys.readouterr()
    assert main([command, path, "--strategy", "seed", "--check"]) == 1
    err = capsys.readouterr().err
    assert f"ssesim {command}: check failed: no-flicker 1" in err


@pytest.mark.parametrize("command", ["run", "live"])
def test_a_clean_run_passes_the_check(command, capsys):
    assert main([command, SCENARIOS["two-quick-sends"], "--strategy", "reconciled", "--check",
                 "--json"]) == 0
    assert "check failed" not in capsys.readouterr().err


def test_a_replayed_counterexample_fails_the_check(tmp_path, capsys):
    assert main(["explore", SCENARIOS["error-after-commit"], "--counterexamples", str(tmp_path),
                 "--quiet"]) == 0
    cx = tmp_path / "error-after-commit.seed.no-ghost.json"
    assert main(["run", str(cx)]) == 0
    assert main(["run", str(cx), "--check"]) == 1
    assert "check failed: no-ghost" in capsys.readouterr().err
