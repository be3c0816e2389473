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
    assert stream.getvalue().splitlines() == [
        f"check: 2/10 steps (20%) in {LINE_DELAY:.0f} s | two-tabs: run seed 2/5",
        f"check: 5/10 steps (50%) in {LINE_DELAY + LINE_INTERVAL:.0f} s | two-tabs: run seed 2/5",
        (f"check: stopped, 5/10 steps (50%) in {LINE_DELAY + LINE_INTERVAL:.0f} s | two-tabs: run "
        "seed 2/5"),
    ]


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
        assert Progress("run", 1, stream=tty).mode == "lines"
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
    monkeypatch.setattr(progress_module, "LINE_DELAY", 0.0)
    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    monkeypatch.setattr(RunProgress, "POLL", 0.001)
    monkeypatch.setattr(explorer, "PROGRESS_EVERY", 16)


COMMANDS = {
    "run": ["run", str(SCENARIOS["realistic"]), "--json"],
    "explore": ["explore", str(SCENARIOS["two-tabs"]), "--json"],
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
    assert lines and all(line.startswith(f"{command}: ") for line in lines), err
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
