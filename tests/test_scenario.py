"""Scenario files (SPEC §6): defaults, validation errors as exactly one line and exit status 2, and
random valid scenarios that never crash the simulator."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import (
    MUTATIONS,
    TEXT_CORRUPTIONS,
    malformed_scenarios,
    malformed_texts,
    scenario_dicts,
    to_toml,
)

from model.config import Dist, Scenario
from model.invariants import INVARIANTS
from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.io.scenario import load_scenario, parse_scenario

# The §6 example of SPEC.md, verbatim.
SPEC_EXAMPLE = '''
name = "two-quick-sends"
description = "B is sent before the snapshot with A's commit arrives"
strategy = "seed"             # overridden by --strategy
seed = 1                      # overridden by --seed
until = 60.0                  # optional horizon; default: to quiescence after the last send

[post]
request_latency = 0.05        # or a distribution table (§2.5)
response_latency = { dist = "exponential", mean = 0.05 }
timeout = 10.0
[post.faults]                 # probabilities per POST; the rest succeeds
request_lost = 0.0
response_lost = 0.0
error_before_commit = 0.0
error_after_commit = 0.0
rejected = 0.0
accepted_dropped = 0.0

[sse]
delay = { dist = "exponential", mean = 0.03 }
payload = "snapshot"          # snapshot | delta
disconnect_rate = 0.0
reconnect_delay = 1.0
resume = "snapshot"           # snapshot | last-event-id | none
old_stream_drains = false
old_stream_delay = 0.0        # extra delay of events drained from a dropped stream

[server]
max_message_length = 2000
assistant = false
think_delay = 0.5
reply_delay = 1.0

[strategy_options]            # read by strategies that use them (reconciled, plug-ins)
retries = 3                   # ambiguous failures before the entry shows as unconfirmed
retry_backoff = 0.5           # seconds before the first retry, doubled per retry
retry_backoff_max = 8.0       # cap of the backoff
request_deadline = 8.0        # the server refuses to commit an attempt older than this

[[clients]]                   # default: one client in session "s1"
session = "s1"

[workload]                    # optional random sends, per client
rate = 0.5
count = 100
content_length = 20

[[sends]]                     # optional scripted sends
at = 0.0
client = 0
content = "A"
fault = "response_lost"       # optional, forces this POST's fault
request_latency = 1.0         # optional per-send overrides
response_latency = 1.0

[[events]]                    # optional scripted network events
at = 0.5
client = 0
kind = "sse-disconnect"

[explore]                     # bounds for exhaustive exploration
faults = ["ok", "error_after_commit", "response_lost"]
max_disconnects = 1
'''

# A small valid scenario the explicit validation cases break, one thing at a time.
BASE = {"name": "base", "post": {"request_latency": 0.1, "response_latency": 0.1, "timeout": 2.0},
        "sse": {"delay": 0.05}, "clients": [{"session": "s1"}, {"session": "s2"}],
        "sends": [{"at": 0.0, "client": 0, "content": "A"}, {"at": 0.1, "client": 1, "content": "B"}]}


def _one_error_line(err: str, *names: str) -> None:
    assert err.count("\n") == 1, err
    assert re.match(r"ssesim( [a-z-]+)?: error: ", err) and "Traceback" not in err
    for name in names:
        assert name in err, (name, err)


# --- defaults and the SPEC example ---------------------------------------------------------------------

def test_the_spec_example_runs(tmp_path, capsys):
    path = tmp_path / "example.toml"
    path.write_text(SPEC_EXAMPLE)
    assert main(["run", str(path), "--seed", "2"]) == 0
    out, err = capsys.readouterr()
    assert "two-quick-sends" in out and err == ""


def test_every_key_is_optional_and_defaults_are_the_spec_example():
    sc = parse_scenario({}, "empty.toml")
    assert sc.name == "empty" and sc.strategy == "seed" and sc.seed == 1 and sc.until is None
    assert sc.post.request_latency == Dist("constant", value=0.05)
    assert sc.post.response_latency == Dist("exponential", mean=0.05)
    assert sc.post.timeout == 10.0 and all(p == 0 for _, p in sc.post.faults)
    assert sc.sse.delay == Dist("exponential", mean=0.03)
    assert (sc.sse.payload, sc.sse.resume, sc.sse.reconnect_delay) == ("snapshot", "snapshot", Dist("constant", value=1.0))
    assert (sc.sse.disconnect_rate, sc.sse.old_stream_drains, sc.sse.old_stream_delay) == (0.0, False,
                                                                                          Dist("constant", value=0.0))
    assert (sc.server.max_message_length, sc.server.assistant) == (2000, False)
    assert (sc.server.think_delay, sc.server.reply_delay) == (Dist("constant", value=0.5), Dist("constant", value=1.0))
    opts = sc.strategy_options
    assert (opts.retries, opts.retry_backoff, opts.retry_backoff_max, opts.request_deadline) == (3, 0.5, 8.0, 8.0)
    assert [c.session for c in sc.clients] == ["s1"]
    assert sc.workload is None and sc.sends == () and sc.events == ()
    assert sc.explore.faults == ("ok", "error_after_commit", "response_lost")
    assert sc.explore.max_disconnects == 1
    assert parse_scenario({"sends": [{"at": 1.0, "content": "A"}]}).sends[0].client == 0


def test_an_empty_file_runs(tmp_path, capsys):
    path = tmp_path / "empty.toml"
    path.write_text("")
    assert main(["run", str(path), "--json"]) == 0
    assert '"sends": 0' in capsys.readouterr().out


def test_file_and_dict_agree(tmp_path):
    path = tmp_path / "base.toml"
    path.write_text(to_toml(BASE))
    assert load_scenario(path) == parse_scenario(BASE, str(path))


# --- validation: exactly one line, exit status 2 -------------------------------------------------------

@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_invalid_scenario_is_one_line_naming_file_and_key(mutation, tmp_path, capsys):
    d = copy.deepcopy(BASE)
    key = MUTATIONS[mutation](d)
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(d))
    assert main(["run", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_error_line(err, str(path), f": {key}: ")


@pytest.mark.parametrize("corruption", TEXT_CORRUPTIONS)
def test_invalid_toml_is_one_line_naming_the_file(corruption, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(BASE) + corruption)
    assert main(["run", str(path)]) == 2
    _one_error_line(capsys.readouterr().err, str(path), "invalid TOML")


def test_missing_file_and_directory(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    _one_error_line(capsys.readouterr().err, "nope.toml", "no such file")
    assert main(["run", str(tmp_path)]) == 2
    _one_error_line(capsys.readouterr().err, str(tmp_path))


@pytest.mark.parametrize("strategy", ["optimistic-v2", "no.such.module:Thing", "tests.plugins.example:Nope",
                                      "model.config:Scenario"])
def test_unknown_strategy_on_the_command_line(strategy, tmp_path, capsys):
    path = tmp_path / "base.toml"
    path.write_text(to_toml(BASE))
    assert main(["run", str(path), "--strategy", strategy]) == 2
    err = capsys.readouterr().err
    _one_error_line(err, "ssesim run: error: --strategy: ")
    assert str(path) not in err  # the option is wrong, not the scenario file


@pytest.mark.parametrize("argv", [["run"], ["run", "x.toml", "--seed", "one"], ["fly"]])
def test_bad_arguments_are_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    _one_error_line(capsys.readouterr().err)


def test_reconciled_precondition_warns_but_runs(tmp_path, capsys):
    d = copy.deepcopy(BASE)
    d["strategy_options"] = {"request_deadline": 5.0}
    path = tmp_path / "short-timeout.toml"
    path.write_text(to_toml(d))
    assert main(["run", str(path), "--strategy", "reconciled"]) == 0
    out, err = capsys.readouterr()
    assert "warning" in err and "request_deadline" in err and "scenario base" in out


# --- random scenarios ----------------------------------------------------------------------------------

@given(scenario_dicts())
def test_random_valid_scenarios_never_crash_the_simulator(d):
    sc = parse_scenario(d, "random.toml")
    assert isinstance(sc, Scenario)
    r = simulate(sc)
    assert list(r.to_json()["violations"]) == list(INVARIANTS)
    workload = sc.workload.count * len(sc.clients) if sc.workload else 0
    assert r.sends <= len(sc.sends) + workload
    assert r.committed <= r.metrics["posts"]  # an attempt commits at most once


@given(scenario_dicts())
def test_random_valid_scenarios_read_back_from_toml(d):
    import tomllib

    assert parse_scenario(tomllib.loads(to_toml(d)), "x.toml") == parse_scenario(d, "x.toml")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(malformed_scenarios())
def test_random_malformed_scenarios_give_exit_2_and_one_line(tmp_path, capsys, case):
    d, key = case
    path = tmp_path / "malformed.toml"
    path.write_text(to_toml(d))
    capsys.readouterr()
    assert main(["run", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_error_line(err, str(path), f": {key}: ")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(malformed_texts())
def test_random_malformed_toml_gives_exit_2_and_one_line(tmp_path, capsys, text):
    path = tmp_path / "malformed.toml"
    path.write_bytes(text)
    capsys.readouterr()
    assert main(["run", str(path)]) == 2
    _one_error_line(capsys.readouterr().err, str(path))


def test_unknown_strategy_option_is_exit_2_naming_the_key(tmp_path, capsys):
    """SPEC §6: an unknown key is an error; a typo in [strategy_options] is one."""
    from simulations.cli import main
    path = tmp_path / "typo.toml"
    path.write_text('[strategy_options]\nretires = 5\n[[sends]]\ncontent = "A"\n')
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(path) in err and "strategy_options.retires" in err and "unknown key" in err


def test_a_plugin_declares_its_own_strategy_options(tmp_path):
    from model.errors import InputError
    """Keys a strategy lists in option_keys are accepted for it and read with options.get."""
    import sys
    (tmp_path / "optplug.py").write_text(
        "from model.strategies import Seed\n\n"
        "class Opt(Seed):\n    name = 'opt'\n    option_keys = ('greeting',)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        sc = parse_scenario({"strategy": "optplug:Opt", "strategy_options": {"greeting": "hi"}},
                            "<plug>")
        assert sc.strategy_options.get("greeting") == "hi"
        with pytest.raises(InputError) as info:
            parse_scenario({"strategy_options": {"greeting": "hi"}}, "<seed>")
        assert info.value.key == "strategy_options.greeting"
        sc = parse_scenario({"strategy_options": {"greeting": "hi"}}, "<sweep>", ("greeting",))
        assert sc.strategy_options.get("greeting") == "hi"
    finally:
        sys.path.remove(str(tmp_path))
