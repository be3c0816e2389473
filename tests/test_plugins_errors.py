"""A plug-in strategy that fails says so in one line: which plug-in, where, and the exception.

Loading failures (the module cannot be imported, the attribute is missing, the path is malformed)
are bad input: exit 2, no traceback, blamed on where the name was given (``--strategy``, the
scenario's ``strategy`` key, the sweep's ``strategies``). A plug-in that raises while it runs
(in ``__init__`` or a handler) is exit 1 with one line naming the plug-in's function, file and line;
``--debug`` adds the traceback. In a sweep, the failed run's error says the same.
"""

from __future__ import annotations

import csv
import itertools
import sys
import textwrap

import pytest

from simulations.cli import main
from simulations.io.scenario import builtin_scenarios

SCENARIO = next(p for p in builtin_scenarios() if p.stem == "two-quick-sends")
_names = itertools.count()

FAILING = """
from model.strategies import Seed

def _explode(what):
    raise RuntimeError(f"planted: {what}")

class InInit(Seed):
    name = "in-init"
    def __init__(self, *args):
        super().__init__(*args)
        _explode("__init__")

class InHandler(Seed):
    name = "in-handler"
    def on_send(self, t, send, content):
        raise ValueError("planted: on_send")

NOT_A_CLASS = 3
"""


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """A folder on sys.path (and the working folder) to write plug-in modules into."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(source: str) -> str:
        name = f"plug_{next(_names)}_{tmp_path.name[-6:].replace('-', '_')}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


LOAD_FAILURES = {
    "raises at import": ("raise RuntimeError('boom at import')\n", "X",
                         ["failed at", ".py, line 1", "RuntimeError: boom at import"]),
    "syntax error": ("def broken(:\n", "X", ["syntax error", ".py, line 1"]),
    "sys.exit at import": ("import sys\nsys.exit(3)\n", "X", ["called sys.exit(3)", "line 2"]),
    "imports a missing module": ("import no_such_dependency_xyz\n", "X",
                                 ["ModuleNotFoundError", "no_such_dependency_xyz"]),
    "missing attribute": (FAILING, "Nope", ["has no attribute 'Nope'"]),
    "not a class": (FAILING, "NOT_A_CLASS", ["is of type int, not a model.strategies.Strategy subclass"]),
}


@pytest.mark.parametrize("case", sorted(LOAD_FAILURES))
def test_a_plugin_that_cannot_load_is_one_line_exit_2(case, plugins, capsys):
    source, attr, expected = LOAD_FAILURES[case]
    spec = f"{plugins(source)}:{attr}"
    assert main(["run", str(SCENARIO), "--strategy", spec]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"ssesim run: error: --strategy: plug-in '{spec}': "), line
    for text in expected:
        assert text in line, (text, line)
    assert str(SCENARIO) not in line  # the scenario file is not to blame


@pytest.mark.parametrize("spec, expected", [
    (":Thing", "no module before ':'"),
    (".rel:X", "relative module '.rel' is not supported"),
    ("pkg.:X", "'pkg.' is not a module name"),
    ("no_such_module_xyz:X", "no module named 'no_such_module_xyz'"),
    ("model.strategies:", "no class after ':'"),
    ("model.strategies:Not-a-name", "'Not-a-name' after ':' is not a class name"),
])
def test_a_malformed_or_missing_plugin_path_is_one_line_exit_2(spec, expected, capsys):
    assert main(["run", str(SCENARIO), "--strategy", spec]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"ssesim run: error: --strategy: plug-in '{spec}': {expected}"), line


@pytest.mark.parametrize("command", [["explore"], ["check", "--runs", "1"]])
def test_every_command_blames_the_option_before_any_work(command, capsys):
    assert main([*command, str(SCENARIO), "--strategy", "no_such_module_xyz:X"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"ssesim {command[0]}: error: --strategy: plug-in" in line


def test_a_plugin_named_in_the_scenario_file_is_blamed_there(plugins, tmp_path, capsys):
    spec = f"{plugins('raise RuntimeError(1)')}:X"
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.read_text().replace('strategy = "seed"', f'strategy = "{spec}"'))
    assert main(["run", str(path)]) == 2
    assert _one_line(capsys.readouterr().err).startswith(
        f"ssesim run: error: {path}: strategy: plug-in '{spec}': importing module")


@pytest.mark.parametrize("attr, where, exc", [("InInit", "_explode", "RuntimeError: planted: __init__"),
                                              ("InHandler", "on_send", "ValueError: planted: on_send")])
@pytest.mark.parametrize("command", ["run", "explore", "check"])
def test_a_plugin_that_raises_at_run_time_is_one_line_exit_1(attr, where, exc, command, plugins,
                                                             capsys):
    spec = f"{plugins(FAILING)}:{attr}"
    argv = [command, str(SCENARIO), "--strategy", spec] + (["--runs", "1"] if command == "check" else [])
    assert main(argv) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"ssesim {command}: error: plug-in '{spec}' failed at run time in {where} ")
    assert f"{spec.split(':')[0]}.py, line " in line and line.endswith(f"{exc} (--debug shows the traceback)")


def test_debug_shows_the_traceback_too(plugins, capsys):
    spec = f"{plugins(FAILING)}:InHandler"
    assert main(["run", str(SCENARIO), "--strategy", spec, "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and 'raise ValueError("planted: on_send")' in err
    assert err.strip().splitlines()[-1].startswith(f"ssesim run: error: plug-in '{spec}' failed")


def test_debug_shows_the_cause_of_a_load_failure(plugins, capsys):
    spec = f"{plugins('raise KeyError(7)')}:X"
    assert main(["run", str(SCENARIO), "--strategy", spec, "--debug"]) == 2
    err = capsys.readouterr().err
    assert "KeyError: 7" in err and "Traceback" in err


def test_a_failure_of_ssesim_itself_is_not_blamed_on_a_plugin(plugins, monkeypatch):
    """Only a traceback through the plug-in's own code blames it: ssesim's bugs keep theirs."""
    from simulations.cli import run as run_command
    spec = f"{plugins(FAILING)}:InHandler"
    assert main(["run", str(SCENARIO), "--strategy", spec]) == 1  # the plug-in is loaded now

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of ssesim")

    monkeypatch.setattr(run_command, "simulate", broken)
    with pytest.raises(ZeroDivisionError):
        main(["run", str(SCENARIO)])


def test_in_a_sweep_a_plugin_that_cannot_load_is_exit_2_before_any_run(plugins, tmp_path, capsys):
    spec = f"{plugins('import sys; sys.exit(4)')}:X"
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'name = "p"\nbase = "{SCENARIO}"\nstrategies = ["{spec}"]\nseeds = 1\n')
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{sweep}: strategies: plug-in '{spec}': importing module" in line and "sys.exit(4)" in line
    assert not (tmp_path / "out").exists()


def test_in_a_sweep_a_plugin_failing_at_run_time_is_named_in_each_failed_run(plugins, tmp_path,
                                                                            capsys):
    spec = f"{plugins(FAILING)}:InHandler"
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'name = "p"\nbase = "{SCENARIO}"\nstrategies = ["{spec}"]\nseeds = 2\n')
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    failed = [line for line in err.splitlines() if line.startswith("failed run: ")]
    assert len(failed) == 2
    assert all(f"plug-in '{spec}' failed at run time in on_send (" in line for line in failed)
    rows = list(csv.DictReader((out / "runs.csv").open()))
    assert [r["status"] for r in rows] == ["error", "error"]
    assert all(r["error"].startswith(f"plug-in '{spec}' failed at run time in on_send") for r in rows)
