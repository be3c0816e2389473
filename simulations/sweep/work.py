"""One sweep run in a worker: the real run, and the wrapper that turns its failure into data.

Both the process pool (``runner``) and the Dask cluster (``cluster``) submit ``attempt``; keeping
it here lets each import it without importing the other.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable

RunFn = Callable[[dict, str, str, int], dict]


def execute_run(data: dict, source: str, strategy: str, seed: int) -> dict:
    """The real run: parse the cell's scenario, simulate, return its JSON and confirm times."""
    from model.strategies import resolve_strategy
    from simulations.engine.simulator import simulate
    from simulations.io.scenario import parse_scenario

    keys = resolve_strategy(strategy, source).option_keys
    result = simulate(parse_scenario(data, source, keys), strategy=strategy, seed=seed)
    return {"result": result.to_json(), "confirm_times": list(result.confirm_times)}


def attempt(run_fn: RunFn, data: dict, source: str, strategy: str, seed: int) -> tuple:
    """Call ``run_fn`` in a worker; exceptions come back as text so a failed run is data."""
    start = time.perf_counter()
    try:
        payload = run_fn(data, source, strategy, seed)
        return None, payload, time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - any failure of a run is recorded, not raised
        from model.strategies import plugin_failure
        text = plugin_failure(exc) or " ".join(f"{type(exc).__name__}: {exc}".split())
        return text, None, time.perf_counter() - start


PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_INTERVAL = 1.0  # seconds between two looks at the parent process


def worker_init() -> None:
    """Set up a pool worker: it leaves Ctrl-C and SIGTERM to the sweep process (which stops the
    pool), and exits as soon as that process is gone, however it died (even by SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked while the sweep held them back
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
