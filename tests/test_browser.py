"""``ssesim browser``: the built-in client modules in real headless Chromium, lockstep, against the
reference server on loopback, judged by the same checkers (SPEC §6.1).

One browser per test session (per xdist worker), its contexts reused; each run is bounded by the
harness's patience. Skipped, with the reason, without Playwright or Chromium. The default suite plays
every example once per built-in module; 20-run determinism and the full race suites are ``slow``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}
EXAMPLES = sorted(n for n, p in SCENARIOS.items() if n != "realistic"
                  and not load_scenario(p).sse.old_stream_drains)
CLIENTS = resources.files("simulations.browser").joinpath("clients")

REFUSED = """
name = "refused-then-reopened"
description = "A14 dead stream: the reconnect is refused (503)"
[post]
request_latency = 0.1
response_latency = 0.1
[sse]
delay = 0.05
reconnect_delay = 0.5
[[sends]]
at = 0.0
content = "A"
[[events]]
at = 0.3
kind = "sse-disconnect"
refuse = 1
[[sends]]
at = 1.0
content = "B"
"""


def _skip_reason() -> str | None:
    try:
        from simulations.browser.pool import NoBrowser, require
        require()
    except NoBrowser as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def browser():
    """(event loop, started Pool): one Chromium for the whole session."""
    why = _skip_reason()
    if why:
        pytest.skip(why)
    from simulations.browser.pool import Pool
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(Pool().start())
    yield loop, pool
    loop.run_until_complete(pool.stop())
    loop.close()


def play(browser, scenario, client: str, trace=None, seed=None):
    from simulations.browser.runner import browser_run_async, load_module
    loop, pool = browser
    return loop.run_until_complete(asyncio.wait_for(
        browser_run_async(scenario, load_module(client), pool, seed=seed, trace_path=trace), 60))


def simulated_trace(path: Path, strategy: str, tmp_path: Path) -> bytes:
    out = tmp_path / f"run-{strategy}.jsonl"
    simulate(load_scenario(path), strategy=strategy, trace_path=out)
    return out.read_bytes()


@pytest.mark.parametrize("client", ["seed", "reconciled"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_the_browser_trace_equals_the_simulated_trace(browser, tmp_path, name, client):
    trace = tmp_path / "browser.jsonl"
    play(browser, load_scenario(SCENARIOS[name]), client, trace)
    assert trace.read_bytes() == simulated_trace(SCENARIOS[name], client, tmp_path)


@pytest.mark.parametrize("client", ["seed", "reconciled"])
def test_a_refused_reconnect_is_a_real_503_the_seed_freezes_and_reconciled_reopens(browser, tmp_path,
                                                                                   client):
    path = tmp_path / "refused.toml"
    path.write_text(REFUSED)
    traces = []
    for k in range(3):  # deterministic: one distinct trace
        trace = tmp_path / f"b{k}.jsonl"
        result = play(browser, load_scenario(path), client, trace)
        traces.append(trace.read_bytes())
    assert len(set(traces)) == 1
    assert traces[0] == simulated_trace(path, client, tmp_path)
    assert b'"refused":true' in traces[0]
    broke = {k for k, n in result.violations.items() if n}
    assert broke == ({"no-orphan", "convergence"} if client == "seed" else set())


def test_old_stream_drains_is_not_realizable_never_a_pass(browser, capsys):
    assert main(["browser", str(SCENARIOS["old-stream-drains"])]) == 1
    out = capsys.readouterr()
    assert "not realizable" in out.out and "not a pass" in out.err


def test_a_users_broken_client_is_caught_by_the_race_it_has(browser, tmp_path, capsys):
    """Reconciled without "one send at a time": every send posts at once, so B may overtake A."""
    code = CLIENTS.joinpath("reconciled.js").read_text()
    broken = code.replace("    this.pending.push(s);\n    this.render();\n    this.startNext();",
                          "    this.pending.push(s);\n    this.render();\n    this.post(s);")
    assert broken != code
    module = tmp_path / "broken.js"
    module.write_text(broken)
    junit = tmp_path / "junit.xml"
    assert main(["browser", str(SCENARIOS["post-overtaking"]), "--client", str(module),
                 "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "send-order" in out and "scenario post-overtaking | strategy broken" in out
    assert 'failures="1"' in junit.read_text() and "send-order" in junit.read_text()


def test_json_carries_runs_fields_and_the_browsers(browser, capsys):
    assert main(["browser", str(SCENARIOS["two-quick-sends"]), "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["strategy"] == "seed" and got["violations"]["no-flicker"] == 1
    assert got["browser"]["verdict"] == "no-flicker" and got["live"]["client"] == "seed"


@pytest.mark.slow
@pytest.mark.parametrize("client", ["seed", "reconciled"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_twenty_runs_of_each_example_give_one_distinct_trace(browser, tmp_path, name, client):
    traces = set()
    for k in range(20):
        trace = tmp_path / f"b{k}.jsonl"
        play(browser, load_scenario(SCENARIOS[name]), client, trace)
        traces.add(trace.read_bytes())
    assert len(traces) == 1


@pytest.mark.slow
def test_the_realistic_workload_of_twenty_sends_per_client_equals_the_simulator(browser, tmp_path):
    path = tmp_path / "realistic20.toml"
    path.write_text(SCENARIOS["realistic"].read_text().replace("count = 100", "count = 20"))
    trace = tmp_path / "browser.jsonl"
    play(browser, load_scenario(path), "seed", trace)
    assert trace.read_bytes() == simulated_trace(path, "seed", tmp_path)


@pytest.mark.slow
def test_the_race_suite_of_reconciled_is_clean(browser, capsys):
    assert main(["browser", "--client", "reconciled"]) == 0
    out = capsys.readouterr().out
    assert "old-stream-drains" in out and "not realizable" in out and "browser passed" in out


# --- no browser needed -----------------------------------------------------------------------------
def test_no_chromium_is_exit_2_with_one_line_on_how_to_install(monkeypatch, capsys):
    monkeypatch.setenv("SSESIM_CHROMIUM", "/nonexistent/chromium")
    assert main(["browser", str(SCENARIOS["two-quick-sends"])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "apt-get install chromium" in err


def test_a_bad_client_module_is_exit_2_naming_it(tmp_path, capsys):
    assert main(["browser", str(SCENARIOS["two-quick-sends"]), "--client", "nope"]) == 2
    assert "--client" in capsys.readouterr().err
    assert main(["browser", str(SCENARIOS["two-quick-sends"]), "--client", str(tmp_path / "x.js")]) == 2
    assert "no such client module" in capsys.readouterr().err


def _esbuild() -> str | None:
    return os.environ.get("SSESIM_ESBUILD") or shutil.which("esbuild")


@pytest.mark.parametrize("name", ["seed", "reconciled"])
def test_the_committed_javascript_is_the_build_of_its_typescript(name):
    esbuild = _esbuild()
    if esbuild is None:
        pytest.skip("esbuild not on PATH (npm install esbuild): the committed .js is not rebuilt")
    source = CLIENTS.joinpath(f"{name}.ts")
    built = subprocess.run([esbuild, str(source), "--format=esm", "--log-level=warning"],
                           capture_output=True, check=True, timeout=60).stdout
    assert built == CLIENTS.joinpath(f"{name}.js").read_bytes(), \
        f"rebuild {name}.js: esbuild {name}.ts --format=esm --outfile={name}.js"


def test_a_counterexample_replays_in_the_browser_the_seed_reproduces_it_reconciled_does_not(
        browser, tmp_path, capsys):
    assert main(["explore", str(SCENARIOS["two-quick-sends"]), "--strategy", "seed", "--quiet",
                 "--counterexamples", str(tmp_path)]) == 0
    capsys.readouterr()
    cx = tmp_path / "two-quick-sends.seed.no-flicker.json"
    assert main(["browser", str(cx), "--client", "seed"]) == 1
    assert "no-flicker           1" in capsys.readouterr().out
    assert main(["browser", str(cx), "--client", "reconciled"]) == 0


def test_runs_prints_how_often_each_invariant_broke_with_an_interval(browser, capsys):
    assert main(["browser", str(SCENARIOS["two-quick-sends"]), "--runs", "2"]) == 1
    out = capsys.readouterr().out
    assert "two-quick-sends: 2 runs" in out and "no-flicker         2/2" in out and "95%" in out


def test_the_model_vs_browser_section_says_why_a_pair_differs():
    from simulations.report.browser import browser_section
    zero = dict.fromkeys(["no-flicker", "convergence"], 0)
    rows = [{"scenario": "a", "client": "seed", "simulated": {**zero, "no-flicker": 1},
             "browser": {**zero, "no-flicker": 1}, "agree": True, "why": ""},
            {"scenario": "b", "client": "reconciled", "simulated": zero, "browser": None,
             "agree": False, "why": "not realizable: one EventSource"}]
    title, text = browser_section(rows)
    assert title == "Model vs browser" and "**1 of 2**" in text
    assert "| `b` | `reconciled` | 0 | - | **no** | not realizable: one EventSource |" in text


def test_the_suite_tabulates_race_by_verdict_and_writes_junit():
    from simulations.browser.suite import Row, junit_xml, table, wilson
    rows = [Row("two-quick-sends", "A2 quick second send wiped", runs=1, broke={"no-flicker": 1}),
            Row("old-stream-drains", "A7 stale overwrite", not_realizable="old_stream_drains: ...")]
    text = table(rows, "seed")
    assert "A2 quick second send wiped  no-flicker" in text and "not realizable" in text
    assert text.endswith("browser FAILED: 2 scenarios, 1 with a broken invariant, 1 not realizable")
    xml = junit_xml(rows, "seed")
    assert 'failures="1" skipped="1"' in xml and "<skipped message=" in xml
    lo, hi = wilson(0, 20)
    assert lo == 0.0 and 0.15 < hi < 0.17


def test_a_typescript_client_module_is_built_with_esbuild(browser, capsys, monkeypatch):
    if _esbuild() is None:
        pytest.skip("esbuild not on PATH (npm install esbuild): a .ts client module cannot be built")
    monkeypatch.setenv("SSESIM_ESBUILD", _esbuild())
    assert main(["browser", str(SCENARIOS["two-quick-sends"]), "--client",
                 str(CLIENTS.joinpath("reconciled.ts"))]) == 0
    assert "strategy reconciled" in capsys.readouterr().out


# --- free mode (gates open, real timing): nondeterministic, so only structure and robust facts ---
def play_free(browser, scenario, client: str, runs: int = 1, trace=None):
    from simulations.browser.runner import load_module
    from simulations.browser.suite import play as play_row
    loop, pool = browser
    return loop.run_until_complete(asyncio.wait_for(
        play_row(scenario, load_module(client), pool, runs=runs, trace_path=trace, time_scale=1.0),
        30 * runs))


def test_free_mode_records_a_trace_the_same_checkers_and_check_trace_agree_on(browser, tmp_path, capsys):
    trace = tmp_path / "free.jsonl"
    row = play_free(browser, load_scenario(SCENARIOS["two-quick-sends"]), "seed", trace=trace)
    result = row.result
    assert result.live["mode"] == "free" and result.live["time_scale"] == 1.0
    assert result.sends == 2 and result.committed == 2 and not result.metrics["stuck"]
    capsys.readouterr()
    code = main(["check-trace", str(trace), "--json"])
    got = json.loads(capsys.readouterr().out)
    assert code == (1 if any(result.violations.values()) else 0)
    assert {k: v for k, v in got["violations"].items() if v} == \
        {k: v for k, v in result.violations.items() if v}


@pytest.mark.parametrize("name", ["two-quick-sends", "error-after-commit"])
def test_reconciled_keeps_every_invariant_in_free_mode_over_three_runs(browser, name):
    row = play_free(browser, load_scenario(SCENARIOS[name]), "reconciled", runs=3)
    assert row.runs == 3 and row.verdict == "clean", row.broke


def test_free_runs_give_each_invariant_a_rate_and_a_95_percent_interval(browser):
    from model.invariants import INVARIANTS
    from simulations.browser.suite import rates
    row = play_free(browser, load_scenario(SCENARIOS["response-lost-after-commit"]), "seed", runs=2)
    out = rates(row)
    assert out.startswith("response-lost-after-commit: 2 runs")
    assert all(f"  {inv}" in out for inv in INVARIANTS) and out.count("(95% ") == len(INVARIANTS)
    got = row.to_json()
    for inv in INVARIANTS:
        r = got["rates"][inv]
        assert r["runs"] == 2 and 0 <= r["broke"] <= 2 and r["broke"] == got["broke"][inv]
        lo, hi = r["ci95"]
        assert 0.0 <= lo <= r["rate"] <= hi <= 1.0


LOST = """
name = "lost-then-timeout"
description = "request_lost: the fetch fails at the timeout instant"
[post]
request_latency = 0.05
response_latency = 0.05
timeout = 0.5
[[sends]]
at = 0.0
content = "A"
fault = "request_lost"
"""


def test_free_mode_faults_still_play_refused_reconnect_and_timers(browser, tmp_path):
    path = tmp_path / "refused.toml"
    path.write_text(REFUSED)
    for scenario, client in ((load_scenario(path), "reconciled"),
                             (load_scenario(SCENARIOS["seed-retry-duplicate"]), "seed")):
        row = play_free(browser, scenario, client)
        assert row.runs == 1 and not row.result.metrics["stuck"]
        assert row.result.sends >= 1 and row.result.metrics["events"] > 0


def test_free_mode_request_lost_fails_the_seeds_fetch_at_its_timeout(browser, tmp_path):
    path = tmp_path / "lost.toml"
    path.write_text(LOST)
    result = play_free(browser, load_scenario(path), "seed").result
    assert result.committed == 0 and result.metrics["errors_shown"] == 1 and not result.metrics["stuck"]
    assert result.metrics["end_time"] >= 0.5


def test_old_stream_drains_is_not_realizable_in_free_mode_either(browser):
    row = play_free(browser, load_scenario(SCENARIOS["old-stream-drains"]), "seed", runs=2)
    assert row.not_realizable and row.runs == 0 and row.verdict == "not realizable"


@pytest.mark.parametrize("argv, says", [
    (["--mode", "free", "--time-scale", "0"], "--time-scale: must be > 0 in a free run"),
    (["--mode", "free", "--time-scale", "-1"], "--time-scale: must be > 0 in a free run"),
    (["--time-scale", "2"], "--time-scale: only with --mode free"),
])
def test_a_bad_time_scale_is_one_line_exit_2(argv, says, capsys):
    assert main(["browser", str(SCENARIOS["two-quick-sends"]), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
