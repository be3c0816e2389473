"""Regression tests for behaviours that once contradicted SPEC.md, each with the SPEC sentence.

A new discrepancy goes here as a minimal test marked ``xfail(strict=True)`` whose reason quotes the
sentence; when the core is fixed, the marker comes off and the test stays as a regression test.
"""

from __future__ import annotations

import pytest

from simulations.engine.simulator import simulate
from simulations.io.scenario import parse_scenario


# Fixed in ef33caa. SPEC §2.2: ambiguous failures are retried 'after retry_backoff × 2^(k−1)
# seconds (capped at retry_backoff_max), until the send is decided'; §2.6: a run ends 'after the
# events at t ≤ until'. StrategyOptions.backoff overflowed a float at the 1025th retry
# (OverflowError) instead of running to `until`.
def test_reconciled_retries_past_1024_attempts_run_to_until():
    d = {"until": 1200.0,
         "post": {"request_latency": 0.1, "response_latency": 0.1, "timeout": 0.5,
                  "faults": {"request_lost": 1.0}},
         "sse": {"delay": 0.05},
         "strategy_options": {"retry_backoff": 0.5, "retry_backoff_max": 0.5, "request_deadline": 0.5},
         "sends": [{"at": 0.0, "content": "A"}]}
    r = simulate(parse_scenario(d, "<overflow>"), strategy="reconciled")
    assert r.metrics["end_time"] == 1200.0
    assert r.metrics["posts"] > 1024


# Fixed in ef33caa. SPEC §2.6: 'Every scenario key is optional; defaults are the values in the
# §6 example, except that [[sends]], [[events]] and [workload] default to none, every fault to
# 0, and a send's client to 0.' The §6 send has at = 0.0, but a [[sends]] or [[events]] entry
# without `at` was refused ('sends[0].at: required').
def test_a_send_without_at_defaults_to_time_zero():
    sc = parse_scenario({"sends": [{"content": "A"}]}, "<no-at>")
    assert sc.sends[0].at == 0.0


# SPEC §2.6 read literally (a later audit): the defaults of an entry's keys are the §6 example's
# values, so an event's `at` is 0.5 and a send's `content` is "A" (a send's `client` is 0, as
# the exception says). Earlier an event defaulted to 0.0 and a send's content to "", refused.
def test_an_event_without_at_defaults_to_the_examples_half_second():
    sc = parse_scenario({"events": [{"kind": "sse-disconnect"}]}, "<no-at>")
    assert sc.events[0].at == 0.5
    sc = parse_scenario({"events": [{}]}, "<bare>")
    assert (sc.events[0].at, sc.events[0].client, sc.events[0].kind) == (0.5, 0, "sse-disconnect")


def test_a_send_without_content_sends_the_examples_a():
    sc = parse_scenario({"sends": [{}]}, "<bare>")
    assert (sc.sends[0].at, sc.sends[0].client, sc.sends[0].content, sc.sends[0].fault) == (
        0.0, 0, "A", None)


# Fixed after a SPEC audit. SPEC §2.6: 'A response that arrives after its timeout, or exactly at
# it, is ignored' and 'Scripted scenarios with constant latencies are fully determined and must
# agree exactly.' Instants were float sums: 0.1 + 0.7 = 0.7999999999999999 < 0.8, so this
# response beat its timeout while the same tie with other numbers did not.
@pytest.mark.parametrize(("at", "req", "resp", "timeout"), [
    (0.0, 0.1, 0.7, 0.8), (0.7, 0.1, 0.2, 0.3), (0.3, 0.2, 0.1, 0.3), (1.1, 2.2, 3.3, 5.5)])
def test_a_response_exactly_at_its_timeout_is_ignored_whatever_the_decimals(
        at, req, resp, timeout):
    d = {"post": {"request_latency": req, "response_latency": resp, "timeout": timeout},
         "sends": [{"at": at, "content": "A"}]}
    r = simulate(parse_scenario(d, "<tie>"), strategy="seed")
    assert r.metrics["errors_shown"] == 1  # the timeout won the tie: error shown, rolled back
    assert r.violations["no-ghost"] == 1  # ... for a message the server committed
    assert r.metrics["end_time"] == round(at + timeout, 9)


# Fixed after a SPEC audit. SPEC §3: convergence is 'checked at every instant the system becomes
# quiescent'. The checks also ran when an input left the system quiescent, so a refused send
# (validation) after a stuck entry counted the same convergence and no-orphan episodes again.
def test_an_input_that_leaves_the_system_quiescent_does_not_recount_episodes():
    from pathlib import Path

    from simulations.io.scenario import load_scenario_data
    path = Path(__file__).parent.parent / "simulations/scenarios/disconnect-resume-none.toml"
    data = load_scenario_data(path)
    base = simulate(parse_scenario(data, str(path)))
    assert base.violations["no-orphan"] == 1 and base.violations["convergence"] == 1
    data = {**data, "sends": [*data["sends"], {"at": 30.0, "content": ""}]}  # refused: error shown
    later = simulate(parse_scenario(data, str(path)))
    assert later.metrics["end_time"] == 30.0 and later.metrics["errors_shown"] == 1
    assert later.violations == base.violations


def test_a_send_lost_without_any_pending_work_is_caught_at_the_end():
    """The send is the last input and leaves the system quiescent: the end-of-run check counts
    the new episodes (no-silent-loss, its orphan entry, the diverged view) once."""
    d = {"sends": [{"at": 0.0, "content": "A"}, {"at": 1.0, "content": "B"}]}
    r = simulate(parse_scenario(d, "<forgetful>"), strategy="tests.plugins.forgetful:Forgetful")
    assert r.violations["no-silent-loss"] == 2
    assert r.violations["no-orphan"] == 2  # one per entry, each counted once
    assert r.violations["convergence"] == 1  # one episode: the view never matched again
