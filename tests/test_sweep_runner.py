"""The sweep runner: streaming rows, failures as data, resume after an interruption."""

from __future__ import annotations

import csv
import json

import pytest
from sweep_fakes import failing_run, fake_parse, fake_run, interrupted_run

import simulations
from model.errors import InputError
from simulations.io.sweep_file import load_sweep
from simulations.sweep import runner
from simulations.sweep.aggregate import aggregate, write_summary

SWEEP = """
name = "t"
strategies = ["seed", "reconciled"]
seeds = 4
[scenario]
workload.count = 20
[grid]
"post.faults.response_lost" = [0.0, 0.2]
"""


@pytest.fixture
def sweep(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SWEEP)
    return load_sweep(path, parse=fake_parse)


def rows(out):
    with (out / "runs.csv").open() as fh:
        return list(csv.DictReader(fh))


def table(out):
    """The runs as a set of rows without their wall time, and the summary as rows."""
    runs = {tuple(v for k, v in r.items() if k != "wall_time") for r in rows(out)}
    write_summary(aggregate(out), out)
    with (out / "summary.csv").open() as fh:
        return runs, list(csv.DictReader(fh))


def test_every_run_is_one_row_and_metadata_is_written(sweep, tmp_path):
    out = tmp_path / "out"
    outcome = runner.run_sweep(sweep, out, workers=2, quiet=True, run_fn=fake_run)
    assert (outcome.total, outcome.ran, outcome.failed) == (16, 16, 0)
    got = rows(out)
    assert len(got) == 16
    assert {(r["cell"], r["strategy"], r["seed"]) for r in got} == {
        (c.id, s, str(n)) for c in sweep.cells for s in sweep.strategies for n in sweep.seeds}
    assert list(got[0]) == list(runner.RUN_COLUMNS)
    assert len((out / "confirm_times.jsonl").read_text().splitlines()) == 16
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "complete"
    assert meta["ssesim_version"] == simulations.__version__
    assert meta["git_commit"] is None or len(meta["git_commit"]) == 40
    assert meta["sweep"]["seeds"] == [1, 2, 3, 4]
    assert meta["fingerprint"] == sweep.fingerprint()


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(sweep, tmp_path):
    out = tmp_path / "out"
    outcome = runner.run_sweep(sweep, out, workers=2, quiet=True, run_fn=failing_run)
    assert (outcome.ran, outcome.failed) == (16, 2)
    errors = [r for r in rows(out) if r["status"] == "error"]
    assert len(errors) == 2
    assert all(r["error"] == "RuntimeError: planted failure second line" for r in errors)
    assert "planted failure" in outcome.failures[0]
    assert aggregate(out).failed_runs == 2
    again = runner.run_sweep(sweep, out, workers=2, resume=True, quiet=True, run_fn=fake_run)
    assert (again.skipped, again.ran, again.failed) == (14, 2, 0)
    assert all(r["status"] == "ok" for r in rows(out)) and len(rows(out)) == 16


def test_resume_after_interruption_and_torn_line_gives_the_same_table(sweep, tmp_path):
    whole = tmp_path / "whole"
    runner.run_sweep(sweep, whole, workers=2, quiet=True, run_fn=fake_run)
    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        runner.run_sweep(sweep, part, workers=2, quiet=True, run_fn=interrupted_run)
    finished = rows(part)
    assert 0 < len(finished) < 16
    text = (part / "runs.csv").read_text()
    (part / "runs.csv").write_text(text[: len(text) - 25])  # a torn last line
    samples = (part / "confirm_times.jsonl").read_text()
    (part / "confirm_times.jsonl").write_text(samples + samples.splitlines()[0][:30])
    again = runner.run_sweep(sweep, part, workers=2, resume=True, quiet=True, run_fn=fake_run)
    assert again.skipped == len(finished) - 1
    assert again.skipped + again.ran == 16
    assert table(part) == table(whole)
    assert len((part / "confirm_times.jsonl").read_text().splitlines()) == 16


def test_resume_with_nothing_left_runs_nothing(sweep, tmp_path):
    out = tmp_path / "out"
    runner.run_sweep(sweep, out, workers=1, quiet=True, run_fn=fake_run)
    before = (out / "runs.csv").read_text()
    again = runner.run_sweep(sweep, out, workers=1, resume=True, quiet=True, run_fn=fake_run)
    assert (again.skipped, again.ran) == (16, 0)
    assert (out / "runs.csv").read_text() == before


def test_output_folder_problems_are_input_errors(sweep, tmp_path):
    out = tmp_path / "out"
    runner.run_sweep(sweep, out, workers=1, quiet=True, run_fn=fake_run)
    with pytest.raises(InputError, match="--resume"):
        runner.run_sweep(sweep, out, workers=1, quiet=True, run_fn=fake_run)
    other = tmp_path / "other.toml"
    other.write_text(SWEEP.replace("[0.0, 0.2]", "[0.0, 0.3]"))
    with pytest.raises(InputError, match="cannot resume: the grid changed"):
        runner.run_sweep(load_sweep(other, parse=fake_parse), out, resume=True, quiet=True,
                         run_fn=fake_run)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        runner.run_sweep(sweep, tmp_path / "file", quiet=True, run_fn=fake_run)


def test_in_flight_runs_stay_bounded(sweep):
    pulled, limit = [0], 4 * 2

    def tasks():
        for i in range(60):
            pulled[0] += 1
            yield sweep.cells[0], "seed", i, sweep.scenario_data(sweep.cells[0]), "src"

    seen = 0
    for _task, (error, payload, _wall) in runner._pool_results(tasks(), fake_run, 2):
        seen += 1
        assert error is None and payload["result"]["sends"] == 20
        assert pulled[0] - seen <= limit
    assert seen == 60


def test_run_row_flattens_the_contract_json():
    payload = fake_run({}, "src", "seed", 1)
    row = dict(zip(runner.RUN_COLUMNS, runner.run_row("main", "c", "seed", 1, None, payload, 0.5)))
    assert row["violations.no-flicker"] == str(payload["result"]["violations"]["no-flicker"])
    assert row["metrics.confirm_time.p50"] == ""
    assert row["metrics.stuck"] == "0"
    assert set(runner.flatten(payload["result"])) - {"scenario", "strategy", "seed"} <= set(
        runner.RUN_COLUMNS)
