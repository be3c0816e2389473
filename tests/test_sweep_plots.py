"""Plots, the sweep report's sections and the standalone HTML page, on hand-built and fake data."""

from __future__ import annotations

import base64
import re

import pytest
from sweep_fakes import fake_parse, fake_run

from simulations.io.sweep_file import load_sweep
from simulations.report import plots
from simulations.report.html_page import markdown_to_html, write_html
from simulations.report.sweep import finish_sweep, sweep_sections
from simulations.sweep import runner
from simulations.sweep.aggregate import LogHistogram, aggregate


def row(strategy, params, value, sse=1000.0):
    r = {"strategy": strategy, "params": params, "study": "main"}
    for name, v in (("anomalies", value), ("flicker", value / 2), ("sse_bytes", sse)):
        r[name], r[f"{name}.lo"], r[f"{name}.hi"] = v, v * 0.8, v * 1.2
    return r


def assert_written(paths):
    png, svg = paths
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000
    assert b"<svg" in svg.read_bytes()[:2000]


def test_heatmap_and_lines(tmp_path):
    data = [row(s, {"a": a, "b": b}, a * b * (s == "seed")) for s in ("seed", "reconciled")
            for a in (0.0, 0.1) for b in (0, 1, 2)]
    assert_written(plots.heatmap(data, "a", "b", "anomalies", tmp_path / "h", "heat"))
    line = [r for r in data if r["params"]["b"] == 2]
    assert_written(plots.rate_vs_param(line, "a", "anomalies", tmp_path / "l", "line"))


@pytest.mark.parametrize("top", [5.0, 5000.0])  # a linear axis, and a symlog one
def test_a_strategy_at_zero_stays_visible(top):
    data = [row(s, {"a": a, "p": p}, {"seed": top * a, "dual-write": 0.0}.get(s, 0.0))
            for s in ("seed", "dual-write", "reconciled") for a in (0.01, 0.1, 1.0)
            for p in ("snapshot", "delta")]
    fig = plots.rate_figure(data, "a", "anomalies", "t", style_key="p")
    ax = fig.axes[0]
    assert ax.get_ylim()[0] < 0  # zero sits above the bottom spine, not on it
    lines = {line.get_label(): line for line in ax.get_lines()}
    zero = [line for label, line in lines.items() if label.endswith("(0 at every point)")]
    assert sorted(line.get_label() for line in zero) == [
        f"{s}, {p} (0 at every point)" for s in ("dual-write", "reconciled")
        for p in ("delta", "snapshot")]
    others = [line for line in lines.values() if line not in zero]
    assert min(z.get_zorder() for z in zero) > max(o.get_zorder() for o in others)
    assert not any(z.get_clip_on() for z in zero)
    styles = {(line.get_marker(), line.get_markersize(), line.get_markerfacecolor() == "none")
              for line in zero}
    assert len(styles) == len(zero)  # two series at 0 on top of each other still both show


def test_figures_are_byte_identical_when_drawn_again(tmp_path):
    data = [row(s, {"a": a}, a * (s == "seed")) for s in ("seed", "reconciled") for a in (0, 1)]
    first = plots.rate_vs_param(data, "a", "anomalies", tmp_path / "one", "t")
    second = plots.rate_vs_param(data, "a", "anomalies", tmp_path / "two", "t")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
    assert b"<dc:date>" not in first[1].read_bytes()


def test_bytes_and_cdf(tmp_path):
    data = [row(s, {"workload.count": n, "sse.payload": p}, 0, sse=n * (n if p == "snapshot" else 1))
            for s in ("seed", "reconciled") for n in (10, 100) for p in ("snapshot", "delta")]
    assert_written(plots.bytes_vs_length(data, "workload.count", tmp_path / "b", "bytes"))
    hist = LogHistogram()
    for x in (0.1, 0.2, 0.3, 5.0):
        hist.add(x)
    assert_written(plots.confirm_cdf({"seed": hist, "reconciled": LogHistogram()}, tmp_path / "c",
                                     "cdf"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    path = tmp / "s.toml"
    path.write_text('name = "t"\ndescription = "fake"\nstrategies = ["seed", "reconciled"]\n'
                    'seeds = 3\n[grid]\n"post.faults.response_lost" = [0.0, 0.1, 0.3]\n'
                    '"sse.disconnect_rate" = [0.0, 0.5]\n'
                    '[grids.history]\n"workload.count" = [5, 40]\n'
                    '"sse.payload" = ["snapshot", "delta"]\n')
    out = tmp / "out"
    runner.run_sweep(load_sweep(path, parse=fake_parse), out, workers=2, quiet=True,
                     run_fn=fake_run)
    return out, finish_sweep(out)


def test_finish_sweep_writes_report_with_every_figure(finished):
    out, report = finished
    text = report.read_text()
    names = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert names == ["confirm-cdf.png", "history-anomalies-vs-workload_count.png",
                     "history-sse-bytes-vs-workload_count.png",
                     "main-anomalies-vs-post_faults_response_lost.png",
                     "main-anomalies-vs-sse_disconnect_rate.png",
                     "main-heatmap.png"]
    for name in names:
        assert f"](plots/{name})" in text
    assert (out / "summary.md").exists() and (out / "summary.csv").exists()


def test_figures_drawn_in_a_pool_equal_those_drawn_in_this_process(finished, tmp_path):
    """The report draws a sweep's figures in a pool of processes: the same figures, in the same
    order, byte for byte, as drawn one after the other here."""
    out, _report = finished
    agg = aggregate(out)
    alone = plots.plot_sweep(agg, tmp_path / "alone", workers=1)
    pooled = plots.plot_sweep(agg, tmp_path / "pooled", workers=2)
    assert [(f.title, f.caption, f.png.name) for f in alone] == \
           [(f.title, f.caption, f.png.name) for f in pooled]
    for a, b in zip(alone, pooled):
        assert a.png.read_bytes() == b.png.read_bytes() and a.svg.read_bytes() == b.svg.read_bytes()


def test_findings_numbers_come_from_the_data(finished):
    out, _ = finished
    agg = aggregate(out)
    findings = dict(sweep_sections(out, agg=agg, figures=[]))["Findings"]
    assert "### Study `main`" in findings and "### Study `history`" in findings
    seed = agg.by_study[("main", "seed")]
    assert f"**seed**: {seed['anomalies'] * 100:.3g} violations per 100 sends" in findings
    snap = next(r for r in agg.rows if r["params"] == {"workload.count": 40,
                                                      "sse.payload": "snapshot"}
                and r["strategy"] == "seed")
    assert f"snapshots {snap['sse_bytes'] / 1000:.3g} kB" in findings
    median = agg.confirm_by_strategy["reconciled"].quantile(0.5)
    assert f"reconciled {median:.3g} s" in findings
    delta = next(r for r in agg.rows if r["params"] == {"workload.count": 40, "sse.payload": "delta"}
                 and r["strategy"] == "seed")
    assert "Why the delta figures are so large for the seed" in findings
    assert (f"**seed** {delta['no-flicker'] * 100:.3g} and {delta['convergence'] * 100:.3g} with "
            f"deltas against {snap['no-flicker'] * 100:.3g} and "
            f"{snap['convergence'] * 100:.3g} with snapshots") in findings


def test_html_page_embeds_images(finished, tmp_path):
    _out, report = finished
    page = write_html(report, tmp_path / "r.html").read_text()
    assert "<table>" in page and "<h2>Findings</h2>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 6
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    assert "plots/" not in page


def test_markdown_as_github_reads_it(tmp_path):
    (tmp_path / "dot.png").write_bytes(b"\x89PNG fake")
    md = ("# T\n\npara *em* and **bold** `a<b`\nsame para [l](http://x)\n\n- one\n  cont\n- two\n\n"
          "```\ncode <x>\n```\n| a | b |\n|---|---|\n| 1 \\| 2 | 3 |\n\n![missing](nope.png)\n"
          "![here](dot.png)\n")
    body = markdown_to_html(md, tmp_path)
    assert "<h1>T</h1>" in body
    assert ("<p>para <em>em</em> and <strong>bold</strong> <code>a&lt;b</code>\nsame para "
            '<a href="http://x">l</a></p>') in body
    assert "<ul>\n<li>one\ncont</li>\n<li>two</li>\n</ul>" in body
    assert "<pre><code>code &lt;x&gt;\n</code></pre>" in body
    assert "<tbody>\n<tr>\n<td>1 | 2</td>\n<td>3</td>\n</tr>\n</tbody>" in body
    assert '<img src="nope.png" alt="missing" />' in body
    assert '<img src="data:image/png;base64,iVBORyBmYWtl" alt="here" />' in body
