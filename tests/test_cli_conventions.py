"""Command-line conventions: --version, bare ssesim, error prefixes, option checks, built-in sweep
names, report's early failure, trace files, replay from any folder, shell completion, sweep names."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import simulations
from simulations.cli import main
from simulations.io.scenario import builtin_scenarios

SCENARIOS = {p.stem: p for p in builtin_scenarios()}
TWO_TABS = SCENARIOS["two-tabs"]
GHOST = SCENARIOS["error-after-commit"]
BUILTIN_SWEEPS = ("default", "fault-kinds", "quick", "reconnects")


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"ssesim {simulations.__version__}\n"


def test_bare_ssesim_prints_the_usage_with_every_command_and_exit_2(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: ssesim ")
    for command in ("run", "explore", "check", "check-trace", "sweep", "diagram", "report",
                    "completion"):
        assert f"\n    {command}" in err


def test_help_is_exit_0(capsys):
    assert main(["--help"]) == 0
    assert "usage: ssesim" in capsys.readouterr().out
    assert main(["run", "--help"]) == 0
    assert "usage: ssesim run" in capsys.readouterr().out


@pytest.mark.parametrize("argv, prefix", [
    (["fly"], "ssesim: error: argument COMMAND: invalid choice: 'fly'"),
    (["run"], "ssesim run: error: the following arguments are required: SCENARIO"),
    (["run", "x.toml", "--seed", "one"], "ssesim run: error: argument --seed: invalid int value"),
    (["run", "nope.toml"], "ssesim run: error: nope.toml: no such file"),
    (["explore", "nope.toml"], "ssesim explore: error: nope.toml: no such file"),
    (["check", "nope.toml"], "ssesim check: error: nope.toml: no such file"),
    (["check-trace", "nope.jsonl"], "ssesim check-trace: error: nope.jsonl: no such file"),
    (["sweep", "nope.toml"], "ssesim sweep: error: nope.toml: no such file"),
    (["report", "--sweep", "nope"], "ssesim report: error: nope: --sweep: no such file"),
    (["completion", "fish"], "ssesim completion: error: argument SHELL: invalid choice: 'fish'"),
])
def test_an_error_is_one_line_naming_the_command_once(argv, prefix, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(prefix), line
    assert line.count("ssesim") == 1 + line.count("`ssesim"), line  # no doubled prefix


@pytest.mark.parametrize("command", ["run", "explore", "check"])
@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_strategy_is_an_error(command, blank, capsys):
    assert main([command, str(TWO_TABS), "--strategy", blank]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"ssesim {command}: error: argument --strategy: must not be empty")


def test_an_unknown_sweep_name_lists_the_built_in_ones(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "defualt"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.endswith(f"not the name of a built-in sweep ({', '.join(BUILTIN_SWEEPS)})")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sweep", ["nosuch", "bad.toml"])
def test_report_with_a_bad_sweep_fails_before_any_work_and_leaves_nothing(sweep, capsys, tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    if sweep == "bad.toml":
        (tmp_path / sweep).write_text('name = "bad"\nstrategies = ["seed"]\nseeds = 0\n')
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), "--sweep", sweep, "--quiet"]) == 2
    out_text, err = capsys.readouterr()
    assert out_text == "" and _one_line(err).startswith("ssesim report: error: ")
    assert not out.exists()


def test_run_trace_creates_missing_folders_and_writes_0644(tmp_path, monkeypatch, capsys):
    old = os.umask(0o077)  # even under a strict umask, like every other output
    try:
        trace = tmp_path / "a" / "b" / "t.jsonl"
        assert main(["run", str(TWO_TABS), "--trace", str(trace)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(trace.stat().st_mode) == 0o644
    assert json.loads(trace.read_text().splitlines()[0])["kind"] == "config"
    assert [p.name for p in trace.parent.iterdir()] == ["t.jsonl"]


def test_run_trace_into_a_file_where_a_folder_should_be_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", str(TWO_TABS), "--trace", str(tmp_path / "file" / "t.jsonl")]) == 2
    assert "--trace: cannot create folder" in _one_line(capsys.readouterr().err)


def test_a_counterexample_replays_from_any_folder(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(GHOST, project / "ghost.toml")
    monkeypatch.chdir(project)
    assert main(["explore", "ghost.toml", "--counterexamples", "cx", "--quiet"]) == 0
    cx = project / "cx" / "error-after-commit.seed.no-ghost.json"
    assert json.loads(cx.read_text())["scenario"] == "../ghost.toml"  # relative to the file
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["run", str(cx)]) == 0
    assert "no-ghost: reproduced" in capsys.readouterr().out
    moved = tmp_path / "moved"  # the scenario and its counterexamples, moved together
    shutil.move(str(project), moved)
    assert main(["run", str(moved / "cx" / cx.name)]) == 0
    assert "no-ghost: reproduced" in capsys.readouterr().out


def test_an_older_counterexample_with_a_working_folder_path_still_replays(tmp_path, monkeypatch,
                                                                          capsys):
    shutil.copy(GHOST, tmp_path / "ghost.toml")
    (tmp_path / "cx").mkdir()
    monkeypatch.chdir(tmp_path)
    cx = {"ssesim": "counterexample", "version": 1, "scenario": "ghost.toml", "strategy": "seed",
          "invariant": "no-ghost", "steps": [["send", 0], ["arrive", 0, "error_after_commit"],
                                             ["response", 0]]}
    (tmp_path / "cx" / "old.json").write_text(json.dumps(cx))
    assert main(["run", "cx/old.json"]) == 0
    assert "no-ghost: reproduced" in capsys.readouterr().out


# --- shell completion -----------------------------------------------------------------------------
@pytest.mark.parametrize("shell", ["bash", "zsh", "tcsh"])
def test_completion_prints_a_script(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "ssesim" in script and "check-trace" in script and "--strategy" in script


BASH = shutil.which("bash")


def _complete(script: Path, words: list[str]) -> list[str]:
    """What bash completes for the last of ``words`` with the generated script loaded."""
    line = " ".join(words)
    program = (f'source "{script}"; COMP_WORDS=({" ".join(repr(w) for w in words)}); '
               f'COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; '
               '_shtab_ssesim; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run([BASH, "-c", program], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_bash_completion_completes_commands_options_and_strategies(tmp_path, capsys):
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "ssesim.bash"
    script.write_text(capsys.readouterr().out)
    assert subprocess.run([BASH, "-n", str(script)], timeout=60, check=False).returncode == 0
    assert _complete(script, ["ssesim", "ch"]) == ["check", "check-trace"]
    assert "--strategy" in _complete(script, ["ssesim", "run", "x.toml", "--st"])
    assert _complete(script, ["ssesim", "run", "x.toml", "--strategy", "re"]) == ["reconciled"]
    assert _complete(script, ["ssesim", "completion", ""]) == ["bash", "zsh", "tcsh"]


# --- a sweep's name is a slug: nothing is written outside the output folder -------------------------
@pytest.mark.parametrize("name", ["../../escape", "../escape", "a/b", ".hidden", "-x", "a..b",
                                  "x" * 65, "with space", "ABS"])
def test_a_sweep_name_that_is_not_a_slug_is_refused_and_nothing_is_written(name, tmp_path,
                                                                          monkeypatch, capsys):
    if name == "ABS":
        name = str(tmp_path / "escape")
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    sweep = work / "s.toml"
    sweep.write_text(f'name = {json.dumps(name)}\nbase = "{TWO_TABS}"\nstrategies = ["seed"]\n'
                     "seeds = 1\n")
    assert main(["sweep", str(sweep), "--quiet"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"ssesim sweep: error: {sweep}: name: must be a slug")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "a", "a/work", "a/work/s.toml"]


def test_a_slug_sweep_name_writes_under_sweeps_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'name = "tiny-1.x_y"\nbase = "{TWO_TABS}"\nstrategies = ["seed"]\nseeds = 1\n')
    assert main(["sweep", str(sweep), "--workers", "1", "--quiet"]) == 0
    assert (tmp_path / "sweeps-out" / "tiny-1.x_y" / "runs.csv").exists()
    assert {p.name for p in tmp_path.iterdir()} == {"s.toml", "sweeps-out"}
