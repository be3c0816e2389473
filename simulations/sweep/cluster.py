"""Run a sweep's runs on a Dask distributed cluster (``--scheduler ADDRESS``), futures interface."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from model.errors import SsesimError


def dask_results(address: str, tasks: Iterable[tuple], run_fn: Callable,
                 per_worker: int = 4) -> Iterator[tuple]:
    """(task, attempt result) as runs finish on the cluster, a few per worker in flight."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SsesimError("--scheduler needs dask.distributed: pip install 'ssesim[dask]'") from None
    from simulations.sweep.work import attempt

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SsesimError(f"--scheduler {address}: cannot connect: {exc}") from None
    with client:
        limit = per_worker * max(1, len(client.scheduler_info().get("workers", {})))
        tasks, pending = iter(tasks), {}
        queue = as_completed()

        def submit_more():
            for task in tasks:
                future = client.submit(attempt, run_fn, task[3], task[4], task[1], task[2],
                                       pure=False)
                pending[future.key] = task
                queue.add(future)
                if len(pending) >= limit:
                    return

        submit_more()
        for future in queue:
            task = pending.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is recorded like a failed run
                result = (f"worker failed: {type(exc).__name__}: {exc}", None, 0.0)
            future.release()
            yield task[:3], result
            submit_more()
