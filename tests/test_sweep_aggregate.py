"""Aggregation statistics on hand-built data: ratio CIs, means, histogram percentiles."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from sweep_fakes import fake_parse, fake_run

from simulations.io.sweep_file import load_sweep
from simulations.sweep import runner
from simulations.sweep.aggregate import (
    LogHistogram,
    MeanStat,
    RatioStat,
    aggregate,
    markdown_tables,
    write_summary,
)


def test_ratio_interval_uses_runs_as_clusters():
    stat = RatioStat()
    for v, s in [(1, 10), (3, 10), (2, 10)]:
        stat.add(v, s)
    rate, lo, hi = stat.interval()
    half = 1.959963984540054 * math.sqrt(3 / 2 * 2) / 30
    assert rate == pytest.approx(0.2)
    assert (lo, hi) == (pytest.approx(0.2 - half), pytest.approx(0.2 + half))


def test_ratio_interval_weights_runs_by_sends():
    stat = RatioStat()
    for v, s in [(0, 1), (10, 99)]:
        stat.add(v, s)
    assert stat.interval()[0] == pytest.approx(0.1)


def test_ratio_with_no_episode_uses_the_rule_of_three():
    stat = RatioStat()
    for _ in range(5):
        stat.add(0, 20)
    assert stat.interval() == (0.0, 0.0, pytest.approx(3 / 100))


def test_ratio_single_run_uses_poisson_and_clips_at_zero():
    stat = RatioStat()
    stat.add(1, 10)
    rate, lo, hi = stat.interval()
    assert rate == 0.1 and lo == 0.0 and hi == pytest.approx(0.1 + 1.959963984540054 * 1 / 10)
    assert all(math.isnan(x) for x in RatioStat().interval())


def test_mean_interval():
    stat = MeanStat()
    for x in (1.0, 2.0, 3.0):
        stat.add(x)
    mean, _lo, hi = stat.interval()
    assert mean == 2.0 and hi - mean == pytest.approx(1.959963984540054 / math.sqrt(3))


def test_histogram_percentiles_within_bin_error():
    rng = random.Random(7)
    xs = sorted(rng.lognormvariate(-1, 1.2) for _ in range(20000))
    hist = LogHistogram()
    for x in xs:
        hist.add(x)
    for q in (0.5, 0.9, 0.99):
        exact = xs[math.ceil(q * len(xs)) - 1]
        assert hist.quantile(q) == pytest.approx(exact, rel=0.012)
    assert hist.max == xs[-1] and hist.quantile(1.0) <= xs[-1]
    cx, cp = hist.cdf()
    assert cp[-1] == 1.0 and all(a <= b for a, b in itertools.pairwise(cp))
    assert all(a < b for a, b in itertools.pairwise(cx))


def test_histogram_zero_and_merge():
    a, b = LogHistogram(), LogHistogram()
    a.add(0.0)
    b.add(2.0)
    a.merge(b)
    assert a.n == 2 and a.quantile(0.5) == pytest.approx(1e-6) and a.max == 2.0
    assert math.isnan(LogHistogram().quantile(0.5))


def test_aggregate_of_a_sweep_folder(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "t"\nstrategies = ["seed", "reconciled"]\nseeds = 3\n'
                    '[grid]\n"post.faults.response_lost" = [0.0, 0.3]\n'
                    '"sse.payload" = ["snapshot", "delta"]\n')
    sweep = load_sweep(path, parse=fake_parse)
    out = tmp_path / "out"
    runner.run_sweep(sweep, out, workers=2, quiet=True, run_fn=fake_run)
    agg = aggregate(out)
    assert len(agg.rows) == 4 * 2 and agg.failed_runs == 0
    by = {(r["cell"], r["strategy"]): r for r in agg.rows}
    clean = by[(sweep.cells[0].id, "seed")]
    assert clean["anomalies"] == 0 and clean["anomalies.hi"] == pytest.approx(3 / 30)
    noisy = by[(sweep.cells[2].id, "seed")]
    expected = [fake_run(sweep.scenario_data(sweep.cells[2]), "", "seed", s) for s in (1, 2, 3)]
    flick = sum(e["result"]["violations"]["no-flicker"] for e in expected)
    assert noisy["no-flicker"] == pytest.approx(flick / 30)
    assert noisy["flicker"] == pytest.approx(flick / 30)
    assert noisy["rerenders"] == pytest.approx(3.0)
    commits = sum(e["result"]["committed"] for e in expected)  # SPEC §4: commits, aggregated
    assert noisy["commits"] == pytest.approx(commits / 30) and "commits.lo" in noisy
    all_samples = sorted(x for e in expected for x in e["confirm_times"])
    assert noisy["confirm.max"] == all_samples[-1]
    assert noisy["confirm.p50"] == pytest.approx(all_samples[14], rel=0.012)
    assert agg.by_strategy["seed"]["runs"] == 12
    assert agg.confirm_by_strategy["seed"].n == 12 * 10
    csv_path, md_path = write_summary(agg, out)
    header = csv_path.read_text().splitlines()[0].split(",")
    assert header[:5] == ["study", "cell", "post.faults.response_lost", "sse.payload", "strategy"]
    assert "no-flicker.lo" in header and "commits" in header
    md = markdown_tables(agg)
    assert "| cell | strategy | runs | all anomalies |" in md and "commits /100 sends" in md
    assert md == md_path.read_text()
