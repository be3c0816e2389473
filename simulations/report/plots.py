"""Draw a sweep's figures (PNG + SVG) from its aggregate rows; choose which figures fit its grids.

Every drawing function takes plain data (aggregate rows: dicts with ``params``, ``strategy`` and
statistics; or histograms), so each is testable on hand-built data. matplotlib is imported
inside the functions, with the Agg backend.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

STRATEGY_COLORS = {"seed": "#d62728", "dual-write": "#ff7f0e", "seed-retry": "#9467bd",
                   "reconciled": "#2ca02c"}
# Colours for plug-in strategies, none of the built-ins' (a plug-in's line and band share one).
EXTRA_COLORS = ("#1f77b4", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
MARKERS = "osD^vP*X"
LINESTYLES = ("-", "--", ":", "-.")
METRIC_LABELS = {"anomalies": "invariant violations per 100 sends (all ten ids)",
                 "flicker": "flickers per 100 sends"}
UNITS = {"post.faults": "probability per POST", "sse.reconnect_refused": "probability per reconnect",
         "sse.disconnect_rate": "per client per second",
         "workload.count": "sends per client", "workload.rate": "sends per second",
         "latency": "s", "delay": "s", "timeout": "s"}


@dataclass(frozen=True)
class Figure:
    """A written figure: its title, caption and the PNG and SVG paths."""

    title: str
    caption: str
    png: Path
    svg: Path


def axis_label(key: str) -> str:
    """A swept key with its unit, e.g. ``sse.disconnect_rate (per client per second)``."""
    unit = next((u for part, u in UNITS.items() if part in key), None)
    return f"{key} ({unit})" if unit else key


def heatmap(rows: list[dict], x_key: str, y_key: str, metric: str, stem: Path, title: str,
            scale: float = 100.0) -> tuple[Path, Path]:
    """One panel per strategy: ``metric`` × scale over x_key × y_key, a value in each square."""
    plt = _pyplot()
    strategies = _strategies(rows)
    xs, ys = _values(rows, x_key), _values(rows, y_key)
    grids = {s: [[math.nan] * len(xs) for _ in ys] for s in strategies}
    for r in rows:
        p = r["params"]
        grids[r["strategy"]][ys.index(p[y_key])][xs.index(p[x_key])] = r[metric] * scale
    top = max([v for g in grids.values() for line in g for v in line if not math.isnan(v)] or [1])
    fig, axes = plt.subplots(1, len(strategies), figsize=(3.2 * len(strategies) + 1.2, 3.6),
                             squeeze=False, constrained_layout=True)
    for ax, s in zip(axes[0], strategies):
        image = ax.imshow(grids[s], origin="lower", cmap="viridis", vmin=0, vmax=top or 1,
                          aspect="auto")
        for j, line in enumerate(grids[s]):
            for i, v in enumerate(line):
                ax.text(i, j, "–" if math.isnan(v) else f"{v:.3g}", ha="center", va="center",
                        fontsize=8, color="white" if v < 0.6 * top else "black")
        ax.set_xticks(range(len(xs)), [_tick(x) for x in xs], fontsize=8)
        ax.set_yticks(range(len(ys)), [_tick(y) for y in ys], fontsize=8)
        ax.set_title(s, fontsize=10)
        ax.set_xlabel(axis_label(x_key), fontsize=8)
    axes[0][0].set_ylabel(axis_label(y_key), fontsize=8)
    fig.colorbar(image, ax=axes[0].tolist(), label=METRIC_LABELS.get(metric, metric), shrink=0.9)
    fig.suptitle(title, fontsize=11)
    return _save(fig, stem)


def rate_vs_param(rows: list[dict], x_key: str, metric: str, stem: Path, title: str,
                  scale: float = 100.0, style_key: str | None = None) -> tuple[Path, Path]:
    """Draw ``rate_figure`` and save it as PNG and SVG."""
    return _save(rate_figure(rows, x_key, metric, title, scale, style_key), stem)


def rate_figure(rows: list[dict], x_key: str, metric: str, title: str, scale: float = 100.0,
                style_key: str | None = None):
    """``metric`` × scale against x_key: a line per strategy (and per ``style_key`` value, one
    line style each) with its 95% CI band; a symlog axis when values span > 2 decades.

    A strategy at 0 must stay visible, though it sits on the axis and often under another
    series at 0: zero sits a little above the bottom of the axes, such lines are drawn last and
    unclipped, each strategy has its own marker (filled for the first ``style_key`` value,
    hollow and larger after), and the legend says "0 at every point".
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    styles = [None] if style_key is None else _values(rows, style_key)
    tops, his = [], [0.0]
    drawn, labels = [], []
    strategies = _strategies(rows)
    for n, s in enumerate(strategies):
        for k, style in enumerate(styles):
            pts = sorted((r["params"][x_key], r[metric], r[f"{metric}.lo"], r[f"{metric}.hi"])
                         for r in rows if r["strategy"] == s and not math.isnan(r[metric])
                         and (style_key is None or r["params"][style_key] == style))
            if not pts:
                continue
            x, y, lo, hi = zip(*pts)
            color = strategy_color(s, strategies)
            label = s if style_key is None else f"{s}, {style}"
            zero = not any(y)
            twin = None if zero else twin_of(drawn, x, y)  # lines at 0 have their own care
            # A line equal to one drawn before would hide under it: it is drawn on top, dashed with
            # gaps that show the other's colour, with a larger hollow marker, and the legend says so.
            line_style = LINESTYLES[k % len(LINESTYLES)] if twin is None else (0, (3, 3))
            ax.plot(x, [v * scale for v in y], linestyle=line_style,
                    marker=MARKERS[n % len(MARKERS)], ms=4 + 2.5 * k + (3 if twin is not None else 0),
                    mfc=color if k == 0 and twin is None else "none",
                    label=label + (" (0 at every point)" if zero else "")
                    + (f" (= {labels[twin]})" if twin is not None else ""),
                    color=color, zorder=(4 if zero else 2) + (1 if twin is not None else 0),
                    clip_on=not zero)
            drawn.append((x, y))
            labels.append(label)
            ax.fill_between(x, [v * scale for v in lo], [v * scale for v in hi], alpha=0.15,
                            color=color, linewidth=0)
            tops.extend(v * scale for v in y if v > 0)
            his.extend(v * scale for v in hi)
    if tops and max(tops) / min(tops) > 100:
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=-0.4)  # linear near 0: zero sits clear of the bottom spine
        ax.set_ylabel(METRIC_LABELS.get(metric, metric) + "\n(symlog scale: linear below 1)")
    else:
        ax.set_ylim(bottom=-0.04 * (max(his) or 1.0))
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.set_xlabel(axis_label(x_key))
    ax.grid(alpha=0.3)
    if style_key is None:
        ax.legend(title="strategy (band: 95% CI)", fontsize=7, title_fontsize=8)
    else:  # many lines: keep the legend off the data
        fig.set_size_inches(8.6, 4.2)
        ax.legend(title=f"strategy, {style_key}\n(band: 95% CI)", fontsize=7, title_fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title, fontsize=11)
    return fig


def confirm_cdf(hists: dict, stem: Path, title: str) -> tuple[Path, Path]:
    """The empirical CDF of time to confirm, one step line per strategy, log time axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    drawn, names = [], []
    for s, hist in hists.items():
        if hist.n == 0:
            continue
        xs, ps = hist.cdf()
        twin = twin_of(drawn, tuple(xs), tuple(ps))
        ax.step(xs, ps, where="post", label=f"{s} (n={hist.n:,})"
                + (f" (= {names[twin]})" if twin is not None else ""),
                color=strategy_color(s, list(hists)), linestyle="-" if twin is None else (0, (3, 3)),
                zorder=2 + (twin is not None))
        drawn.append((tuple(xs), tuple(ps)))
        names.append(s)
    ax.set_xscale("log")
    ax.set_xlabel("time to confirm: optimistic entry shown → canonical entry shown (s)")
    ax.set_ylabel("fraction of confirmed sends")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3, which="both")
    if any(hist.n for hist in hists.values()):
        ax.legend(title="strategy", fontsize=8, title_fontsize=8, loc="lower right")
    else:  # every run failed or confirmed nothing: say so instead of an empty legend
        ax.text(0.5, 0.5, "no confirmed sends", transform=ax.transAxes, ha="center", va="center")
    ax.set_title(title, fontsize=11)
    return _save(fig, stem)


def bytes_vs_length(rows: list[dict], x_key: str, stem: Path, title: str,
                    payload_key: str = "sse.payload") -> tuple[Path, Path]:
    """SSE bytes per run against x_key: colour per strategy, solid snapshot, dashed delta."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    styles = {"snapshot": "-", "delta": "--"}
    drawn, names = [], []
    strategies = _strategies(rows)
    for k, s in enumerate(strategies):
        for payload in _values(rows, payload_key):
            pts = sorted((r["params"][x_key], r["sse_bytes"], r["sse_bytes.lo"], r["sse_bytes.hi"])
                         for r in rows if r["strategy"] == s and r["params"][payload_key] == payload
                         and not math.isnan(r["sse_bytes"]))
            if not pts:
                continue
            x, y, lo, hi = zip(*pts)
            color = strategy_color(s, strategies)
            twin = twin_of(drawn, x, y)
            ax.plot(x, [v / 1000 for v in y],
                    linestyle=styles.get(payload, ":") if twin is None else (0, (3, 3)), color=color, marker=MARKERS[k % len(MARKERS)], ms=7 - k + 3 * (twin is not None),
                    mfc="none", zorder=2 + (twin is not None),
                    label=f"{s}, {payload}" + (f" (= {names[twin]})" if twin is not None else ""))
            drawn.append((x, y))
            names.append(f"{s}, {payload}")
            ax.fill_between(x, [v / 1000 for v in lo], [v / 1000 for v in hi], alpha=0.12,
                            color=color, linewidth=0)
    ax.set_yscale("log")
    ax.set_xlabel(axis_label(x_key))
    ax.set_ylabel("SSE bytes on the wire per run (kB, log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2, title="strategy, payload", title_fontsize=8)
    ax.set_title(title, fontsize=11)
    return _save(fig, stem)


def plot_sweep(agg, plots_dir: str | Path, workers: int | None = None) -> list[Figure]:
    """Draw the figures that fit the sweep's studies; return them in reading order. They are drawn
    by ``workers`` processes (default: one per core; 1: in this one): each figure is plain data in,
    files out, and its bytes do not depend on the process that drew it."""
    out = Path(plots_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = []  # (title, caption, drawing function, its arguments)
    for study, axes in agg.sweep["studies"].items():
        rows = [r for r in agg.rows if r["study"] == study]
        numeric = [k for k, v in axes.items() if len(v) > 1 and all(_is_num(x) for x in v)]
        first = {k: v[0] for k, v in axes.items()}
        if len(numeric) >= 2:
            x, y = numeric[0], numeric[1]
            sub = _slice(rows, first, free=(x, y))
            title = f"Violations per 100 sends over {x} × {y}"
            jobs.append((title, _fixed_text(first, (x, y)), heatmap,
                         (sub, x, y, "anomalies", out / f"{study}-heatmap", title), {}))
        categorical = [k for k, v in axes.items() if k not in numeric and 1 < len(v) <= 4]
        style = categorical[0] if categorical else None
        for x in numeric:
            free = (x,) if style is None else (x, style)
            sub = _slice(rows, first, free=free)
            title = f"Violations per 100 sends vs {x}"
            stem = out / f"{study}-anomalies-vs-{_slug(x)}"
            jobs.append((title, _fixed_text(first, free), rate_vs_param,
                         (sub, x, "anomalies", stem, title), {"style_key": style}))
        if "sse.payload" in axes and numeric:
            x = numeric[0]
            sub = _slice(rows, first, free=(x, "sse.payload"))
            title = f"SSE bytes vs {x}: snapshot vs delta"
            stem = out / f"{study}-sse-bytes-vs-{_slug(x)}"
            jobs.append((title, _fixed_text(first, (x, "sse.payload")), bytes_vs_length,
                         (sub, x, stem, title), {}))
    title = "Time to confirm, every cell pooled"
    jobs.append((title, "all cells and seeds of the sweep pooled", confirm_cdf,
                 (agg.confirm_by_strategy, out / "confirm-cdf", title), {}))
    return [Figure(title, caption, *paths) for (title, caption, *_), paths in zip(jobs, _draw(jobs, workers))]


def _draw(jobs: list, workers: int | None) -> list:
    """Each job's drawing, in order: in a pool of processes when there are several jobs and cores."""
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers < 2:
        return [fn(*args, **kwargs) for _t, _c, fn, args, kwargs in jobs]
    from concurrent.futures import ProcessPoolExecutor

    from simulations.sweep.work import worker_init

    _pyplot()  # imported once here: forked workers start with it
    with ProcessPoolExecutor(max_workers=workers, initializer=worker_init) as pool:
        futures = [pool.submit(fn, *args, **kwargs) for _t, _c, fn, args, kwargs in jobs]
        return [f.result() for f in futures]


def _slice(rows: list[dict], first: dict, free: tuple) -> list[dict]:
    """Rows whose non-free keys sit at their first swept value."""
    return [r for r in rows if all(r["params"].get(k) == v for k, v in first.items()
                                   if k not in free)]


def _fixed_text(first: dict, free: tuple) -> str:
    fixed = [f"{k}={v}" for k, v in first.items() if k not in free]
    return ("other swept keys at " + ", ".join(fixed)) if fixed else "no other swept key"


def _strategies(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["strategy"] for r in rows))


def strategy_color(strategy: str, strategies: list[str]) -> str:
    """A built-in's own colour; a plug-in's from ``EXTRA_COLORS``, by its place among the plug-ins."""
    if strategy in STRATEGY_COLORS:
        return STRATEGY_COLORS[strategy]
    plugins = [s for s in strategies if s not in STRATEGY_COLORS]
    return EXTRA_COLORS[plugins.index(strategy) % len(EXTRA_COLORS)]


def twin_of(drawn: list, x, y) -> int | None:
    """The index in ``drawn`` (``(x, y)`` pairs of the lines drawn so far) of a line equal to this
    one, or None: an identical curve would hide under it."""
    for i, (dx, dy) in enumerate(drawn):
        if dx == x and len(dy) == len(y) and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
                                                  for a, b in zip(dy, y)):
            return i
    return None


def _values(rows: list[dict], key: str) -> list:
    values = list(dict.fromkeys(r["params"][key] for r in rows))
    return sorted(values) if all(_is_num(v) for v in values) else values


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _tick(v) -> str:
    return f"{v:g}" if _is_num(v) else str(v)


def _slug(key: str) -> str:
    return key.replace(".", "_")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem: Path) -> tuple[Path, Path]:
    """Save PNG and SVG beside each other, each through a temporary file and a rename.

    The bytes depend on the data only: no date in the metadata, and SVG ids hashed with a fixed
    salt (matplotlib's default salt is random), so a re-run does not change a committed figure.
    """
    import matplotlib

    plt = _pyplot()
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "ssesim"}):
        for ext in ("png", "svg"):
            path = Path(f"{stem}.{ext}")
            tmp = path.with_name(f".{path.name}.tmp")
            fig.savefig(tmp, format=ext, dpi=130, metadata={"Date": None} if ext == "svg" else None)
            os.replace(tmp, path)
            paths.append(path)
    plt.close(fig)
    return paths[0], paths[1]
