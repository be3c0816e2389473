"""Worker processes that die with their parent: the sweep's pool, the report's pool and the parallel
explorer's workers all start with :func:`worker_init`."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_INTERVAL = 1.0  # seconds between two looks at the parent process


def worker_init() -> None:
    """Set up a worker process: it leaves Ctrl-C and SIGTERM to its parent (which stops it), and
    exits as soon as that process is gone, however it died (even by SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held them back
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if sys.platform.startswith("linux"):
        try:  # the kernel kills this worker when its parent dies
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    parent = os.getppid()  # read after prctl: a parent that died before it shows here as init
    if parent == 1:
        os._exit(1)
    # Everywhere (and should the signal not come): a thread that watches for a new parent.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="ssesim-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)
