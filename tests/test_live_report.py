"""The report's Model vs wire table and the live benchmark's load section, on small inputs."""

from __future__ import annotations

from simulations.bench.live import load
from simulations.cli import build_parser
from simulations.io.scenario import builtin_scenarios
from simulations.report.live import live_section, model_vs_wire

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


def test_model_vs_wire_rows_and_table():
    rows = model_vs_wire([SCENARIOS["two-tabs"], SCENARIOS["two-sessions"]], strategies=("seed", "dual-write"))
    assert [(r["scenario"], r["strategy"]) for r in rows] == [
        ("two-tabs", "seed"), ("two-tabs", "dual-write"), ("two-sessions", "seed"),
        ("two-sessions", "dual-write")]
    assert all(r["agree"] and r["simulated"] == r["live"] for r in rows)
    title, body = live_section(rows)
    assert title == "Model vs wire" and "**4 of 4**" in body
    assert "| `two-tabs` | `dual-write` | 2 | `sse-only` 1, `no-flicker` 1, `convergence` 1, `monotonic` 1 " \
           "| `sse-only` 1, `no-flicker` 1, `convergence` 1, `monotonic` 1 | yes |" in body
    assert "| `two-sessions` | `seed` | 3 | 0 | 0 | yes |" in body


def test_a_disagreement_is_marked():
    rows = [{"scenario": "x", "strategy": "seed", "sends": 1, "simulated": {"no-ghost": 1},
             "live": {"no-ghost": 0}, "agree": False, "wall": 0.1, "mode": "lockstep"}]
    assert "| **no** |" in live_section(rows)[1] and "**0 of 1**" in live_section(rows)[1]


def test_report_takes_live():
    assert build_parser().parse_args(["report", "--live"]).live is True
    assert build_parser().parse_args(["report"]).live is False


def test_the_load_benchmark_checks_every_stream_in_order():
    out = load(post_clients=2, posts=3, stream_counts=[6], sessions=2, events=3)
    assert out["posts"]["posts"] == 6 and out["posts"]["statuses"] == {200: 6}
    streams = out["streams"][0]
    assert streams["streams_complete_in_order"] == 6 and streams["events_received"] == 18
