"""Run a sweep's runs (cells × strategies × seeds) in parallel, streaming each result to disk.

Output folder:

- ``runs.csv``: one row per finished run, appended and flushed as it finishes (columns:
  ``RUN_COLUMNS``). A run that raised is a row with ``status = error`` and its error text.
- ``confirm_times.jsonl``: one line per run, ``{"key": [cell, strategy, seed], "samples": [...]}``,
  the raw time-to-confirm samples in seconds (written before the run's CSV row).
- ``meta.json``: the sweep's parameters, seeds, ssesim version, git commit, fingerprint, status.

``--resume`` keeps the rows of finished runs, drops a partially written last line and the rows
of failed runs (they run again), and runs only what is missing. Memory stays flat in the number
of runs: tasks are generated lazily, at most a few per worker are in flight, and no result is
kept after it is written (``--resume`` also holds the keys of the finished runs).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import simulations
from model.errors import InputError
from simulations.io.files import write_json_atomic
from simulations.io.progress import Progress
from simulations.io.sweep_file import Sweep
from simulations.sweep.work import RunFn, attempt, execute_run, worker_init

INVARIANTS = ("sse-only", "no-orphan", "no-ghost", "no-flicker", "no-duplicate", "convergence",
              "monotonic", "isolation", "send-order", "no-silent-loss")
METRIC_COLUMNS = (
    "posts", "errors_shown", "unconfirmed", "confirm_time.count", "confirm_time.mean",
    "confirm_time.p50", "confirm_time.p90", "confirm_time.p99", "confirm_time.max",
    "flicker_count", "flicker_time", "diverged_time", "view_changes", "rerenders_per_send",
    "sse_bytes", "sse_events", "convergence_time", "end_time", "events", "stuck")
RUN_COLUMNS = (("study", "cell", "strategy", "seed", "status", "error", "sends", "committed",
                "chart_gaps") + tuple(f"violations.{i}" for i in INVARIANTS)
               + tuple(f"metrics.{m}" for m in METRIC_COLUMNS) + ("wall_time",))
RUNS_CSV, SAMPLES_JSONL, META_JSON = "runs.csv", "confirm_times.jsonl", "meta.json"


@dataclass
class SweepOutcome:
    """What a sweep did: how many runs there are, were skipped, ran, and failed (with examples)."""

    out_dir: Path
    total: int
    skipped: int = 0
    ran: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_sweep(sweep: Sweep, out_dir: str | Path, *, workers: int | None = None,
              resume: bool = False, scheduler: str | None = None, quiet: bool = False,
              run_fn: RunFn = execute_run) -> SweepOutcome:
    """Run every missing run of ``sweep`` into ``out_dir``; return counts (failures included)."""
    out = prepare_out_dir(out_dir, sweep, resume)
    done = recover(out) if resume else set()
    outcome = SweepOutcome(out, sweep.run_count, skipped=len(done))
    meta = _meta(sweep, workers, scheduler)
    write_json_atomic(out / META_JSON, {**meta, "status": "running"})
    tasks = _tasks(sweep, done)
    start = time.perf_counter()
    results = _results(tasks, run_fn, workers, scheduler)
    with _Writers(out) as writers, _progress(outcome, quiet) as bar, contextlib.closing(results):
        for task, (error, payload, wall) in results:
            writers.write(task, error, payload, wall)
            outcome.ran += 1
            if error is not None:
                outcome.failed += 1
                if len(outcome.failures) < 5:
                    outcome.failures.append(f"{task[0].id} {task[1]} seed {task[2]}: {error}")
            bar.update(1)
    outcome.seconds = time.perf_counter() - start
    write_json_atomic(out / META_JSON, {**meta, "status": "complete", "runs": outcome.total,
                                        "failed_runs": outcome.failed,
                                        "seconds_last_session": round(outcome.seconds, 3)})
    return outcome


def prepare_out_dir(out_dir: str | Path, sweep: Sweep, resume: bool) -> Path:
    """Create the output folder; refuse a file, an unwritable folder, or a foreign sweep's results."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), None, "output folder is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(out), None, f"cannot create output folder: {exc.strerror}") from None
    if not os.access(out, os.W_OK):
        raise InputError(str(out), None, "output folder is not writable")
    meta_path = out / META_JSON
    if not meta_path.exists():
        if (out / RUNS_CSV).exists() and resume:
            raise InputError(str(out), None, f"{RUNS_CSV} without {META_JSON}: not a sweep folder")
        return out
    if not resume:
        raise InputError(str(out), None, "holds a sweep already; pass --resume to continue it "
                                         "or choose another --out")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        raise InputError(str(meta_path), None, "unreadable sweep metadata") from None
    from simulations.sweep.resume import check_resumable
    check_resumable(out, meta, sweep)
    return out


def recover(out: Path) -> set[tuple[str, str, int]]:
    """Repair the streamed files after an interruption; return the keys of finished runs."""
    done: set[tuple[str, str, int]] = set()
    runs = out / RUNS_CSV
    if runs.exists():
        header = ",".join(RUN_COLUMNS)
        kept, rows = [], 0
        for i, row in enumerate(csv.reader(complete_lines(runs))):
            if i == 0:
                if ",".join(row) != header:
                    raise InputError(str(runs), None, "unexpected header: not this version's sweep")
                continue
            rows += 1
            if len(row) != len(RUN_COLUMNS) or row[4] != "ok":
                continue
            key = (row[1], row[2], int(row[3]))
            if key not in done:
                done.add(key)
                kept.append(row)
        if len(kept) != rows or not _ends_with_newline(runs):
            _rewrite_csv(runs, kept)
    samples = out / SAMPLES_JSONL
    if samples.exists():
        _rewrite_samples(samples, done)
    return done


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        if fh.seek(0, os.SEEK_END) == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def complete_lines(path: Path) -> Iterator[str]:
    """The newline-terminated lines of a file; a partially written last line is dropped."""
    with path.open(newline="") as fh:
        for line in fh:
            if line.endswith("\n"):
                yield line


def _rewrite_csv(path: Path, rows: list[list[str]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(RUN_COLUMNS)
        writer.writerows(rows)
    os.replace(tmp, path)


def _rewrite_samples(path: Path, done: set) -> None:
    """Keep the first complete line of each finished run; rewrite only if anything else is there."""
    tmp, seen, dropped = path.with_suffix(".tmp"), set(), not _ends_with_newline(path)
    with tmp.open("w") as dst:
        for line in complete_lines(path):
            try:
                cell, strategy, seed = json.loads(line)["key"]
            except (ValueError, KeyError, TypeError):
                dropped = True
                continue
            key = (cell, strategy, seed)
            if key in done and key not in seen:
                seen.add(key)
                dst.write(line)
            else:
                dropped = True
    if dropped:
        os.replace(tmp, path)
    else:
        tmp.unlink()


def _tasks(sweep: Sweep, done: set) -> Iterator[tuple]:
    """Lazily, each missing run as (cell, strategy, seed, scenario data, source)."""
    for cell in sweep.cells:
        data = None
        for strategy in sweep.strategies:
            for seed in sweep.seeds:
                if (cell.id, strategy, seed) in done:
                    continue
                data = data if data is not None else sweep.scenario_data(cell)
                yield cell, strategy, seed, data, f"{sweep.source} [{cell.label}]"


def _results(tasks: Iterable[tuple], run_fn: RunFn, workers: int | None,
             scheduler: str | None) -> Iterator[tuple]:
    if scheduler:
        from simulations.sweep.cluster import dask_results
        return dask_results(scheduler, tasks, run_fn)
    workers = workers or os.cpu_count() or 1
    return _pool_results(tasks, run_fn, workers)


def _pool_results(tasks: Iterable[tuple], run_fn: RunFn, workers: int) -> Iterator[tuple]:
    """(task, attempt result) as runs finish, at most ``4 × workers`` in flight.

    The workers never outlive the sweep: an interruption (Ctrl-C, SIGTERM, an error) stops them at
    once, and each worker exits by itself when the sweep process dies (``worker_init``).
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from multiprocessing import active_children

    tasks, limit = iter(tasks), 4 * workers
    before = {p.pid for p in active_children()}
    pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_init)
    pending, finished_all = {}, False
    try:
        while True:
            for task in tasks:
                with _signals_held():  # the first submit forks the workers
                    pending[pool.submit(attempt, run_fn, *task[3:], task[1], task[2])] = task
                if len(pending) >= limit:
                    break
            if not pending:
                finished_all = True
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield pending.pop(future)[:3], _outcome(future)
    finally:
        if finished_all:
            pool.shutdown(wait=True)
        else:  # interrupted: queued runs are not started, running ones are stopped
            pool.shutdown(wait=False, cancel_futures=True)
            _stop([p for p in active_children() if p.pid not in before])


@contextlib.contextmanager
def _signals_held():
    """Hold Ctrl-C and SIGTERM back while the pool forks its workers: raised inside the fork
    handlers, their exception would be printed and dropped (and the sweep go on); held, it is
    raised right after. The workers unblock them (``worker_init``)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop(processes) -> None:
    """Terminate the pool's worker processes and reap them (SIGKILL after a grace second)."""
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(1.0)
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


def _outcome(future) -> tuple:
    """The attempt's result; a worker that died (not a run that raised) is recorded the same way."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool: record it, --resume retries
        return f"worker failed: {type(exc).__name__}: {exc}", None, 0.0


class _Writers:
    """The two streaming files, opened for appending; every record is flushed as written."""

    def __init__(self, out: Path):
        self.runs_path, self.samples_path = out / RUNS_CSV, out / SAMPLES_JSONL

    def __enter__(self):
        new = not self.runs_path.exists() or self.runs_path.stat().st_size == 0
        self.runs = self.runs_path.open("a", newline="")
        self.csv = csv.writer(self.runs, lineterminator="\n")
        if new:
            self.csv.writerow(RUN_COLUMNS)
            self.runs.flush()
        self.samples = self.samples_path.open("a")
        return self

    def write(self, task: tuple, error: str | None, payload: dict | None, wall: float) -> None:
        cell, strategy, seed = task
        samples = [] if payload is None else list(payload.get("confirm_times", ()))
        line = json.dumps({"key": [cell.id, strategy, seed], "samples": samples})
        self.samples.write(line + "\n")
        self.samples.flush()
        self.csv.writerow(run_row(cell.study, cell.id, strategy, seed, error, payload, wall))
        self.runs.flush()

    def __exit__(self, *exc):
        self.runs.close()
        self.samples.close()


def run_row(study: str, cell_id: str, strategy: str, seed: int, error: str | None,
            payload: dict | None, wall: float) -> list:
    """One CSV row (``RUN_COLUMNS``) for a run's result, or for its error."""
    flat = flatten(payload["result"]) if payload is not None else {}
    fixed = {"study": study, "cell": cell_id, "strategy": strategy, "seed": seed,
             "status": "error" if error else "ok", "error": error or "",
             "wall_time": f"{wall:.4f}"}
    return [fixed[c] if c in fixed else _cell(flat.get(c)) for c in RUN_COLUMNS]


def flatten(obj: dict, prefix: str = "") -> dict:
    """A nested JSON object as one level of dotted keys."""
    out = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def git_commit() -> str | None:
    """The checkout's HEAD commit, or None when git or a repository is not there."""
    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD"], check=False, capture_output=True, text=True,
                              timeout=10, cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _meta(sweep: Sweep, workers: int | None, scheduler: str | None) -> dict:
    from simulations.sweep.resume import parts
    return {"sweep": sweep.to_json(), "fingerprint": sweep.fingerprint(), "parts": parts(sweep),
            "ssesim_version": simulations.__version__, "git_commit": git_commit(),
            "python": sys.version.split()[0], "workers": workers or os.cpu_count(),
            "scheduler": scheduler, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "confirm_times": f"{SAMPLES_JSONL}: one JSON line per run, raw samples in seconds"}


def _progress(outcome: SweepOutcome, quiet: bool) -> Progress:
    """A bar with ETA on a terminal's stderr, plain lines on another stderr, nothing with --quiet."""
    return Progress("sweep", outcome.total, "runs", quiet=quiet, initial=outcome.skipped)
