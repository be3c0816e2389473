"""The sweep's section of ``ssesim report``: run once, reused, replaced when the sweep changes."""

from __future__ import annotations

import json
import re

from simulations.report.build import build_report
from simulations.report.html_page import write_html
from simulations.report.sweep import default_sweep_section


def no_plots(monkeypatch):
    monkeypatch.setattr("simulations.report.sweep.plot_sweep", lambda agg, out, workers=None: [])


def test_default_sweep_section_in_a_report_and_its_html(tmp_path, monkeypatch):
    title, body = default_sweep_section(tmp_path, sweep="quick", workers=2, quiet=True)
    assert title == "Sweep: quick"
    assert "](sweep/report.md)" in body and "### Findings" in body
    assert "](sweep/plots/main-heatmap.png)" in body
    assert not re.search(r"^## ", body, re.MULTILINE)  # nested under the report's own heading
    readme = build_report(tmp_path, [(title, body)])
    page = write_html(readme, tmp_path / "index.html").read_text()
    assert page.count("data:image/png;base64,") >= 3
    runs = tmp_path / "sweep" / "runs.csv"
    before = (runs.read_text(), runs.stat().st_mtime_ns)
    no_plots(monkeypatch)
    default_sweep_section(tmp_path, sweep="quick", workers=2, quiet=True)
    assert (runs.read_text(), runs.stat().st_mtime_ns) == before  # nothing ran again


def test_a_changed_sweep_replaces_old_results(tmp_path, monkeypatch):
    no_plots(monkeypatch)
    default_sweep_section(tmp_path, sweep="quick", workers=2, quiet=True)
    meta = tmp_path / "sweep" / "meta.json"
    data = json.loads(meta.read_text())
    data["fingerprint"] = "stale"
    meta.write_text(json.dumps(data))
    default_sweep_section(tmp_path, sweep="quick", workers=2, quiet=True)
    assert json.loads(meta.read_text())["fingerprint"] != "stale"


RAW = {"runs.csv", "confirm_times.jsonl", "meta.json"}  # the sweep's run log: completion order


def report_files(out) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in RAW}


def test_report_twice_gives_byte_identical_files(tmp_path, capsys):
    from simulations.cli import main

    args = ["report", "--sweep", "quick", "--runs", "1", "--max-states", "40", "--quiet",
            "--out", str(tmp_path)]
    assert main(args + ["--workers", "2"]) == 0
    first = report_files(tmp_path)
    assert {"README.md", "index.html", "sweep/report.md", "sweep/plots/confirm-cdf.svg"} <= set(first)
    headings = re.findall(r"^## (.*)$", first["README.md"].decode(), re.MULTILINE)
    assert headings[:2] == ["Summary", "What `reconciled` does differently"]
    assert main(args + ["--workers", "1"]) == 0  # the sweep resumes; everything is redrawn
    assert report_files(tmp_path) == first
