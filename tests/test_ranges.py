"""Every number has a range; input outside it, nested too deep or too large is one line and exit 2
(issue 13, items 1 and 4), and a run that would do unbounded work stops with one line (exit 2)."""

from __future__ import annotations

import json
import re

import pytest

from simulations.cli import main
from simulations.engine import simulator as engine

SEND = '\n[[sends]]\nat = 0.0\ncontent = "A"\n'

# (scenario text, the key the one error line must name): the values issue 13 found crashing or hanging
OUT_OF_RANGE = [
    ("[post]\ntimeout = 1e300", "post.timeout"),
    ("[post]\nrequest_latency = 1e308", "post.request_latency"),
    ('[post]\nresponse_latency = { dist = "constant", value = 1e308 }', "post.response_latency.value"),
    ('[[sends]]\nat = 1e300\ncontent = "A"', "sends[0].at"),
    ('[[sends]]\ncontent = "A"\nresponse_latency = 1e300', "sends[0].response_latency"),
    ("[[events]]\nat = 1e300", "events[0].at"),
    ("[sse]\nreconnect_delay = 1e300", "sse.reconnect_delay"),
    ("[sse]\nold_stream_delay = 1e300", "sse.old_stream_delay"),
    ("[server]\nthink_delay = 1e300", "server.think_delay"),
    ("[server]\nreply_delay = 1e300", "server.reply_delay"),
    ("[workload]\nrate = 1e-300", "workload.rate"),
    ("[sse]\ndisconnect_rate = 1.1e-308", "sse.disconnect_rate"),
    ("[sse]\ndisconnect_rate = 1e9", "sse.disconnect_rate"),
    ('[sse]\ndelay = { dist = "lognormal", median = 1, sigma = 1e6 }', "sse.delay.sigma"),
    ('[sse]\ndelay = { dist = "exponential", mean = 1e308 }', "sse.delay.mean"),
    ('[sse]\ndelay = { dist = "empirical", samples = [0.1, 1e300] }', "sse.delay.samples[1]"),
    ("[workload]\ncontent_length = 2000000000", "workload.content_length"),
    ("[workload]\ncount = 9223372036854775807", "workload.count"),
    ("[workload]\ncount = 1000\ncontent_length = 1000000", "workload.content_length"),
    ("[strategy_options]\nretry_backoff = 1e300", "strategy_options.retry_backoff"),
    ("[strategy_options]\nretries = 9223372036854775807", "strategy_options.retries"),
    ("until = nan", "until"),
    ("[post]\ntimeout = inf", "post.timeout"),
    ("seed = 99999999999999999999", "seed"),
    ("[server]\nmax_message_length = 9223372036854775807", "server.max_message_length"),
    ("[explore]\nmax_disconnects = 1000000", "explore.max_disconnects"),
]


def one_line(err: str, *names: str) -> str:
    assert err.count("\n") == 1 and re.match(r"ssesim( [a-z-]+)?: error: ", err) and "Traceback" not in err, err
    for name in names:
        assert name in err, (name, err)
    return err


@pytest.mark.parametrize(("text", "key"), OUT_OF_RANGE, ids=[k for _, k in OUT_OF_RANGE])
def test_out_of_range_is_one_line_and_exit_2(text, key, tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(text + SEND)
    assert main(["run", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_line(err, str(path), f": {key}: ", "must be")


@pytest.mark.parametrize("text", [
    "[post]\ntimeout = 1e6", "[post]\nrequest_latency = 1e6", "until = 1e6",
    '[[sends]]\nat = 1e6\ncontent = "B"', "[sse]\ndisconnect_rate = 1e-6",
    "[workload]\nrate = 1e-6\ncount = 1", '[sse]\ndelay = { dist = "lognormal", median = 0.01, sigma = 10 }',
    "[workload]\ncount = 2\ncontent_length = 1000000", "seed = -9223372036854775808",
])
def test_values_at_the_edge_of_their_range_run(text, tmp_path, capsys):
    path = tmp_path / "edge.toml"
    path.write_text(text + SEND)
    assert main(["run", str(path), "--json"]) in (0, 1)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and json.loads(out)["sends"] >= 1


# --- the work caps -----------------------------------------------------------------------------------
def test_a_disconnect_storm_stops_at_the_event_cap(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(engine, "MAX_EVENTS", 50_000)
    path = tmp_path / "storm.toml"
    path.write_text("[sse]\ndisconnect_rate = 1e6\nreconnect_delay = 0\n" + SEND.replace("0.0", "5.0"))
    assert main(["run", str(path), "--trace", str(tmp_path / "t.jsonl")]) == 2
    one_line(capsys.readouterr().err, str(path), "more than 50000 events", "more work than a run may do")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["storm.toml"]  # no trace, no temp file


def test_simulated_time_is_capped(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(engine, "MAX_TIME", 1000.0)
    path = tmp_path / "slow.toml"
    path.write_text("[workload]\nrate = 1e-3\ncount = 50\n")
    assert main(["run", str(path)]) == 2
    one_line(capsys.readouterr().err, str(path), "simulated time past 1000 s")


def test_the_caps_leave_ordinary_runs_alone(capsys):
    """The realistic example (300 sends, faults, disconnects, an assistant) is far below both caps."""
    from simulations.io.scenario import builtin_scenarios
    realistic = next(p for p in builtin_scenarios() if p.stem == "realistic")
    assert main(["run", str(realistic), "--json"]) in (0, 1)
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert metrics["events"] < engine.MAX_EVENTS / 100 and metrics["end_time"] < engine.MAX_TIME


# --- nesting and size (issue 13, item 4) ------------------------------------------------------------
@pytest.mark.parametrize("depth", [40, 300, 2000])
def test_a_deep_inline_table_in_a_scenario(depth, tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("[strategy_options]\nx = " + "{a=" * depth + "1" + "}" * depth + "\n")
    assert main(["run", str(path)]) == 2
    one_line(capsys.readouterr().err, str(path), "nested")


def test_a_huge_integer_in_a_scenario(tmp_path, capsys):
    path = tmp_path / "big.toml"
    path.write_text("seed = " + "9" * 5000 + "\n")
    assert main(["run", str(path)]) == 2
    one_line(capsys.readouterr().err, str(path))


@pytest.mark.parametrize("body", [
    '{"ssesim": "counterexample", "steps": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"ssesim": "counterexample", "steps": ' + "[" * 50 + "]" * 50 + "}",
    '{"ssesim": "counterexample", "version": ' + "9" * 5000 + "}",
])
def test_deep_or_huge_counterexample(body, tmp_path, capsys):
    path = tmp_path / "cx.json"
    path.write_text(body)
    assert main(["run", str(path)]) == 2
    one_line(capsys.readouterr().err, str(path))


CONFIG = ('{"seq": 1, "t": 0.0, "kind": "config", "scenario": "x", "strategy": "seed", "seed": 1, '
          '"sessions": ["s1"]}')


@pytest.mark.parametrize("line", [
    '{"seq": 2, "t": 0.1, "kind": "quiescent", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"seq": 2, "t": 0.1, "kind": "quiescent", "x": ' + "[" * 40 + "]" * 40 + "}",
    '{"seq": ' + "9" * 5000 + ', "t": 0.1, "kind": "quiescent"}',
    '{"seq": 2, "t": 1' + "0" * 400 + ', "kind": "quiescent"}',
])
def test_deep_or_huge_trace_line(line, tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    path.write_text(CONFIG + "\n" + line + "\n")
    assert main(["check-trace", str(path)]) == 2
    one_line(capsys.readouterr().err, str(path), "line 2")


@pytest.mark.parametrize(("text", "key"), [
    ("seeds = 1000000000000", "seeds"),
    ("seeds = 100000\n[grid]\nworkload.count = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]", "grid"),
    ("seeds = 2\n[grid]\n" + "\n".join(f'k{i} = [{", ".join(map(str, range(20)))}]' for i in range(6)),
     "grid"),
    ("seeds = 1\n[scenario]\nx = " + "{a=" * 300 + "1" + "}" * 300, None),
    ("seeds = [" + ", ".join(["1"] * 3) + "]", "seeds"),
])
def test_oversized_or_deep_sweeps_fail_before_any_run(text, key, tmp_path, capsys):
    path = tmp_path / "big-sweep.toml"
    path.write_text('name = "big"\nstrategies = ["seed"]\n' + text + "\n")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    err = one_line(capsys.readouterr().err, str(path))
    if key is not None:
        assert f": {key}: " in err
    assert not out.exists()
