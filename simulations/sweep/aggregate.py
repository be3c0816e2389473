"""Aggregate a finished sweep folder per cell and strategy, streaming; write summary CSV + Markdown.

Statistics (all intervals are 95%):

- A *rate per send* (violations of one invariant, all anomalies, flickers, errors shown,
  re-renders) is the ratio estimator R = Σ count / Σ sends over the cell's runs. Sends within
  one run are not independent, so its interval uses the run as the unit (cluster-robust
  standard error of a ratio): SE = sqrt(n/(n−1) · Σ (count_j − R·sends_j)²) / Σ sends, and
  R ± 1.96·SE, clipped at 0. When no episode was seen the interval is [0, 3/Σ sends] (the
  "rule of three"); with one run and some episodes, the Poisson normal approximation
  R ± 1.96·√count / sends.
- A *per-run mean* (flicker time, SSE bytes, time diverged) is mean ± 1.96·sd/√n.
- Time-to-confirm percentiles pool every sample of the cell's runs in a log-binned histogram
  (100 bins per decade, 1 µs to 10⁶ s; each percentile is its bin's geometric middle, so within
  1.2% of the exact value); the maximum is exact.

Memory is proportional to cells × strategies, not to runs: both files are read line by line.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from simulations.io.files import atomic_write
from simulations.sweep.runner import (
    INVARIANTS,
    META_JSON,
    RUNS_CSV,
    SAMPLES_JSONL,
    complete_lines,
)

Z95 = 1.959963984540054
RATES = {"anomalies": None, "commits": "committed", "flicker": "metrics.flicker_count",
         "errors_shown": "metrics.errors_shown", "unconfirmed": "metrics.unconfirmed",
         "rerenders": "metrics.view_changes", **{i: f"violations.{i}" for i in INVARIANTS}}
MEANS = {"flicker_time": "metrics.flicker_time", "sse_bytes": "metrics.sse_bytes",
         "sse_events": "metrics.sse_events", "diverged_time": "metrics.diverged_time",
         "convergence_time": "metrics.convergence_time", "posts": "metrics.posts"}
SUMMARY_CSV, SUMMARY_MD = "summary.csv", "summary.md"


@dataclass
class RatioStat:
    """Streaming ratio estimator Σv / Σs with a run-clustered confidence interval."""

    n: int = 0
    sv: float = 0.0
    ss: float = 0.0
    svv: float = 0.0
    sss: float = 0.0
    svs: float = 0.0

    def add(self, v: float, s: float) -> None:
        self.n += 1
        self.sv, self.ss = self.sv + v, self.ss + s
        self.svv, self.sss, self.svs = self.svv + v * v, self.sss + s * s, self.svs + v * s

    def interval(self) -> tuple[float, float, float]:
        """(rate, low, high); NaNs when there were no sends."""
        if self.ss <= 0:
            return math.nan, math.nan, math.nan
        r = self.sv / self.ss
        if self.sv == 0:
            return 0.0, 0.0, 3.0 / self.ss
        if self.n < 2:
            half = Z95 * math.sqrt(self.sv) / self.ss
        else:
            resid = max(0.0, self.svv - 2 * r * self.svs + r * r * self.sss)
            half = Z95 * math.sqrt(self.n / (self.n - 1) * resid) / self.ss
        return r, max(0.0, r - half), r + half


@dataclass
class MeanStat:
    """Streaming mean with a normal 95% interval over runs."""

    n: int = 0
    total: float = 0.0
    sq: float = 0.0

    def add(self, x: float) -> None:
        self.n, self.total, self.sq = self.n + 1, self.total + x, self.sq + x * x

    def interval(self) -> tuple[float, float, float]:
        if self.n == 0:
            return math.nan, math.nan, math.nan
        mean = self.total / self.n
        if self.n < 2:
            return mean, mean, mean
        var = max(0.0, (self.sq - self.n * mean * mean) / (self.n - 1))
        half = Z95 * math.sqrt(var / self.n)
        return mean, mean - half, mean + half


@dataclass
class LogHistogram:
    """Positive samples in log-spaced bins (``per_decade`` per factor of 10) plus an exact max."""

    per_decade: int = 100
    low: float = 1e-6
    counts: dict[int, int] = field(default_factory=dict)
    n: int = 0
    max: float = -math.inf

    def add(self, x: float) -> None:
        b = -1 if x <= self.low else math.floor(math.log10(x / self.low) * self.per_decade)
        self.counts[b] = self.counts.get(b, 0) + 1
        self.n, self.max = self.n + 1, max(self.max, x)

    def merge(self, other: LogHistogram) -> None:
        for b, c in other.counts.items():
            self.counts[b] = self.counts.get(b, 0) + c
        self.n, self.max = self.n + other.n, max(self.max, other.max)

    def _value(self, b: int) -> float:
        return self.low if b < 0 else self.low * 10 ** ((b + 0.5) / self.per_decade)

    def quantile(self, q: float) -> float:
        """The q-quantile (0 < q ≤ 1); NaN without samples."""
        if self.n == 0:
            return math.nan
        rank, seen = q * self.n, 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            if seen >= rank:
                return min(self._value(b), self.max)
        return self.max

    def fraction_above(self, x: float) -> float:
        """The share of samples above ``x`` (to the bin: samples in x's own bin count as above)."""
        if self.n == 0:
            return math.nan
        edge = -1 if x <= self.low else math.floor(math.log10(x / self.low) * self.per_decade)
        return sum(c for b, c in self.counts.items() if b >= edge) / self.n

    def cdf(self) -> tuple[list[float], list[float]]:
        """Points (x, P[X ≤ x]) at each occupied bin's upper edge, for plotting."""
        xs, ps, seen = [], [], 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            upper = self.low * 10 ** ((b + 1) / self.per_decade) if b >= 0 else self.low
            xs.append(min(upper, self.max))
            ps.append(seen / self.n)
        return xs, ps


@dataclass
class Group:
    """Accumulators of one (cell, strategy)."""

    runs: int = 0
    failed: int = 0
    sends: int = 0
    rates: dict[str, RatioStat] = field(default_factory=lambda: {k: RatioStat() for k in RATES})
    means: dict[str, MeanStat] = field(default_factory=lambda: {k: MeanStat() for k in MEANS})
    confirm: LogHistogram = field(default_factory=LogHistogram)

    def add_row(self, row: dict) -> None:
        if row["status"] != "ok":
            self.failed += 1
            return
        sends = _num(row["sends"]) or 0.0
        self.runs, self.sends = self.runs + 1, self.sends + int(sends)
        total = 0.0
        for name, column in RATES.items():
            if column is not None:
                v = _num(row[column]) or 0.0
                total += v if name in INVARIANTS else 0.0
                self.rates[name].add(v, sends)
        self.rates["anomalies"].add(total, sends)
        for name, column in MEANS.items():
            value = _num(row[column])
            if value is not None:
                self.means[name].add(value)


@dataclass
class Aggregate:
    """A sweep's aggregate: its metadata, one row per (cell, strategy), pooled confirm times."""

    meta: dict
    rows: list[dict]
    confirm_by_strategy: dict[str, LogHistogram]
    failed_runs: int
    by_strategy: dict[str, dict]
    by_study: dict[tuple[str, str], dict]

    @property
    def sweep(self) -> dict:
        return self.meta["sweep"]


def aggregate(out_dir: str | Path) -> Aggregate:
    """Stream a sweep folder's runs and samples into per (cell, strategy) statistics."""
    out = Path(out_dir)
    meta = json.loads((out / META_JSON).read_text())
    sweep = meta["sweep"]
    groups = {(c["id"], s): Group() for c in sweep["cells"] for s in sweep["strategies"]}
    totals = {s: Group() for s in sweep["strategies"]}
    studies = {(st, s): Group() for st in sweep["studies"] for s in sweep["strategies"]}
    for row in csv.DictReader(complete_lines(out / RUNS_CSV)):
        group = groups.get((row["cell"], row["strategy"]))
        if group is not None:
            group.add_row(row)
            totals[row["strategy"]].add_row(row)
            studies[(row["study"], row["strategy"])].add_row(row)
    samples = out / SAMPLES_JSONL
    for line in complete_lines(samples) if samples.exists() else ():
        cell, strategy, _seed = json.loads(line)["key"]
        group = groups.get((cell, strategy))
        if group is None:
            continue
        for x in json.loads(line)["samples"]:
            group.confirm.add(x)
            totals[strategy].confirm.add(x)
            studies[(cell.split("|", 1)[0], strategy)].confirm.add(x)
    rows = [_summary_row(c, s, groups[(c["id"], s)]) for c in sweep["cells"]
            for s in sweep["strategies"]]
    everything = {"study": "all", "id": "all", "params": {}}
    by_strategy = {s: _summary_row(everything, s, g) for s, g in totals.items()}
    by_study = {(st, s): _summary_row({"study": st, "id": st, "params": {}}, s, g)
                for (st, s), g in studies.items()}
    return Aggregate(meta, rows, {s: g.confirm for s, g in totals.items()},
                     sum(g.failed for g in groups.values()), by_strategy, by_study)


def _summary_row(cell: dict, strategy: str, g: Group) -> dict:
    row = {"study": cell["study"], "cell": cell["id"], "params": cell["params"],
           "strategy": strategy, "runs": g.runs, "failed_runs": g.failed, "sends": g.sends}
    for name, stat in g.rates.items():
        row[name], row[f"{name}.lo"], row[f"{name}.hi"] = stat.interval()
    for name, stat in g.means.items():
        row[name], row[f"{name}.lo"], row[f"{name}.hi"] = stat.interval()
    row["confirm.count"] = g.confirm.n
    for q in (50, 90, 99):
        row[f"confirm.p{q}"] = g.confirm.quantile(q / 100)
    row["confirm.max"] = g.confirm.max if g.confirm.n else math.nan
    return row


def write_summary(agg: Aggregate, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``summary.csv`` (every statistic) and ``summary.md`` (tables), atomically."""
    out = Path(out_dir)
    keys = list(agg.sweep["grid_keys"])
    columns = ["study", "cell", *keys, "strategy"] + [k for k in agg.rows[0] if k not in
                                                      ("study", "cell", "params", "strategy")]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in agg.rows:
        flat = {**row, **{k: _param_text(row["params"][k]) if k in row["params"] else ""
                          for k in keys}}
        writer.writerow([_fmt_csv(flat[c]) for c in columns])
    atomic_write(out / SUMMARY_CSV, buf.getvalue())
    atomic_write(out / SUMMARY_MD, markdown_tables(agg))
    return out / SUMMARY_CSV, out / SUMMARY_MD


def markdown_tables(agg: Aggregate) -> str:
    """Two Markdown tables per study: violations per 100 sends, and the user-facing metrics."""
    parts = []
    for study in agg.sweep["studies"]:
        rows = [r for r in agg.rows if r["study"] == study]
        parts.append(f"#### Study `{study}`: violations per 100 sends (95% CI)\n")
        head = ["cell", "strategy", "runs", "all anomalies", *INVARIANTS]
        body = [[_label(r), r["strategy"], str(r["runs"]), _ci(r, "anomalies", 100)]
                + [_pct(r[i]) for i in INVARIANTS] for r in rows]
        parts.append(md_table(head, body))
        parts.append(f"#### Study `{study}`: what the user sees\n")
        head = ["cell", "strategy", "confirm p50 (s)", "p90 (s)", "p99 (s)", "flickers /100 sends",
                "flicker time (s/run)", "re-renders /send", "commits /100 sends",
                "errors shown /100 sends", "SSE kB/run"]
        body = [[_label(r), r["strategy"], _g(r["confirm.p50"]), _g(r["confirm.p90"]),
                 _g(r["confirm.p99"]), _ci(r, "flicker", 100), _g(r["flicker_time"]),
                 _g(r["rerenders"]), _pct(r["commits"]), _pct(r["errors_shown"]),
                 _g(r["sse_bytes"] / 1000)]
                for r in rows]
        parts.append(md_table(head, body))
    return "\n".join(parts)


def md_table(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def _label(row: dict) -> str:
    return ", ".join(f"{k}={_param_text(v)}" for k, v in row["params"].items()) or "base"


def _param_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _ci(row: dict, name: str, scale: float) -> str:
    r, lo, hi = row[name], row[f"{name}.lo"], row[f"{name}.hi"]
    if math.isnan(r):
        return "–"
    return f"{_g(r * scale)} ({_g(lo * scale)}–{_g(hi * scale)})"


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else _g(x * 100)


def _g(x: float) -> str:
    """A number with three significant digits (no exponent for everyday magnitudes)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _fmt_csv(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None
