"""Write up a finished sweep folder: findings in words (every number computed), figures, tables.

``sweep_sections`` returns (title, markdown) pairs for ``ssesim report`` to place in its own
document; ``finish_sweep`` aggregates, plots and writes the sweep's own ``report.md``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from simulations.aggregate import Aggregate, _g, aggregate, markdown_tables, write_summary
from simulations.html_page import write_html
from simulations.plots import plot_sweep
from simulations.sweep import INVARIANTS, write_text_atomic

__all__ = ["finish_sweep", "sweep_sections", "write_html"]
REPORT_MD = "report.md"


def finish_sweep(out_dir: str | Path) -> Path:
    """Aggregate a sweep folder, write summary tables, plots and ``report.md``; return its path."""
    out = Path(out_dir)
    agg = aggregate(out)
    write_summary(agg, out)
    figures = plot_sweep(agg, out / "plots")
    sections = sweep_sections(out, agg=agg, figures=figures)
    text = f"# Sweep `{agg.sweep['name']}`\n\n" + "\n".join(
        f"## {title}\n\n{body}\n" for title, body in sections)
    write_text_atomic(out / REPORT_MD, text)
    return out / REPORT_MD


def sweep_sections(out_dir: str | Path, *, agg: Aggregate | None = None, figures=None,
                   link_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """The Markdown sections of a finished sweep; image links are relative to ``link_dir``."""
    out = Path(out_dir)
    agg = agg if agg is not None else aggregate(out)
    figures = figures if figures is not None else plot_sweep(agg, out / "plots")
    link_dir = Path(link_dir) if link_dir is not None else out
    return [
        ("What was run", setup_text(agg)),
        ("Findings", "\n".join(f"- {line}" for line in findings(agg)) + "\n"),
        ("Figures", "\n".join(
            f"**{f.title}** ({f.caption}).\n\n![{f.title}]({_rel(f.png, link_dir)})\n"
            for f in figures)),
        ("Tables", "Every statistic, with its interval, is in `summary.csv`; runs are in "
                   "`runs.csv`.\n\n" + markdown_tables(agg)),
        ("How the numbers are computed", METHOD),
    ]


METHOD = """\
A rate *per 100 sends* is Σ episodes / Σ sends over a cell's runs (episodes are counted as SPEC §3
says, so one send can count more than once). Its 95% interval takes the run as the unit
(cluster-robust standard error of a ratio), because sends of one run share a network; when no
episode was seen the interval is [0, 3 / Σ sends] (rule of three). Per-run means (flicker time,
SSE bytes) carry a normal 95% interval over runs. Time-to-confirm percentiles pool every sample of
the cell in a log histogram with 100 bins per decade (within 1.2% of the exact value).
"""


def setup_text(agg: Aggregate) -> str:
    s, meta = agg.sweep, agg.meta
    runs = sum(r["runs"] for r in agg.rows)
    sends = sum(r["sends"] for r in agg.rows)
    files = (f"- sweep file: `{s['source']}`; strategies: {', '.join(s['strategies'])}; "
             f"seeds {_seed_text(s['seeds'])}")
    counts = (f"- {len(s['cells'])} cells × {len(s['strategies'])} strategies × "
              f"{len(s['seeds'])} seeds: {runs:,} runs finished, {agg.failed_runs} failed, "
              f"{sends:,} sends simulated")
    lines = [s["description"] + "\n" if s["description"] else "", files, counts]
    for study, axes in s["studies"].items():
        grid = "; ".join(f"`{k}` ∈ {{{', '.join(map(str, v))}}}" for k, v in axes.items())
        lines.append(f"- study `{study}`: {grid or 'the base scenario only'}")
    lines.append(f"- ssesim {meta['ssesim_version']}, commit {meta.get('git_commit') or 'unknown'}")
    return "\n".join(lines) + "\n"


def findings(agg: Aggregate) -> list[str]:
    """Sentences about the sweep, each number computed from its aggregate."""
    out = [_overall(s, r) for s, r in agg.by_strategy.items()]
    for study, axes in agg.sweep["studies"].items():
        numeric = [k for k, v in axes.items() if len(v) > 1 and all(_is_num(x) for x in v)]
        rows = [r for r in agg.rows if r["study"] == study]
        if numeric:
            out.extend(_corners(rows, axes, study))
        if "sse.payload" in axes and numeric:
            out.extend(_bytes(rows, axes, numeric[0]))
    out.append(_confirm(agg))
    out.append("Re-renders per send: " + ", ".join(
        f"{s} {_g(r['rerenders'])}" for s, r in agg.by_strategy.items()) + ".")
    return [line for line in out if line]


def _overall(strategy: str, r: dict) -> str:
    if r["runs"] == 0:
        return f"**{strategy}**: no finished run."
    base = f"{r['runs']:,} runs, {r['sends']:,} sends"
    if r["anomalies"] == 0:
        return (f"**{strategy}** violated no invariant in {base} (95% upper bound "
                f"{_g(r['anomalies.hi'] * 100)} per 100 sends).")
    worst = sorted((i for i in INVARIANTS if r[i] > 0), key=lambda i: -r[i])
    named = ", ".join(f"`{i}` {_g(r[i] * 100)}" for i in worst)
    clean = [i for i in INVARIANTS if r[i] == 0]
    return (f"**{strategy}**: {_g(r['anomalies'] * 100)} violations per 100 sends over the whole "
            f"sweep (95% CI {_g(r['anomalies.lo'] * 100)}–{_g(r['anomalies.hi'] * 100)}; {base}); "
            f"by invariant: {named}; never: {', '.join(f'`{i}`' for i in clean) or 'none'}.")


def _corners(rows: list[dict], axes: dict, study: str) -> list[str]:
    """Each strategy at the study's first and last grid values: anomalies, flickers, ghosts."""
    mild = {k: v[0] for k, v in axes.items()}
    harsh = {k: v[-1] for k, v in axes.items()}
    mild_text, harsh_text = _params_text(mild), _params_text(harsh)
    lines, quiet = [], []
    for s in dict.fromkeys(r["strategy"] for r in rows):
        a, b = _row(rows, s, mild), _row(rows, s, harsh)
        if a is None or b is None or a is b:
            continue
        parts = [f"{_g(a[m] * 100)} → {_g(b[m] * 100)} {label}"
                 for m, label in (("anomalies", "violations"), ("flicker", "flickers"),
                                  ("no-ghost", "ghosts"), ("no-duplicate", "duplicates"))
                 if not (math.isnan(a[m]) or math.isnan(b[m])) and (a[m] or b[m])]
        if parts:
            lines.append(f"Study `{study}`, **{s}**, per 100 sends from {mild_text} to "
                         f"{harsh_text}: " + "; ".join(parts) + ".")
        else:
            quiet.append(s)
    if quiet:
        lines.append(f"Study `{study}`: no violation at {mild_text} nor at {harsh_text} for "
                     + ", ".join(f"**{s}**" for s in quiet) + ".")
    return lines


def _bytes(rows: list[dict], axes: dict, x_key: str) -> list[str]:
    low, high = min(axes[x_key]), max(axes[x_key])
    others = {k: v[0] for k, v in axes.items() if k not in (x_key, "sse.payload")}
    lines = []
    for s in dict.fromkeys(r["strategy"] for r in rows):
        cells = {(p, x): _row(rows, s, {**others, x_key: x, "sse.payload": p})
                 for p in ("snapshot", "delta") for x in (low, high)}
        if any(c is None or math.isnan(c["sse_bytes"]) or c["sse_bytes"] <= 0
               for c in cells.values()):
            continue
        snap, delta = cells[("snapshot", high)]["sse_bytes"], cells[("delta", high)]["sse_bytes"]
        grow_s = snap / cells[("snapshot", low)]["sse_bytes"]
        grow_d = delta / cells[("delta", low)]["sse_bytes"]
        lines.append(f"SSE bytes, **{s}**, at `{x_key}` = {high}: snapshots put {_g(snap / 1000)} kB "
                     f"per run on the wire, deltas {_g(delta / 1000)} kB ({_g(snap / delta)}× "
                     f"less); from {low} to {high} snapshots grow {_g(grow_s)}×, deltas "
                     f"{_g(grow_d)}×.")
    return lines


def _confirm(agg: Aggregate) -> str:
    hists = {s: h for s, h in agg.confirm_by_strategy.items() if h.n}
    if not hists:
        return ""
    med = ", ".join(f"{s} {_g(h.quantile(0.5))} s" for s, h in hists.items())
    p99 = ", ".join(f"{s} {_g(h.quantile(0.99))} s" for s, h in hists.items())
    slow = max(hists, key=lambda s: hists[s].quantile(0.99))
    fast = min(hists, key=lambda s: hists[s].quantile(0.99))
    ratio = hists[slow].quantile(0.99) / hists[fast].quantile(0.99)
    return (f"Time to confirm, every cell pooled: median {med}; 99th percentile {p99} "
            f"({slow}'s tail is {_g(ratio)}× {fast}'s).")


def _row(rows: list[dict], strategy: str, params: dict) -> dict | None:
    return next((r for r in rows if r["strategy"] == strategy
                 and all(r["params"].get(k) == v for k, v in params.items())), None)


def _params_text(params: dict) -> str:
    return ", ".join(f"`{k}` = {v}" for k, v in params.items())


def _seed_text(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()
