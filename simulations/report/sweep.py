"""Write up a finished sweep folder: findings in words (every number computed), figures, tables.

``sweep_sections`` returns (title, markdown) pairs for ``ssesim report`` to place in its own
document; ``finish_sweep`` aggregates, plots and writes the sweep's own ``report.md``.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

from simulations.io.files import atomic_write
from simulations.report.html_page import write_html
from simulations.report.plots import plot_sweep
from simulations.sweep.aggregate import Aggregate, _g, aggregate, markdown_tables, write_summary
from simulations.sweep.runner import INVARIANTS

__all__ = ["default_sweep_section", "finish_sweep", "sweep_sections", "write_html"]
REPORT_MD = "report.md"


def default_sweep_section(report_dir: str | Path, *, sweep: str = "default",
                          workers: int | None = None, quiet: bool = False) -> tuple[str, str]:
    """Run (or finish) a built-in sweep into ``report_dir/sweep`` and return one report section.

    Finished runs of the same sweep are kept from an earlier report (``--resume``); results of
    a sweep that has changed since are replaced. Links are relative to ``report_dir``.
    """
    from simulations.io.progress import phase
    from simulations.io.sweep_file import load_sweep, resolve_sweep_path
    from simulations.sweep.runner import META_JSON, RUNS_CSV, SAMPLES_JSONL, run_sweep

    loaded = load_sweep(resolve_sweep_path(sweep))
    out = Path(report_dir) / "sweep"
    meta = out / META_JSON
    if meta.exists() and f'"fingerprint": "{loaded.fingerprint()}"' not in meta.read_text():
        for name in (META_JSON, RUNS_CSV, SAMPLES_JSONL):
            (out / name).unlink(missing_ok=True)
    outcome = run_sweep(loaded, out, workers=workers, resume=True, quiet=quiet)
    with phase("report sweep tables and plots", quiet=quiet):
        _path, agg, figures = _finish(out, workers)  # aggregated and drawn once, for both reports
    link = _rel(out / REPORT_MD, Path(report_dir))
    intro = (f"The built-in sweep `{loaded.name}`: {outcome.total:,} runs. Its own report, tables "
             f"and data are in [sweep/]({link}).")
    body = [intro]
    if outcome.failed:
        body.append(f"**{outcome.failed} run(s) failed**; see the error column of "
                    "`sweep/runs.csv`.")
    for title, text in sweep_sections(out, agg=agg, figures=figures, link_dir=report_dir):
        if title == "Tables":  # hundreds of rows: linked, not inlined, in the main report
            link = _rel(out / "summary.md", Path(report_dir))
            text = f"Per cell and strategy: [summary.md]({link}) (every interval in `summary.csv`)."
        body.append(f"### {title}\n\n{_shift_headings(text)}")
    return f"Sweep: {loaded.name}", "\n\n".join(body)


def _shift_headings(text: str) -> str:
    """Every Markdown heading one level deeper (code blocks left alone)."""
    lines, fenced = [], False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines)


def finish_sweep(out_dir: str | Path, workers: int | None = None) -> Path:
    """Aggregate a sweep folder, write summary tables, plots (drawn by ``workers`` processes) and
    ``report.md``; return its path."""
    return _finish(Path(out_dir), workers)[0]


def _finish(out: Path, workers: int | None = None) -> tuple[Path, Aggregate, list]:
    """``finish_sweep``, also returning the aggregate and the figures drawn."""
    agg = aggregate(out)
    write_summary(agg, out)
    figures = plot_sweep(agg, out / "plots", workers)
    sections = sweep_sections(out, agg=agg, figures=figures)
    text = f"# Sweep `{agg.sweep['name']}`\n\n" + "\n".join(
        f"## {title}\n\n{body}\n" for title, body in sections)
    atomic_write(out / REPORT_MD, text)
    return out / REPORT_MD, agg, figures


def sweep_sections(out_dir: str | Path, *, agg: Aggregate | None = None, figures=None,
                   link_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """The Markdown sections of a finished sweep; image links are relative to ``link_dir``."""
    out = Path(out_dir)
    agg = agg if agg is not None else aggregate(out)
    figures = figures if figures is not None else plot_sweep(agg, out / "plots")
    link_dir = Path(link_dir) if link_dir is not None else out
    return [
        ("What was run", setup_text(agg)),
        ("Findings", findings(agg)),
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
    files = (f"- sweep file: `{_shown_path(s['source'])}`; strategies: "
             f"{', '.join(s['strategies'])}; "
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


def findings(agg: Aggregate) -> str:
    """The findings as Markdown bullets (a sub-heading per study), every number computed."""
    parts = []
    studies = agg.sweep["studies"]
    for study, axes in studies.items():
        rows = [r for r in agg.rows if r["study"] == study]
        lines = [_overall(s, agg.by_study[(study, s)]) for s in agg.sweep["strategies"]]
        lines += _corners(rows, axes)
        numeric = _numeric(axes)
        if "sse.payload" in axes and numeric:
            lines.append(_bytes(rows, axes, numeric[0]))
            lines.append(_delta(rows, axes, numeric[0]))
        head = f"### Study `{study}`\n\n" if len(studies) > 1 else ""
        parts.append(head + _bullets(lines))
    lines = [_confirm(agg), "Re-renders (view changes) per send, every cell pooled: " + ", ".join(
        f"{s} {_g(r['rerenders'])}" for s, r in agg.by_strategy.items()) + "."]
    head = "### Every cell pooled\n\n" if len(studies) > 1 else ""
    parts.append(head + _bullets(lines))
    return "\n".join(parts)


def _bullets(lines: list[str]) -> str:
    return "".join(f"- {line}\n" for line in lines if line)


def _overall(strategy: str, r: dict) -> str:
    if r["runs"] == 0:
        return f"**{strategy}**: no finished run."
    base = f"{r['runs']:,} runs, {r['sends']:,} sends"
    if r["anomalies"] == 0:
        return (f"**{strategy}** violated no invariant in {base} (95% upper bound "
                f"{_g(r['anomalies.hi'] * 100)} per 100 sends).")
    worst = sorted((i for i in INVARIANTS if r[i] > 0), key=lambda i: -r[i])
    named = ", ".join(f"`{i}` {_g(r[i] * 100)}" for i in worst)
    return (f"**{strategy}**: {_g(r['anomalies'] * 100)} violations per 100 sends (95% CI "
            f"{_g(r['anomalies.lo'] * 100)}–{_g(r['anomalies.hi'] * 100)}; {base}): {named}.")


def _corners(rows: list[dict], axes: dict) -> list[str]:
    """Each strategy from the first to the last value of every numeric key, per other setting."""
    numeric = _numeric(axes)
    if not numeric:
        return []
    fixed = [k for k in axes if k not in numeric]
    lines = []
    for combo in itertools.islice(itertools.product(*[axes[k] for k in fixed]), 4):
        setting = dict(zip(fixed, combo))
        mild = {**setting, **{k: axes[k][0] for k in numeric}}
        harsh = {**setting, **{k: axes[k][-1] for k in numeric}}
        where = f" (with {_params_text(setting)})" if setting else ""
        lines.append(f"From {_params_text(mild, numeric)} to {_params_text(harsh, numeric)}"
                     f"{where}, per 100 sends: " + "; ".join(
                         _corner(s, _row(rows, s, mild), _row(rows, s, harsh))
                         for s in dict.fromkeys(r["strategy"] for r in rows)) + ".")
    return lines


def _corner(strategy: str, a: dict | None, b: dict | None) -> str:
    if a is None or b is None:
        return f"**{strategy}** –"
    parts = [f"{_g(a[m] * 100)} → {_g(b[m] * 100)} {label}"
             for m, label in (("anomalies", "violations"), ("flicker", "flickers"),
                              ("no-ghost", "ghosts"), ("no-duplicate", "duplicates"))
             if not (math.isnan(a[m]) or math.isnan(b[m])) and (a[m] or b[m])]
    return f"**{strategy}** " + (", ".join(parts) if parts else "no violation at either end")


def _bytes(rows: list[dict], axes: dict, x_key: str) -> str:
    """Snapshot against delta SSE bytes at the longest conversation, and their growth."""
    low, high = min(axes[x_key]), max(axes[x_key])
    others = {k: v[0] for k, v in axes.items() if k not in (x_key, "sse.payload")}
    snap, delta, grow_s, grow_d = [], [], [], []
    for s in dict.fromkeys(r["strategy"] for r in rows):
        cells = {(p, x): _row(rows, s, {**others, x_key: x, "sse.payload": p})
                 for p in ("snapshot", "delta") for x in (low, high)}
        if any(c is None or math.isnan(c["sse_bytes"]) or c["sse_bytes"] <= 0
               for c in cells.values()):
            continue
        snap.append(cells[("snapshot", high)]["sse_bytes"])
        delta.append(cells[("delta", high)]["sse_bytes"])
        grow_s.append(snap[-1] / cells[("snapshot", low)]["sse_bytes"])
        grow_d.append(delta[-1] / cells[("delta", low)]["sse_bytes"])
    if not snap:
        return ""
    ratios = [a / b for a, b in zip(snap, delta)]
    return (f"SSE bytes per run at `{x_key}` = {high}: snapshots {_span(snap, 1e-3)} kB, deltas "
            f"{_span(delta, 1e-3)} kB ({_span(ratios)}× less; the span is over strategies). From "
            f"{low} to {high} ({_g(high / low)}× longer), snapshot bytes grow {_span(grow_s)}× "
            f"and delta bytes {_span(grow_d)}×.")


def _delta(rows: list[dict], axes: dict, x_key: str) -> str:
    """Why the whole-list strategies do so badly with deltas, with the numbers at the longest
    conversation (SPEC §2.6: the seed replaces its list with the delta's messages)."""
    if "delta" not in axes["sse.payload"] or "snapshot" not in axes["sse.payload"]:
        return ""
    high = max(axes[x_key])
    others = {k: v[0] for k, v in axes.items() if k not in (x_key, "sse.payload")}
    cell = {(s, p): _row(rows, s, {**others, x_key: high, "sse.payload": p})
            for s in dict.fromkeys(r["strategy"] for r in rows) for p in ("snapshot", "delta")}
    if any(c is None for c in cell.values()):
        return ""

    def pair(s: str, p: str) -> str:
        return f"{_g(cell[(s, p)]['no-flicker'] * 100)} and {_g(cell[(s, p)]['convergence'] * 100)}"

    parts = [f"**{s}** {pair(s, 'delta')} with deltas against {pair(s, 'snapshot')} with snapshots"
             for s in ("seed", "seed-retry", "dual-write") if (s, "delta") in cell]
    if ("reconciled", "delta") in cell:
        parts.append(f"**reconciled** {pair('reconciled', 'delta')} with deltas")
    if not parts:
        return ""
    return ("Why the delta figures are so large for the seed: the seed's code replaces its whole "
            "message list with each event's messages (SPEC §2.6), and a delta carries only the "
            "messages committed since the stream's previous event, so after each delta the view "
            "holds only those (none after a typing-flag change). Every earlier message comes back "
            "with the next full state, a reconnect's snapshot, and each return is a reappearance "
            "(`no-flicker`); a view left on a delta at quiescence differs from the server "
            "(`convergence`). The longer the conversation, the more messages each snapshot brings "
            "back, so the rate per send grows with it. `seed-retry` does the same; `dual-write` "
            "also applies each 2xx body, a full state, so every message returns after each of "
            "its own sends. `reconciled` adds a delta's messages it does not hold (by server id). "
            f"`no-flicker` and `convergence` per 100 sends at `{x_key}` = {high}: "
            + "; ".join(parts) + ".")


def _span(values: list[float], scale: float = 1.0) -> str:
    lo, hi = min(values) * scale, max(values) * scale
    return _g(lo) if _g(lo) == _g(hi) else f"{_g(lo)}–{_g(hi)}"


def _numeric(axes: dict) -> list[str]:
    return [k for k, v in axes.items() if len(v) > 1 and all(_is_num(x) for x in v)]


def _confirm(agg: Aggregate) -> str:
    hists = {s: h for s, h in agg.confirm_by_strategy.items() if h.n}
    if not hists:
        return ""
    med = ", ".join(f"{s} {_g(h.quantile(0.5))} s" for s, h in hists.items())
    p99 = ", ".join(f"{s} {_g(h.quantile(0.99))} s" for s, h in hists.items())
    slow = ", ".join(f"{s} {_g(h.fraction_above(1.0) * 100)}%" for s, h in hists.items())
    return (f"Time to confirm (optimistic entry shown → canonical entry shown), every cell pooled: "
            f"median {med}; 99th percentile {p99}; share above 1 s: {slow}.")


def _row(rows: list[dict], strategy: str, params: dict) -> dict | None:
    return next((r for r in rows if r["strategy"] == strategy
                 and all(r["params"].get(k) == v for k, v in params.items())), None)


def _params_text(params: dict, keys=None) -> str:
    return ", ".join(f"`{k}` = {v}" for k, v in params.items() if keys is None or k in keys)


def _seed_text(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _shown_path(source: str) -> str:
    """A shipped sweep's path from the project root (no machine-specific prefix), else as given."""
    root = Path(__file__).resolve().parents[2]
    try:
        return Path(source).resolve().relative_to(root).as_posix()
    except ValueError:
        return source


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()
