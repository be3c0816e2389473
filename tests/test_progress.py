"""Progress: a bar on a terminal with a width, plain lines anywhere else, nothing with --quiet; always
on stderr, so stdout (the JSON above all) is byte-identical with and without it."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import struct
import termios

import pytest

from simulations.cli import main
from simulations.cli.run import RunProgress
from simulations.explore import explorer
from simulations.io import progress as progress_module
from simulations.io.progress import LINE_DELAY, LINE_INTERVAL, Progress, has_width
from simulations.io.scenario import builtin_scenarios

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


@pytest.fixture(autouse=True)
def default_intervals(monkeypatch):
    """These tests see the real intervals (tests/conftest.py sets them to an hour elsewhere)."""
    monkeypatch.delenv(progress_module.LINES_ENV, raising=False)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_plain_lines_after_a_delay_then_at_an_interval_and_a_last_one():
    clock, stream = Clock(), io.StringIO()
    bar = Progress("check", 10, "steps", stream=stream, clock=clock)
    assert bar.mode == "lines"  # a StringIO is no terminal
    bar.update(1)
    assert stream.getvalue() == ""  # quick work shows nothing
    clock.now = LINE_DELAY
    bar.update(1, "two-tabs: run seed 2/5")
    clock.now += LINE_INTERVAL / 2
    bar.update(1)  # too soon for another line
    clock.now += LINE_INTERVAL / 2
    bar.update(2)
    bar.close()
    assert (LINE_DELAY, LINE_INTERVAL) == (5.0, 10.0)  # the README's promise, and the figures below
    assert stream.getvalue().splitlines() == [
        "check: 2/10 steps (20%) in 5 s, 0.4 steps/s, about 20 s left | two-tabs: run seed 2/5",
        "check: 5/10 steps (50%) in 15 s, 0.33 steps/s, about 15 s left | two-tabs: run seed 2/5",
        "check: stopped, 5/10 steps (50%) in 15 s, 0.33 steps/s | two-tabs: run seed 2/5",
    ]


def test_lines_keep_coming_while_no_update_does():
    """A long step (one exploration in a pool) still shows its time: the ticker prints due lines."""
    clock, stream = Clock(), io.StringIO()
    bar = Progress("report check", 52, "verdicts", stream=stream, clock=clock)
    bar.update(0, "seed-retry on two-sessions")
    for now in (4.9, 5.0, 14.9, 15.0, 25.0):
        clock.now = now
        bar.tick()
    bar.update(1)
    bar.close()
    assert [line.split(" | ")[0] for line in stream.getvalue().splitlines()] == [
        "report check: 0/52 verdicts (0%) in 5 s", "report check: 0/52 verdicts (0%) in 15 s",
        "report check: 0/52 verdicts (0%) in 25 s",
        "report check: stopped, 1/52 verdicts (2%) in 25 s, 0.04 verdicts/s"]


def test_the_last_line_says_done_or_stopped_as_the_work_itself_knows():
    for finished, word in ((True, "done"), (False, "stopped")):
        clock, stream = Clock(), io.StringIO()
        with Progress("explore", None, "states", stream=stream, clock=clock) as bar:
            clock.now = 50.0
            bar.set(5_000)
            bar.finished = finished  # an exploration: complete, or stopped by its bound
        assert stream.getvalue().splitlines()[-1] == f"explore: {word}, 5,000 states in 50 s, 100 states/s"


@pytest.mark.parametrize("text, intervals", [("0 0", (0.0, 0.0)), ("1,2.5", (1.0, 2.5)),
                                             ("", (LINE_DELAY, LINE_INTERVAL)),
                                             ("soon", (LINE_DELAY, LINE_INTERVAL))])
def test_the_line_intervals_can_be_set_from_the_environment(text, intervals, monkeypatch):
    monkeypatch.setenv(progress_module.LINES_ENV, text)
    assert progress_module.line_intervals() == intervals


def test_durations_and_rates_read_short():
    assert [progress_module.duration(s) for s in (4.4, 89, 90, 3000, 5400)] == [
        "4 s", "89 s", "2 min", "50 min", "1.5 h"]
    assert [progress_module.rate(r) for r in (0.333, 4, 12.5, 1234.5)] == ["0.33", "4", "12", "1,234"]


def test_quick_work_prints_not_even_a_last_line():
    stream = io.StringIO()
    with Progress("explore", None, "states", stream=stream, clock=Clock()) as bar:
        bar.set(4096)
    assert stream.getvalue() == ""


def test_quiet_prints_nothing():
    clock, stream = Clock(), io.StringIO()
    with Progress("run", 5, "inputs", quiet=True, stream=stream, clock=clock) as bar:
        clock.now = 1e6
        bar.update(5)
    assert bar.mode == "off" and stream.getvalue() == ""


def _pty(columns: int, rows: int = 24):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return master, os.fdopen(slave, "w")


@pytest.mark.parametrize("columns, rows", [(0, 24), (80, 0), (0, 0)])
def test_a_terminal_without_a_size_gets_plain_lines(columns, rows, monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    master, tty = _pty(columns, rows)
    with tty:
        assert tty.isatty() and not has_width(tty)
        with Progress("run", 1, stream=tty) as bar:
            assert bar.mode == "lines"
    os.close(master)


def test_a_terminal_with_a_width_gets_a_bar_that_draws_there(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(progress_module, "BAR_DELAY", 0.0)
    master, tty = _pty(80)
    with tty:
        assert has_width(tty)
        with Progress("sweep", 4, "runs", stream=tty) as bar:
            assert bar.mode == "bar"
            bar.update(2)
        tty.flush()
        drawn = os.read(master, 4096).decode()
    os.close(master)
    assert "sweep:" in drawn and "/4 [" in drawn  # tqdm's bar, on the terminal


def test_a_dumb_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    master, tty = _pty(80)
    with tty:
        assert not has_width(tty)
    os.close(master)


@pytest.fixture
def eager(monkeypatch):
    """Plain progress lines at once and at every step (what a long job in a CI log shows)."""
    monkeypatch.setenv(progress_module.LINES_ENV, "0 0")
    monkeypatch.setattr(RunProgress, "POLL", 0.001)
    monkeypatch.setattr(explorer, "PROGRESS_EVERY", 16)


COMMANDS = {
    "run": ["run", str(SCENARIOS["realistic"]), "--json"],
    "explore": ["explore", str(SCENARIOS["two-tabs"]), "--json"],
    "explore --workers": ["explore", str(SCENARIOS["two-tabs"]), "--json", "--workers", "2"],
    "check": ["check", str(SCENARIOS["two-tabs"]), str(SCENARIOS["realistic"]), "--runs", "2"],
}
LAST_LINE = {"run": "run: done, 300/300 inputs (100%)", "check": "check: done, 5/5 steps (100%)"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_progress_goes_to_stderr_and_stdout_is_byte_identical(command, eager, capsys):
    status = main(COMMANDS[command] + ["--quiet"])
    quiet_out, quiet_err = capsys.readouterr()
    assert quiet_err == ""
    assert main(COMMANDS[command]) == status
    out, err = capsys.readouterr()
    if command == "check":  # its text gives each exploration's duration
        out, quiet_out = (re.sub(r"\d+\.\d+s\b", "_s", text) for text in (out, quiet_out))
    assert out == quiet_out
    lines = err.splitlines()
    assert lines and all(line.startswith(f"{command.split()[0]}: ") for line in lines), err
    if command in LAST_LINE:
        assert lines[-1].startswith(LAST_LINE[command]), lines[-1]


def test_explore_reports_the_states_as_it_goes(eager, capsys):
    assert main(["explore", str(SCENARIOS["two-tabs"]), "--json"]) == 0
    out, err = capsys.readouterr()
    states = json.loads(out)["states"]
    counts = [int(line.split()[1].replace(",", "")) for line in err.splitlines()
              if "done," not in line]
    assert counts and counts == sorted(counts) and counts[-1] <= states
    assert all(c % 16 == 0 for c in counts[:-1])


def test_report_in_a_pipe_shows_progress_during_its_check_phase(tmp_path):
    """``ssesim report > log 2>&1`` (as CI runs it): progress lines arrive while the check phase
    runs, not only a last one at its end. The line intervals are set to 0 (every update prints a
    line), so the test depends on the order of the lines, never on how long anything takes."""
    import subprocess
    import sys

    err = tmp_path / "stderr.txt"
    env = {**os.environ, progress_module.LINES_ENV: "0 0"}
    argv = [sys.executable, "-m", "simulations", "report", "--out", str(tmp_path / "out"), "--runs", "1",
            "--max-states", "50", "--sweep", "quick", "--workers", "2"]
    with err.open("w") as stream:
        done = subprocess.run(argv, check=False, stdout=subprocess.PIPE, stderr=stream, env=env,
                              text=True, timeout=600)
    assert done.returncode == 0, err.read_text()
    assert done.stdout.splitlines() == [str(tmp_path / "out" / n) for n in ("README.md", "index.html")]
    lines = err.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("[report] ")]
    assert [lines[i].split()[1] for i in starts] == ["1/4", "2/4", "3/4", "4/4", "done"]
    check = lines[starts[1] + 1:starts[2]]
    assert all(line.startswith("report check: ") for line in check), check
    counts = [int(line.split()[2].split("/")[0]) for line in check if "done," not in line]
    total = int(check[0].split("/")[1].split()[0])
    assert counts == list(range(1, total + 1))  # one line per verdict, as each one finished
    assert check[-1].startswith(f"report check: done, {total}/{total} verdicts (100%)")
    assert any(line.startswith("sweep: ") for line in lines[starts[2]:starts[3]])


def test_a_ticker_whose_stream_was_closed_stops_quietly():
    """A progress never closed must not raise in its thread once its stream is gone."""
    clock, stream = Clock(), io.StringIO()
    bar = Progress("run", 1, "inputs", stream=stream, clock=clock)
    stream.close()
    clock.now = 1e6  # a line is due: printing it fails
    bar._tick()  # the ticker's loop: it returns instead of raising
    assert bar.lines == 0
