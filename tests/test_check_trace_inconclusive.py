"""``check-trace`` does not pass a trace that checks nothing (issue 23, item 3): exit 3 and one line
saying which of the five cases it is; a violation in such a trace is still exit 1."""

from __future__ import annotations

import json

import pytest

from simulations.cli import main
from simulations.cli.check_trace import INCONCLUSIVE
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario, parse_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


def recorded(tmp_path, stem: str, strategy: str) -> list[dict]:
    path = tmp_path / "source.jsonl"
    simulate(load_scenario(SCENARIOS[stem]), strategy=strategy, trace_path=path)
    return [json.loads(line) for line in path.read_text().splitlines()]


def check(tmp_path, capsys, records) -> tuple[int, str]:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    status = main(["check-trace", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err


def test_a_whole_clean_trace_passes(tmp_path, capsys):
    assert check(tmp_path, capsys, recorded(tmp_path, "two-tabs", "reconciled"))[0] == 0


@pytest.mark.parametrize("cut, words", [
    (1, "only the config record"),
    (10, "no end record: the trace was cut"),
])
def test_a_cut_trace_is_inconclusive(tmp_path, capsys, cut, words):
    status, err = check(tmp_path, capsys, recorded(tmp_path, "two-tabs", "reconciled")[:cut])
    assert status == INCONCLUSIVE == 3
    assert err.count("\n") == 1 and "ssesim check-trace: inconclusive: " in err and words in err


def test_an_end_that_checked_nothing_is_inconclusive(tmp_path, capsys):
    records = recorded(tmp_path, "two-tabs", "reconciled")
    records[-1]["checked"] = False
    status, err = check(tmp_path, capsys, records)
    assert status == 3 and "checked: false" in err


def test_a_trace_without_sends_is_inconclusive(tmp_path, capsys):
    path = tmp_path / "quiet.jsonl"
    simulate(parse_scenario({"name": "quiet"}, source="<test>"), trace_path=path)
    assert main(["check-trace", str(path), "--json"]) == 3
    out, err = capsys.readouterr()
    assert json.loads(out)["inconclusive"].startswith("no send record")
    assert "no send record" in err


def test_a_violation_in_a_cut_trace_is_still_a_finding(tmp_path, capsys):
    records = recorded(tmp_path, "error-after-commit", "seed")
    assert check(tmp_path, capsys, records)[0] == 1
    cut = [r for r in records if r["kind"] != "end"]
    status, err = check(tmp_path, capsys, cut)
    assert status == 1 and "no end record" in err
