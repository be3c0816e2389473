"""Progress on stderr: a tqdm bar on a terminal, plain lines anywhere else, nothing when quiet.

Progress never touches stdout, so what a command prints there (its JSON above all) is the same
with or without it. Work that ends quickly shows nothing: a bar appears after ``BAR_DELAY``
seconds; without a terminal that has a width (a pipe, a CI log, a file, ``TERM=dumb``) one plain
line is printed after ``LINE_DELAY`` seconds and then every ``LINE_INTERVAL`` seconds, plus a
last one when the work ends ("done", or "stopped" when it ends short of its total). Each line says
what is done (of what, when the total is known), the rate, and the time left where it can be
estimated. A ticker thread keeps both going while the work reports seldom (one long exploration in
a pool, one large breadth-first level), so the promise holds however the work counts.

``SSESIM_PROGRESS_LINES="DELAY INTERVAL"`` (seconds) overrides the two line intervals, for tests:
``"0 0"`` prints a line at every update, which a test can rely on without timing anything.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

BAR_DELAY = 1.0
LINE_DELAY = 5.0
LINE_INTERVAL = 10.0
TICK = 0.5  # seconds between the ticker's looks (a line is due at most this late)
LINES_ENV = "SSESIM_PROGRESS_LINES"


def has_width(stream) -> bool:
    """True for a terminal that reports its size (where a bar can redraw itself in place; tqdm
    draws nothing at all on a terminal of 0 rows, as a pty of a process without one has)."""
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        size = os.get_terminal_size(stream.fileno())
        return stream.isatty() and size.columns > 0 and size.lines > 0
    except (AttributeError, OSError, ValueError):
        return False


def line_intervals() -> tuple[float, float]:
    """(delay before the first plain line, interval between lines): ``LINES_ENV`` or the defaults."""
    text = os.environ.get(LINES_ENV, "").replace(",", " ").split()
    try:
        delay, interval = (float(x) for x in text)
    except ValueError:  # unset or malformed: the defaults (progress is never worth a failure)
        return LINE_DELAY, LINE_INTERVAL
    return max(delay, 0.0), max(interval, 0.0)


def duration(seconds: float) -> str:
    """A short human duration: ``40 s``, ``3 min``, ``1.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def rate(per_second: float) -> str:
    return f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:.2g}"


class Progress:
    """Counts work done (of ``total`` when known) and shows it on ``stream`` (default stderr)."""

    def __init__(self, desc: str, total: int | None = None, unit: str = "it", *, quiet: bool = False,
                 initial: int = 0, stream=None, clock=time.monotonic, rates: bool = True):
        self.desc, self.total, self.unit = desc, total, unit
        # False: no rate or time left (one step has neither; units of very unequal sizes, taken the
        # largest first, would give a rate that says nothing of the time left)
        self.rates = rates
        self.done, self.note = initial, ""
        self.finished: bool | None = None  # set it when the work itself knows (a search the bound stopped)
        self.initial = initial
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start = self.last = clock()
        self.lines = 0
        self.bar = None
        self.delay, self.interval = line_intervals()
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.ticker = None
        self.mode = "off" if quiet else ("bar" if has_width(self.stream) else "lines")
        if self.mode == "bar":
            from tqdm import tqdm
            plain = {} if rates else {"bar_format": "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"}
            self.bar = tqdm(total=total, initial=initial, unit=unit, desc=desc, file=self.stream,
                            dynamic_ncols=True, delay=BAR_DELAY, leave=False, **plain)
        # A clock of the caller's own (a test's) leaves the lines to its updates: no ticker.
        ticking = clock is time.monotonic
        if ticking and (self.mode == "bar" or (self.mode == "lines" and self.interval > 0)):
            self.ticker = threading.Thread(target=self._tick, daemon=True, name=f"ssesim-{desc}")
            self.ticker.start()

    def update(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more units done; ``note`` (when given) says what is being done now."""
        with self.lock:
            self.done += n
            if note is not None:
                self.note = note
            if self.bar is not None:
                if note is not None:
                    self.bar.set_postfix_str(note, refresh=False)
                self.bar.update(n)
            elif self.mode == "lines":
                self._line_if_due()

    def set(self, done: int, note: str | None = None) -> None:
        """The work done so far is ``done`` units (for counters polled from elsewhere)."""
        with self.lock:
            self.update(done - self.done, note)

    @contextlib.contextmanager
    def aside(self):
        """Print something else meanwhile (on the same terminal) without garbling the bar."""
        with self.lock:
            if self.bar is not None:
                self.bar.clear()
            try:
                yield
            finally:
                if self.bar is not None:
                    self.bar.refresh()

    def close(self) -> None:
        self.stop.set()
        if self.ticker is not None and self.ticker is not threading.current_thread():
            self.ticker.join()
        with self.lock:
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            elif self.mode == "lines" and self.lines:
                finished = self.finished
                if finished is None:
                    finished = self.total is None or self.done >= self.total
                self._line(self.clock(), "done, " if finished else "stopped, ")
            self.mode = "off"

    def _tick(self) -> None:
        while not self.stop.wait(TICK):
            try:
                self.tick()
            except (OSError, ValueError):  # the stream is gone (closed): nothing left to show
                return

    def tick(self) -> None:
        """What the ticker does every ``TICK`` seconds: a due line (or a bar's redraw, its time and
        estimate brought up to date) even when no update comes."""
        with self.lock:
            if self.mode == "lines":
                self._line_if_due()
            elif self.bar is not None and self.clock() - self.start >= BAR_DELAY:
                self.bar.refresh()

    def _line_if_due(self) -> None:
        now = self.clock()
        due = self.delay if self.lines == 0 else self.interval
        if now - (self.start if self.lines == 0 else self.last) >= due:
            self._line(now)

    def _line(self, now: float, prefix: str = "") -> None:
        elapsed = now - self.start
        of = f"/{self.total:,}" if self.total is not None else ""
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        pace = ""
        counted = self.done - self.initial  # the work done by this run (a resumed sweep skips some)
        if self.rates and elapsed >= 1 and counted > 0:
            pace = f", {rate(counted / elapsed)} {self.unit}/s"
            if not prefix and self.total is not None and self.done < self.total:
                pace += f", about {duration(elapsed * (self.total - self.done) / counted)} left"
        note = f" | {self.note}" if self.note else ""
        print(f"{self.desc}: {prefix}{self.done:,}{of} {self.unit}{pct} in {duration(elapsed)}{pace}"
              f"{note}", file=self.stream, flush=True)
        self.lines += 1
        self.last = now

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def phase(desc: str, *, quiet: bool = False):
    """Progress of one step of work that has no count of its own (aggregating, plotting): its
    elapsed time on the same schedule as any progress, and a last line when it is done."""
    with Progress(desc, 1, "step", quiet=quiet, rates=False) as bar:
        yield bar
        bar.update(1)
