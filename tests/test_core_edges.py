"""Edge cases of the core: a zero-delay livelock, malformed traces the replayer must refuse."""

from __future__ import annotations

import json

import pytest

from simulations.cli import main
from simulations.engine import simulator as engine

LIVELOCK = """until = 5.0
[post]
request_latency = 1.0
timeout = 0.0
[strategy_options]
retry_backoff = 0.0
retry_backoff_max = 0.0
request_deadline = 0.0
[[sends]]
content = "A"
"""


def test_zero_delay_retry_loop_is_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(engine, "STALL_STEPS", 2000)
    path = tmp_path / "livelock.toml"
    path.write_text(LIVELOCK)
    assert main(["run", str(path), "--strategy", "reconciled"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "time stopped advancing" in err[0] and str(path) in err[0]


CONFIG = {"seq": 1, "t": 0.0, "kind": "config", "scenario": "x", "strategy": "seed", "seed": 1,
          "sessions": ["s1"]}


@pytest.mark.parametrize("records, key", [
    ([CONFIG, {"seq": 2, "t": float("nan"), "kind": "quiescent"}], "line 2: t"),
    ([CONFIG, CONFIG], "line 2"),
    ([{**CONFIG, "sessions": [1]}], "line 1: sessions"),
    ([CONFIG, {"seq": 2, "t": 0.1, "kind": "flags", "session": "zz", "version": 1, "typing": True,
               "processing": True}], "line 2: session"),
])
def test_malformed_trace_names_the_line(tmp_path, capsys, records, key):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert main(["check-trace", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and key in err[0]


def test_plugin_from_the_working_folder_loads_under_the_console_script(tmp_path):
    """SPEC §6: `ssesim` and `python -m simulations` are the same command, so a `module:Class`
    of the working folder loads under both (an isolated interpreter has no cwd on sys.path,
    like the console script)."""
    import subprocess
    import sys
    (tmp_path / "myplug.py").write_text(
        "from model.strategies import Seed\n\nclass Mine(Seed):\n    name = 'mine'\n")
    (tmp_path / "s.toml").write_text('[[sends]]\nat = 0.0\ncontent = "A"\n')
    code = ("import sys; from simulations.cli import main; "
            "sys.exit(main(['run', 's.toml', '--strategy', 'myplug:Mine', '--json']))")
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["strategy"] == "mine"


def test_a_run_that_never_becomes_quiescent_stops_at_the_horizon_with_a_warning(capsys):
    """reconciled retries an always-failing POST forever: the run stops HORIZON simulated seconds
    after the last input, unchecked (like `until`), flags itself stuck and warns."""
    from simulations.io.scenario import parse_scenario
    d = {"post": {"faults": {"error_before_commit": 1.0}}, "sends": [{"at": 2.0, "content": "A"}]}
    r = engine.simulate(parse_scenario(d, "<forever>"), strategy="reconciled")
    assert r.metrics["end_time"] == 2.0 + engine.HORIZON and r.metrics["stuck"]
    assert any("not quiescent" in w for w in r.warnings)
    assert r.violations["no-silent-loss"] == 0  # nothing checked at a forced end
    d["until"] = 50.0  # `until` below the horizon: a plain bounded run, no warning
    r = engine.simulate(parse_scenario(d, "<bounded>"), strategy="reconciled")
    assert r.metrics["end_time"] == 50.0 and not r.metrics["stuck"] and not r.warnings
