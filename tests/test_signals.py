"""Killed and interrupted runs leave nothing behind: real processes, real signals (bounded waits).

- SIGKILL of ``ssesim sweep``: its worker processes exit too (they watch their parent).
- SIGTERM is handled like Ctrl-C: exit 143 (130 for SIGINT), workers stopped, no temporary file.
- SIGKILL of ``run --trace`` leaves its temporary file; the next ssesim writing into that folder
  removes it (only ssesim's own ``.NAME.PID.XXXXXXXX.tmp`` names, of processes no longer running).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulations.io.files import remove_stale_temps

ROOT = Path(__file__).resolve().parents[1]
TWO_TABS = ROOT / "simulations" / "scenarios" / "two-tabs.toml"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")

# A run long enough to be killed in the middle of (seconds; the most sends a scenario may have),
# short to write.
LONG = """name = "long"
[workload]
count = 100000
rate = 2.0
"""
SLOW_SWEEP = """name = "slow"
strategies = ["seed"]
seeds = 24
[scenario]
workload.count = 100000
workload.rate = 2.0
"""


def _start(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "simulations", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Running (a zombie, killed but not reaped by whoever adopted it, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def _kill_leftovers(pids) -> None:
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _two_workers(proc: subprocess.Popen, command: str) -> set[int]:
    """The pids of ``proc``'s first two child processes (its workers), once both are running."""
    workers: set[int] = set()

    def two():
        workers.update(_children(proc.pid))
        return len(workers) >= 2 or proc.poll() is not None
    try:
        _wait_for(two, what=f"two {command} workers")
        assert proc.poll() is None, f"the {command} ended before it could be stopped"
    except BaseException:
        _kill_leftovers(workers | {proc.pid})
        raise
    return workers


@pytest.fixture
def sweep_file(tmp_path) -> Path:
    path = tmp_path / "slow.toml"
    path.write_text(SLOW_SWEEP)
    return path


def _sweep_with_busy_workers(sweep_file: Path, out: Path) -> tuple[subprocess.Popen, set[int]]:
    proc = _start("sweep", str(sweep_file), "--out", str(out), "--workers", "2", "--quiet",
                  cwd=sweep_file.parent)
    _wait_for(lambda: len(_children(proc.pid)) >= 2 and (out / "runs.csv").exists(),
              what="two sweep workers")
    return proc, _children(proc.pid)


def test_sigkill_of_a_sweep_takes_its_workers_with_it(sweep_file, tmp_path):
    proc, workers = _sweep_with_busy_workers(sweep_file, tmp_path / "out")
    try:
        proc.kill()
        proc.wait(30)
        _wait_for(lambda: not any(_alive(w) for w in workers), timeout=30,
                  what=f"orphaned workers {workers} to exit")
    finally:
        _kill_leftovers(workers | {proc.pid})


def test_sigkill_of_a_report_takes_its_check_workers_with_it(tmp_path):
    """The report's check verdicts run in a process pool too; its workers must not outlive it."""
    proc = _start("report", "--out", "out", "--workers", "2", "--sweep", "quick", "--quiet",
                  cwd=tmp_path)
    workers = _two_workers(proc, "report")
    try:
        proc.kill()
        proc.wait(30)
        _wait_for(lambda: not any(_alive(w) for w in workers), timeout=30,
                  what=f"orphaned report workers {workers} to exit")
    finally:
        _kill_leftovers(workers | {proc.pid})


LONG_EXPLORATION = str(ROOT / "simulations" / "bench" / "two-sends-seed-retry.toml")  # minutes of work


def _explore_with_two_workers(tmp_path) -> tuple[subprocess.Popen, set[int]]:
    proc = _start("explore", LONG_EXPLORATION, "--strategy", "seed-retry", "--workers", "2", "--quiet",
                  cwd=tmp_path)
    workers = _two_workers(proc, "explore")
    time.sleep(0.5)  # into the search, past the workers' start-up
    assert proc.poll() is None, "the exploration ended before it could be stopped"
    return proc, workers


def test_sigkill_of_explore_takes_its_search_workers_with_it(tmp_path):
    proc, workers = _explore_with_two_workers(tmp_path)
    try:
        proc.kill()
        proc.wait(30)
        _wait_for(lambda: not any(_alive(w) for w in workers), timeout=30,
                  what=f"orphaned explore workers {workers} to exit")
    finally:
        _kill_leftovers(workers | {proc.pid})


@pytest.mark.parametrize("sig, status, word", [(signal.SIGTERM, 143, "terminated"),
                                               (signal.SIGINT, 130, "interrupted")])
def test_a_signal_to_explore_with_workers_is_one_line_and_stops_them(sig, status, word, tmp_path):
    proc, workers = _explore_with_two_workers(tmp_path)
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == status, err
        assert err.strip().splitlines() == [f"ssesim explore: {word}"], err
        _wait_for(lambda: not any(_alive(w) for w in workers), timeout=30, what="workers to exit")
    finally:
        _kill_leftovers(workers | {proc.pid})


def test_sigterm_of_a_sweep_is_exit_143_with_its_workers_stopped(sweep_file, tmp_path):
    out = tmp_path / "out"
    proc, workers = _sweep_with_busy_workers(sweep_file, out)
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        assert err.strip().splitlines()[-1] == "ssesim sweep: terminated" and "Traceback" not in err
        _wait_for(lambda: not any(_alive(w) for w in workers), timeout=30, what="workers to exit")
        assert _temps(out) == []
    finally:
        _kill_leftovers(workers | {proc.pid})


@pytest.mark.parametrize("sig, status, word", [(signal.SIGTERM, 143, "terminated"),
                                               (signal.SIGINT, 130, "interrupted")])
def test_an_interrupted_traced_run_leaves_no_temporary_file(sig, status, word, tmp_path):
    (tmp_path / "long.toml").write_text(LONG)
    folder = tmp_path / "traces"
    proc = _start("run", "long.toml", "--trace", "traces/t.jsonl", "--quiet", cwd=tmp_path)
    try:
        _wait_for(lambda: folder.exists() and any(p.stat().st_size > 100_000 for p in _temps(folder)),
                  what="the trace's temporary file to grow")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        _kill_leftovers({proc.pid})
    assert proc.returncode == status, err
    assert err.strip() == f"ssesim run: {word}"
    assert list(folder.iterdir()) == []  # neither the trace nor its temporary file


def test_a_killed_runs_temporary_file_is_removed_by_the_next_run_into_that_folder(tmp_path):
    (tmp_path / "long.toml").write_text(LONG)
    folder = tmp_path / "traces"
    proc = _start("run", "long.toml", "--trace", "traces/t.jsonl", "--quiet", cwd=tmp_path)
    try:
        _wait_for(lambda: folder.exists() and any(p.stat().st_size > 100_000 for p in _temps(folder)),
                  what="the trace's temporary file to grow")
        proc.kill()
        proc.wait(30)
    finally:
        _kill_leftovers({proc.pid})
    [debris] = _temps(folder)
    assert debris.name.startswith(f".t.jsonl.{proc.pid}.")
    live = folder / f".other.jsonl.{os.getpid()}.abcd1234.tmp"  # a running process's: kept
    live.write_text("in progress")
    mine = folder / "notes.tmp"  # not ssesim's name pattern: kept
    mine.write_text("a user's file")
    subprocess.run([sys.executable, "-m", "simulations", "run", str(TWO_TABS), "--trace",
                    "traces/u.jsonl"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                   check=True, capture_output=True, timeout=120)
    assert sorted(p.name for p in folder.iterdir()) == sorted([live.name, "notes.tmp", "u.jsonl"])


def test_stale_temporary_files_are_only_those_of_dead_processes(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".report.md.{dead.pid}.x1y2z3_9.tmp"
    alive = tmp_path / f".report.md.{os.getpid()}.x1y2z3_9.tmp"
    other = tmp_path / f".report.md.{dead.pid}.tmp"  # no random part: not ours
    for p in (stale, alive, other):
        p.write_text("x")
    assert remove_stale_temps(tmp_path) == [stale]
    assert sorted(tmp_path.iterdir()) == sorted([alive, other])


SWALLOWS = """
import time
from pathlib import Path
from model.strategies import Seed

class Swallows(Seed):
    name = "swallows"
    def on_send(self, t, send, content):
        Path("sleeping").touch()
        try:
            time.sleep(120)
        except KeyboardInterrupt:  # swallows the first SIGTERM, as an exception hook would
            pass
        time.sleep(120)
        return super().on_send(t, send, content)
"""


def test_a_swallowed_sigterm_is_raised_again(tmp_path):
    (tmp_path / "swallow.py").write_text(SWALLOWS)
    proc = _start("run", str(TWO_TABS), "--strategy", "swallow:Swallows", "--quiet", cwd=tmp_path)
    try:
        _wait_for(lambda: (tmp_path / "sleeping").exists(), what="the plug-in to sleep")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)  # well before the second sleep ends
    finally:
        _kill_leftovers({proc.pid})
    assert proc.returncode == 143, err
    assert err.strip() == "ssesim run: terminated"
