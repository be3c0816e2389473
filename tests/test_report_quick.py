"""``ssesim report --quick``: the same report on low caps; each cap given on the command line wins."""

from __future__ import annotations

import pytest

from simulations.cli import build_parser
from simulations.cli.report import settings
from simulations.report import QUICK_MAX_STATES, QUICK_RUNS, REPORT_MAX_STATES, REPORT_RUNS


@pytest.mark.parametrize("argv, expected", [
    ([], ("default", REPORT_RUNS, REPORT_MAX_STATES)),
    (["--quick"], ("quick", QUICK_RUNS, QUICK_MAX_STATES)),
    (["--quick", "--max-states", "100", "--runs", "0", "--sweep", "default"], ("default", 0, 100)),
    (["--max-states", "100"], ("default", REPORT_RUNS, 100)),
])
def test_quick_caps_what_is_not_given(argv, expected):
    assert settings(build_parser().parse_args(["report", *argv])) == expected


def test_quick_is_quicker_than_the_full_report():
    assert QUICK_MAX_STATES < REPORT_MAX_STATES and QUICK_RUNS < REPORT_RUNS


def test_quick_reports_a_bad_cap_as_one_line(capsys):
    from simulations.cli import main

    assert main(["report", "--quick", "--max-states", "0", "--out", "unused"]) == 2
    assert capsys.readouterr().err.strip() == "ssesim report: error: --max-states: must be >= 1, got 0"
