"""``ssesim sweep`` end to end on the real engine: exit codes, one-line errors, files written."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulations.cli import main
from simulations.io.sweep_file import BUILTIN_SWEEPS, load_sweep
from simulations.sweep.runner import RUN_COLUMNS, flatten

SMALL = """
name = "small"
base = "{base}"
strategies = {strategies}
seeds = 2
[scenario]
workload.count = 6
[grid]
"post.faults.response_lost" = [0.0, 0.5]
"""


def write(tmp_path, strategies='["seed", "reconciled"]', extra=""):
    from simulations.io.scenario import BUILTIN_DIR

    path = tmp_path / "small.toml"
    path.write_text(SMALL.format(base=BUILTIN_DIR / "realistic.toml", strategies=strategies)
                    + extra)
    return path


def test_sweep_runs_and_writes_everything(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(write(tmp_path)), "--out", str(out), "--workers", "2",
                 "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert "small: 8 runs (0 already done, 8 run" in stdout and "0 failed" in stdout
    for name in ("runs.csv", "confirm_times.jsonl", "meta.json", "summary.csv", "summary.md",
                 "report.md", "plots/confirm-cdf.png", "plots/main-anomalies-vs-post_faults_response_lost.svg"):
        assert (out / name).exists(), name
    with (out / "runs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows)
    assert main(["sweep", str(write(tmp_path)), "--out", str(out), "--resume", "--quiet"]) == 0
    assert "(8 already done, 0 run" in capsys.readouterr().out


def test_engine_json_fits_the_csv_columns():
    from simulations.sweep.runner import execute_run

    payload = execute_run({"workload": {"count": 3}}, "t", "reconciled", 1)
    keys = set(flatten(payload["result"])) - {"scenario", "strategy", "seed"}
    assert keys <= set(RUN_COLUMNS), keys - set(RUN_COLUMNS)
    assert len(payload["confirm_times"]) == payload["result"]["metrics"]["confirm_time"]["count"]


def test_a_raising_run_is_recorded_and_exit_is_1(tmp_path, capsys):
    out = tmp_path / "out"
    path = write(tmp_path, strategies='["seed", "sweep_plugins:Exploding"]')
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "planted bug: on_timeout" in err and "run(s) failed" in err
    with (out / "runs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    failed = [r for r in rows if r["status"] == "error"]
    assert len(rows) == 8 and failed
    assert all(r["strategy"] == "sweep_plugins:Exploding" for r in failed)
    assert all("response_lost=0.5" in r["cell"] for r in failed)
    assert (out / "report.md").exists()
    assert json.loads((out / "meta.json").read_text())["failed_runs"] == len(failed)


@pytest.mark.parametrize(("extra", "key"), [
    ("bogus = 1\n", "bogus"),
    ('[grids.x]\n"sse.resume" = ["snapshot", "sometimes"]\n', "grids.x.sse.resume"),
    ('[grids.x]\n"post.timeout" = [-1.0]\n', "grids.x.post.timeout"),
    ('[grids.x]\n"sse.disconect_rate" = [0.1]\n', "grids.x.sse.disconect_rate"),
])
def test_bad_sweep_file_is_exit_2_one_line(tmp_path, capsys, extra, key):
    path = write(tmp_path)
    text = path.read_text()
    path.write_text(extra + text if not extra.startswith("[") else text + extra)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith(f"ssesim sweep: error: {path}: {key}:"), err
    assert not out.exists()  # nothing runs before every grid point is validated


def test_bad_output_folder_and_arguments_are_exit_2(tmp_path, capsys):
    path = write(tmp_path)
    (tmp_path / "file").write_text("")
    assert main(["sweep", str(path), "--out", str(tmp_path / "file"), "--quiet"]) == 2
    assert "output folder is a file" in capsys.readouterr().err
    assert main(["sweep", str(path), "--workers", "0"]) == 2
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


POSITIVE = "ssesim report: error: argument --workers: must be an integer >= 1, got "


@pytest.mark.parametrize(("argv", "problem"), [
    (["report", "--workers", "0"], POSITIVE + "'0'"),
    (["report", "--workers", "-2"], POSITIVE + "'-2'"),
    (["sweep", "quick", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "ssesim sweep: error: argument --scheduler: not allowed with argument --workers"),
])
def test_workers_must_be_positive_and_not_given_with_a_scheduler(tmp_path, capsys, argv, problem):
    """Refused while parsing: nothing runs and nothing is written."""
    assert main([*argv, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith(f"{problem} (see `ssesim ")
    assert not (tmp_path / "o").exists()


def test_missing_dask_is_one_line(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    code = main(["sweep", str(write(tmp_path)), "--out", str(tmp_path / "o"), "--quiet",
                 "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 2
    assert "pip install 'ssesim[dask]'" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted(BUILTIN_SWEEPS.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_sweeps_are_valid(path):
    sweep = load_sweep(path)
    assert sweep.run_count > 0


_WRONG = {
    "name": st.one_of(st.integers(), st.booleans(), st.just(""), st.lists(st.text(), max_size=2)),
    "strategies": st.one_of(st.text(max_size=5), st.just([]), st.lists(st.integers(), min_size=1),
                            st.just(["seed", "seed"]), st.text("xyz", min_size=1).map(lambda s: [s])),
    "seeds": st.one_of(st.integers(max_value=0), st.floats(allow_nan=False), st.booleans(),
                       st.text(max_size=3), st.just([]), st.lists(st.integers(max_value=-1),
                                                                  min_size=1)),
    "grid": st.one_of(st.integers(), st.text(max_size=3), st.just({}),
                      st.dictionaries(st.sampled_from(["post.timeout", "sse.delay"]),
                                      st.integers() | st.text(max_size=3), min_size=1)),
    "base": st.one_of(st.integers(), st.just("missing.toml")),
}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(_WRONG)).flatmap(lambda k: st.tuples(st.just(k), _WRONG[k])))
def test_random_wrong_values_name_file_and_key(tmp_path, capsys, case):
    key, value = case
    data = {"name": "h", "strategies": ["seed"], "seeds": 1, key: value}
    path = tmp_path / "h.toml"
    path.write_text(_toml(data))
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"ssesim sweep: error: {path}: {key}"), err


def _toml(data: dict) -> str:
    """Just enough TOML for the sweep tests: scalars, arrays, and one level of tables."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
        return "[" + ", ".join(value(x) for x in v) + "]"

    top = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [f"[{k}]\n" + "".join(f"{json.dumps(a)} = {value(b)}\n" for a, b in v.items())
              for k, v in data.items() if isinstance(v, dict)]
    return "\n".join(top) + "\n" + "".join(tables)
