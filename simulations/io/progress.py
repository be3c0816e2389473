"""Progress on stderr: a tqdm bar on a terminal, plain lines anywhere else, nothing when quiet.

Progress never touches stdout, so what a command prints there (its JSON above all) is the same
with or without it. Work that ends quickly shows nothing: a bar appears after ``BAR_DELAY``
seconds; without a terminal that has a width (a pipe, a CI log, a file, ``TERM=dumb``) one plain
line is printed after ``LINE_DELAY`` seconds and then every ``LINE_INTERVAL`` seconds, plus a
last one when the work ends ("done", or "stopped" when it ends short of its total).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

BAR_DELAY = 1.0
LINE_DELAY = 5.0
LINE_INTERVAL = 10.0


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


class Progress:
    """Counts work done (of ``total`` when known) and shows it on ``stream`` (default stderr)."""

    def __init__(self, desc: str, total: int | None = None, unit: str = "it", *, quiet: bool = False,
                 initial: int = 0, stream=None, clock=time.monotonic):
        self.desc, self.total, self.unit = desc, total, unit
        self.done, self.note = initial, ""
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start = self.last = clock()
        self.lines = 0
        self.bar = None
        self.mode = "off" if quiet else ("bar" if has_width(self.stream) else "lines")
        if self.mode == "bar":
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=initial, unit=unit, desc=desc, file=self.stream,
                            dynamic_ncols=True, delay=BAR_DELAY, leave=False)

    def update(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more units done; ``note`` (when given) says what is being done now."""
        self.done += n
        if note is not None:
            self.note = note
        if self.bar is not None:
            if note is not None:
                self.bar.set_postfix_str(note, refresh=False)
            self.bar.update(n)
        elif self.mode == "lines":
            now = self.clock()
            due = LINE_DELAY if self.lines == 0 else LINE_INTERVAL
            if now - (self.start if self.lines == 0 else self.last) >= due:
                self._line(now)

    def set(self, done: int, note: str | None = None) -> None:
        """The work done so far is ``done`` units (for counters polled from elsewhere)."""
        self.update(done - self.done, note)

    @contextlib.contextmanager
    def aside(self):
        """Print something else meanwhile (on the same terminal) without garbling the bar."""
        if self.bar is not None:
            self.bar.clear()
        try:
            yield
        finally:
            if self.bar is not None:
                self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.mode == "lines" and self.lines:
            finished = self.total is None or self.done >= self.total
            self._line(self.clock(), "done, " if finished else "stopped, ")
        self.mode = "off"

    def _line(self, now: float, prefix: str = "") -> None:
        of = f"/{self.total:,}" if self.total is not None else ""
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        note = f" | {self.note}" if self.note else ""
        print(f"{self.desc}: {prefix}{self.done:,}{of} {self.unit}{pct} in {now - self.start:.0f} s"
              f"{note}", file=self.stream, flush=True)
        self.lines += 1
        self.last = now

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
