"""Sweeps with plug-ins and resumes (issue 23, item 9): a plug-in's band takes its line's colour,
identical curves stay visible, and ``--resume`` says what differs — a changed plug-in, grid or
seeds — while more seeds extend the sweep."""

from __future__ import annotations

import csv
import json

from matplotlib.colors import to_rgba

from simulations.cli import main
from simulations.io.scenario import BUILTIN_DIR
from simulations.report import plots

PLUGIN = '''
from model.strategies import Seed


class Mine(Seed):
    name = "mine"
'''

SWEEP = """
name = "plugged"
base = "{base}"
strategies = ["seed", "myplug:Mine"]
seeds = {seeds}
[scenario]
workload.count = 4
[grid]
"post.faults.response_lost" = {grid}
"""


def row(strategy, a, value):
    r = {"strategy": strategy, "params": {"a": a}, "study": "main"}
    for name in ("anomalies", "flicker", "sse_bytes"):
        r[name], r[f"{name}.lo"], r[f"{name}.hi"] = value, value * 0.8, value * 1.2
    return r


def test_a_plugin_band_has_its_line_colour_and_twins_stay_visible():
    data = [row(s, a, 1.0 + a) for s in ("seed", "pkg.mod:Mine", "pkg.mod:Other") for a in (0.0, 0.5)]
    ax = plots.rate_figure(data, "a", "anomalies", "t").axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"seed", "pkg.mod:Mine (= seed)", "pkg.mod:Other (= seed)"}
    for line, band in zip(ax.get_lines(), ax.collections):
        assert to_rgba(band.get_facecolor()[0], 1) == to_rgba(line.get_color(), 1)
    colours = {line.get_color() for line in lines.values()}
    assert len(colours) == 3  # a plug-in never takes a built-in's colour, nor another plug-in's
    twin = lines["pkg.mod:Mine (= seed)"]
    assert twin.get_linestyle() == "--" and twin.get_zorder() > lines["seed"].get_zorder()
    assert twin.get_markersize() > lines["seed"].get_markersize()


def write(tmp_path, seeds=2, grid="[0.0, 0.5]"):
    path = tmp_path / "plugged.toml"
    path.write_text(SWEEP.format(base=BUILTIN_DIR / "realistic.toml", seeds=seeds, grid=grid))
    return str(path)


def test_resume_notices_a_changed_plugin_grid_or_seeds_and_extends_seeds(tmp_path, monkeypatch,
                                                                          capsys):
    module = tmp_path / "myplug.py"
    module.write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    base = ["sweep", "--out", str(out), "--workers", "1", "--quiet"]
    assert main([*base[:1], write(tmp_path), *base[1:]]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert set(meta["parts"]["plugins"]) == {"myplug:Mine"} and meta["parts"]["plugins"]["myplug:Mine"]
    capsys.readouterr()
    # more seeds after the same ones: the sweep is extended, the finished runs kept
    assert main([*base[:1], write(tmp_path, seeds=3), *base[1:], "--resume"]) == 0
    assert "(8 already done, 4 run" in capsys.readouterr().out
    with (out / "runs.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 12
    for change, words in (
            ({"seeds": 2}, "the seeds changed: 1..3 then, 1, 2 now"),
            ({"seeds": 3, "grid": "[0.0, 0.4]"}, "the grid changed: 1 cell(s) no longer in it"),
    ):
        assert main([*base[:1], write(tmp_path, **change), *base[1:], "--resume"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot resume: " in err[0] and words in err[0], err
    module.write_text(PLUGIN + "\n\nVERSION = 2\n")
    assert main([*base[:1], write(tmp_path, seeds=3), *base[1:], "--resume"]) == 2
    err = capsys.readouterr().err
    assert "plug-in myplug:Mine changed since its runs were made (source hash " in err


def test_identical_cdfs_and_byte_curves_stay_visible(tmp_path, monkeypatch):
    from simulations.sweep.aggregate import LogHistogram
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, stem: figures.append(fig) or (stem, stem))
    hists = {}
    for s in ("seed", "pkg.mod:Mine"):
        hists[s] = LogHistogram()
        for x in (0.1, 0.2, 0.3):
            hists[s].add(x)
    plots.confirm_cdf(hists, tmp_path / "c", "cdf")
    data = [{**row(s, 0.5, 1.0), "params": {"a": a, "sse.payload": "snapshot"}}
            for s in ("seed", "pkg.mod:Mine") for a in (0.0, 0.5)]
    plots.bytes_vs_length(data, "a", tmp_path / "b", "bytes")
    cdf, sse = (sorted(line.get_label() for line in f.axes[0].get_lines()) for f in figures)
    assert cdf == ["pkg.mod:Mine (n=3) (= seed)", "seed (n=3)"]
    assert sse == ["pkg.mod:Mine, snapshot (= seed, snapshot)", "seed, snapshot"]
