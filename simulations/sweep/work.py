"""One sweep run in a worker: the real run, and the wrapper that turns its failure into data.

Both the process pool (``runner``) and the Dask cluster (``cluster``) submit ``attempt``; keeping
it here lets each import it without importing the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from simulations.io.workers import worker_init  # noqa: F401 - the pool's initializer, kept here

RunFn = Callable[[dict, str, str, int], dict]


def execute_run(data: dict, source: str, strategy: str, seed: int) -> dict:
    """The real run: parse the cell's scenario, simulate, return its JSON and confirm times."""
    from model.plugins import resolve_strategy
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
        from model.plugins import plugin_failure
        text = plugin_failure(exc) or " ".join(f"{type(exc).__name__}: {exc}".split())
        return text, None, time.perf_counter() - start
