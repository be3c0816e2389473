"""Counterexamples as data: JSON round trip, replay through ``ssesim run``, Mermaid, and bad files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from model.errors import InputError
from simulations.cli import main
from simulations.explore import counterexample as cxm
from simulations.explore.explorer import Model, explore
from simulations.io.scenario import builtin_scenarios, load_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


@pytest.fixture
def ghost(tmp_path):
    """The seed's shortest no-ghost counterexample on error-after-commit, saved as JSON."""
    path = SCENARIOS["error-after-commit"]
    result = explore(load_scenario(path), "seed")
    cx = cxm.from_exploration(result, path, "no-ghost")
    file = tmp_path / "ghost.json"
    cxm.save(cx, file)
    return cx, file


def test_json_round_trip(ghost):
    cx, file = ghost
    data = json.loads(file.read_text())
    assert data["ssesim"] == "counterexample" and data["version"] == 1
    assert data["steps"] == [["send", 0], ["arrive", 0, "error_after_commit"], ["response", 0]]
    assert len(data["labels"]) == 3
    assert '\n    ["arrive", 0, "error_after_commit"],\n' in file.read_text()  # a step a line
    loaded = cxm.load(file)
    assert (file.parent / loaded.scenario).resolve() == Path(cx.scenario).resolve()  # beside the file
    assert dataclasses.replace(loaded, scenario=cx.scenario) == cx


def test_printed_as_numbered_steps(ghost):
    cx, _file = ghost
    assert cxm.format_steps(cx, "") == (
        "1. user of client 0 sends 'A' (send 0)\n"
        "2. POST 'A' (send 0, attempt 1) reaches the server; fault error_after_commit\n"
        "3. client 0 gets HTTP 500 for send 0 attempt 1 (body v1)")


def test_replay_reproduces_the_violation(ghost):
    cx, file = ghost
    monitor = cxm.replay_counterexample(cx, cx_file=file)
    assert monitor.counts["no-ghost"] == 1


def test_run_replays_a_counterexample_file(ghost, capsys):
    _cx, file = ghost
    assert main(["run", str(file)]) == 0
    out = capsys.readouterr().out
    assert "no-ghost: reproduced" in out
    assert "  3. client 0 gets HTTP 500" in out
    assert "counterexample" in out.splitlines()[5]


def test_run_json_replay_has_the_run_object_with_replayed_counts(ghost, capsys):
    _cx, file = ghost
    assert main(["run", str(file), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    for key in ("scenario", "strategy", "seed", "sends", "committed", "violations", "chart_gaps", "metrics"):
        assert key in obj
    assert obj["violations"]["no-ghost"] == 1 and obj["reproduced"] is True
    assert obj["seed"] is None and obj["sends"] == 1 and obj["committed"] == 1


def test_run_detects_a_counterexample_by_content(ghost, tmp_path, capsys):
    _cx, file = ghost
    other = tmp_path / "ghost.cx"
    other.write_text(file.read_text())
    assert main(["run", str(other), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["violations"]["no-ghost"] == 1


def test_run_replay_under_another_strategy_reports_what_it_shows(ghost, capsys):
    _cx, file = ghost
    assert main(["run", str(file), "--strategy", "reconciled", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["violations"]["no-ghost"] == 0
    assert "does not violate no-ghost" in captured.err


def test_every_written_counterexample_replays(tmp_path, capsys):
    """explore --counterexamples, then run each file: every one reproduces its invariant."""
    for stem in ("old-stream-drains", "two-sessions", "accepted-then-dropped"):
        folder = tmp_path / stem
        assert main(["explore", str(SCENARIOS[stem]), "--counterexamples", str(folder)]) == 0
        files = sorted(folder.glob("*.json"))
        assert files
        for file in files:
            capsys.readouterr()
            assert main(["run", str(file), "--json"]) == 0
            obj = json.loads(capsys.readouterr().out)
            assert obj["reproduced"], file.name


def test_mermaid_sequence_diagram_lanes_and_violation_note(ghost):
    cx, _file = ghost
    text = cxm.to_mermaid(cx, Model(load_scenario(SCENARIOS["error-after-commit"]), "seed"))
    lines = text.splitlines()
    assert lines[:4] == ["---", 'title: "no-ghost: seed on error-after-commit.toml"', "---",
                         "sequenceDiagram"]
    assert "    participant U as User" in lines and "    participant S as Server" in lines
    assert "    U->>C: 1. user of client 0 sends 'A' (send 0)" in lines
    assert any(line.startswith("    N->>S: 2. POST 'A'") and "#59;" in line for line in lines)
    assert lines[-1] == "    Note over C: violates no-ghost"


def test_mermaid_has_a_participant_per_client():
    path = SCENARIOS["two-tabs"]
    scenario = load_scenario(path)
    result = explore(scenario, "seed")
    cx = cxm.from_exploration(result, path, "no-flicker")
    text = cxm.to_mermaid(cx, Model(scenario, "seed"))
    assert "participant C0 as Client 0" in text and "participant C1 as Client 1" in text
    assert "C:" not in text  # every arrow names a client lane


def good() -> dict:
    return {"ssesim": "counterexample", "version": 1,
            "scenario": str(SCENARIOS["error-after-commit"]), "strategy": "seed",
            "invariant": "no-ghost", "steps": [["send", 0], ["arrive", 0, "error_after_commit"],
                                               ["response", 0]], "labels": ["a", "b", "c"]}


BAD = {
    "not json": ("{oops", "invalid JSON"),
    "format": ({**good(), "ssesim": "trace"}, "ssesim"),
    "version": ({**good(), "version": 2}, "version"),
    "invariant": ({**good(), "invariant": "no-bugs"}, "invariant"),
    "unknown key": ({**good(), "extra": 1}, "extra"),
    "steps kind": ({**good(), "steps": [["teleport", 0]]}, "steps[0]"),
    "steps arity": ({**good(), "steps": [["send", 0], ["arrive", 0]]}, "steps[1]"),
    "steps type": ({**good(), "steps": [["send", "0"]]}, "steps[0]"),
    "empty steps": ({**good(), "steps": []}, "steps"),
    "labels": ({**good(), "labels": ["a"]}, "labels"),
    "strategy": ({**good(), "strategy": 3}, "strategy"),
    "not enabled": ({**good(), "steps": [["send", 0], ["response", 0]], "labels": []}, "steps[1]"),
    "scenario missing": ({**good(), "scenario": "nowhere.toml"}, "scenario"),
    "unknown strategy": ({**good(), "strategy": "nosuch"}, "strategy"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_counterexample_is_exit_2_one_line(name, tmp_path, capsys):
    data, key = BAD[name]
    file = tmp_path / "bad.json"
    file.write_text(data if isinstance(data, str) else json.dumps(data))
    assert main(["run", str(file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ssesim run: error: {file}: {key}: ")


def test_load_raises_input_error_naming_file_and_key(tmp_path):
    file = tmp_path / "bad.json"
    file.write_text(json.dumps({**good(), "version": "1"}))
    with pytest.raises(InputError) as info:
        cxm.load(file)
    assert (info.value.where, info.value.key) == (str(file), "version")


def test_seed_has_no_meaning_for_a_replay(ghost, capsys):
    _cx, file = ghost
    assert main(["run", str(file), "--seed", "3"]) == 2
    assert "--seed: has no meaning" in capsys.readouterr().err


@pytest.mark.parametrize("stem", ["error-after-commit", "old-stream-drains", "two-sessions"])
def test_replay_trace_rechecks_to_the_replayed_counts(stem, tmp_path, capsys):
    """run CX --trace F, then check-trace F: the offline checkers give the replay's counts."""
    folder = tmp_path / "cx"
    assert main(["explore", str(SCENARIOS[stem]), "--strategy", "seed",
                 "--counterexamples", str(folder)]) == 0
    files = sorted(folder.glob("*.json"))
    assert files
    for file in files:
        capsys.readouterr()
        trace = tmp_path / f"{file.stem}.jsonl"
        assert main(["run", str(file), "--json", "--trace", str(trace)]) == 0
        replayed = json.loads(capsys.readouterr().out)
        lines = trace.read_text().splitlines()
        assert json.loads(lines[0])["kind"] == "config" and len(lines) > replayed["steps"]
        main(["check-trace", str(trace), "--json"])
        rechecked = json.loads(capsys.readouterr().out)
        assert rechecked["violations"] == replayed["violations"]
        assert replayed["violations"][replayed["invariant"]] > 0


def test_replay_trace_is_not_written_when_the_replay_fails(ghost, tmp_path, capsys):
    _cx, file = ghost
    data = json.loads(file.read_text())
    data["steps"][1] = ["arrive", 5, "ok"]  # not enabled: bad input, exit 2
    file.write_text(json.dumps(data))
    trace = tmp_path / "t.jsonl"
    assert main(["run", str(file), "--trace", str(trace)]) == 2
    assert not trace.exists() and not list(tmp_path.glob(".t.jsonl.*"))
