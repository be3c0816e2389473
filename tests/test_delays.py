"""SPEC §2.5 (v3.1): every delay and latency takes a distribution; a sampled delay is drawn when the
step that needs it happens, from the run's one random stream in event order; a constant draws nothing."""

from __future__ import annotations

import json
import random

import pytest

from model.config import Dist
from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.io.scenario import parse_scenario

DELAYS = ["post.request_latency", "post.response_latency", "sse.delay", "sse.reconnect_delay",
          "sse.old_stream_delay", "server.think_delay", "server.reply_delay"]
FORMS = {
    "constant": ({"dist": "constant", "value": 0.2}, Dist("constant", value=0.2)),
    "uniform": ({"dist": "uniform", "low": 0.1, "high": 0.3}, Dist("uniform", low=0.1, high=0.3)),
    "exponential": ({"dist": "exponential", "mean": 0.2}, Dist("exponential", mean=0.2)),
    "lognormal": ({"dist": "lognormal", "median": 0.2, "sigma": 0.5},
                  Dist("lognormal", median=0.2, sigma=0.5)),
    "empirical": ({"dist": "empirical", "samples": [0.1, 0.2]}, Dist("empirical", samples=(0.1, 0.2))),
}


def nested(path: str, value) -> dict:
    table, key = path.split(".")
    return {table: {key: value}}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("path", DELAYS)
def test_every_delay_key_takes_every_form(path, form):
    raw, expected = FORMS[form]
    sc = parse_scenario(nested(path, raw), "d.toml")
    table, key = path.split(".")
    assert getattr(getattr(sc, table), key) == expected
    send = parse_scenario({"sends": [{"content": "A", "request_latency": raw, "response_latency": raw}]})
    assert send.sends[0].request_latency == send.sends[0].response_latency == expected


def run_trace(d: dict, tmp_path, seed: int = 1) -> list[dict]:
    path = tmp_path / f"t{seed}.jsonl"
    simulate(parse_scenario(d, "d.toml"), seed=seed, trace_path=path)
    return [json.loads(line) for line in path.read_text().splitlines()]


QUIET = {"post": {"request_latency": 0.01, "response_latency": 0.01},
         "sse": {"delay": 0.01}}  # constant everywhere else: the only draws are the delays under test


def test_reconnect_delays_are_drawn_at_each_disconnect_in_order(tmp_path):
    """A reconnect's delay is drawn when the disconnect happens: with nothing else random, the
    n-th reconnect comes the n-th exponential draw of Random(seed) after its disconnect."""
    d = {**QUIET, "sse": {"delay": 0.01, "reconnect_delay": {"dist": "exponential", "mean": 0.5}},
         "events": [{"at": 1.0}, {"at": 4.0}, {"at": 8.0}]}
    for seed in (1, 2):
        rng = random.Random(seed)
        trace = run_trace(d, tmp_path, seed)
        downs = [r["t"] for r in trace if r["kind"] == "disconnect"]
        ups = [r["t"] for r in trace if r["kind"] == "reconnect"]
        assert downs == [1.0, 4.0, 8.0]
        assert ups == [round((t + rng.expovariate(1 / 0.5)) * 1e9) / 1e9 for t in downs]


def test_assistant_delays_are_drawn_at_the_commit_and_at_the_typing_change(tmp_path):
    d = {**QUIET, "server": {"assistant": True,
                             "think_delay": {"dist": "uniform", "low": 0.1, "high": 0.2},
                             "reply_delay": {"dist": "uniform", "low": 1.0, "high": 2.0}},
         "sends": [{"at": 0.0, "content": "A"}, {"at": 10.0, "content": "B"}]}
    rng = random.Random(1)
    trace = run_trace(d, tmp_path)
    commits = [r["t"] for r in trace if r["kind"] == "commit"]
    flags = [r["t"] for r in trace if r["kind"] == "flags"]
    user, assistant = commits[0::2], commits[1::2]
    for c, f, a in zip(user, flags, assistant, strict=True):
        think = rng.uniform(0.1, 0.2)  # drawn at the commit
        assert f == round((c + think) * 1e9) / 1e9
        reply = rng.uniform(1.0, 2.0)  # drawn at the typing change
        assert a == round((f + reply) * 1e9) / 1e9


def test_a_drained_stream_is_delayed_by_one_draw(tmp_path):
    d = {**QUIET, "sse": {"delay": 0.5, "old_stream_drains": True, "reconnect_delay": 0.05,
                          "old_stream_delay": {"dist": "uniform", "low": 1.0, "high": 2.0}},
         "sends": [{"at": 0.0, "content": "A"}, {"at": 0.01, "content": "B"}], "events": [{"at": 0.2}]}
    trace = run_trace(d, tmp_path)
    old = [r["t"] for r in trace if r["kind"] == "deliver" and r["conn"] == 0]
    assert len(old) == 2  # the two commits' events were in flight at the drop
    extra = random.Random(1).uniform(1.0, 2.0)
    assert old == [round((t + 0.5 + extra) * 1e9) / 1e9 for t in (0.01, 0.02)]  # pushed at the commits


@pytest.mark.parametrize("path", ["sse.reconnect_delay", "server.think_delay", "server.reply_delay",
                                  "sse.old_stream_delay"])
def test_a_constant_table_is_the_bare_number(path, tmp_path):
    """A constant draws nothing: `x = 0.3` and `x = {dist = "constant", value = 0.3}` give the same
    trace byte for byte, with random latencies around them."""
    base = {"sse": {"delay": {"dist": "exponential", "mean": 0.05}, "old_stream_drains": True},
            "server": {"assistant": True}, "workload": {"count": 5, "rate": 2.0},
            "events": [{"at": 0.5}, {"at": 1.5}]}
    traces = []
    for value in (0.3, {"dist": "constant", "value": 0.3}):
        d = json.loads(json.dumps(base))
        table, key = path.split(".")
        d[table][key] = value
        traces.append([json.dumps(r) for r in run_trace(d, tmp_path)])
    assert traces[0] == traces[1]


def test_issue_examples_run(tmp_path, capsys):
    path = tmp_path / "dists.toml"
    path.write_text('[server]\nassistant = true\nreply_delay = { dist = "uniform", low = 0.5, high = 1.5 }\n'
                    '[sse]\nreconnect_delay = { dist = "exponential", mean = 1.0 }\n'
                    '[[sends]]\ncontent = "A"\n[[events]]\nat = 0.01\n')
    assert main(["run", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["committed"] == 1
