"""One browser run: the site, the pages, the conductor, the trace and the checkers.

``browser_run`` is to ``ssesim browser`` what ``live_run`` is to ``ssesim live``: the same Monitor
checks the same records (``TraceWriter`` writes them as ``run --trace`` does), lockstep or free
(``time_scale`` > 0: real timing, see ``conductor.py``). A client module is a
built-in name (``seed``, ``reconciled``: ``clients/NAME.js``, built from ``NAME.ts``) or a path to a
built ES module (``.ts`` when esbuild is on PATH). A scenario a native EventSource cannot play
(``old_stream_drains``) is *not realizable*: no run, never a pass.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from model.config import Scenario
from model.errors import InputError, SsesimError
from model.forwarding import Monotonic
from model.invariants import Monitor
from simulations.browser.conductor import BrowserConductor
from simulations.browser.pool import Pool
from simulations.browser.site import HeldCore, Run
from simulations.io.trace import TraceWriter
from simulations.live.conductor import ConductorDriver, Limits
from simulations.live.runner import LiveResult, run_outcome

BUILT_IN = ("seed", "reconciled")
NOT_REALIZABLE = "old_stream_drains: a browser's EventSource closes the old connection before it opens " \
                 "the new one (SPEC §2.4), so this scenario is not realizable in a browser"


@dataclass
class ClientModule:
    name: str
    code: bytes


def load_module(spec: str) -> ClientModule:
    """A built-in client module by name, or a user's built module (``.js``; ``.ts`` with esbuild)."""
    if spec in BUILT_IN:
        code = resources.files("simulations.browser").joinpath(f"clients/{spec}.js").read_bytes()
        return ClientModule(spec, code)
    path = Path(spec)
    if path.suffix not in (".js", ".mjs", ".ts"):
        raise InputError("--client", None, f"{spec!r} is not seed, reconciled or a .js/.mjs/.ts file")
    if not path.is_file():
        raise InputError(str(path), None, "no such client module")
    if path.suffix == ".ts":
        return ClientModule(path.stem, build_ts(path))
    return ClientModule(path.stem, path.read_bytes())


def build_ts(path: Path) -> bytes:
    esbuild = os.environ.get("SSESIM_ESBUILD") or shutil.which("esbuild")
    if esbuild is None:
        raise InputError(str(path), None, "a .ts client module needs esbuild on PATH "
                         "(npm install esbuild); or pass its built .js")
    done = subprocess.run([esbuild, str(path), "--bundle", "--format=esm", "--log-level=error"],
                          check=False, capture_output=True, timeout=60)
    if done.returncode:
        first = (done.stderr.decode(errors="replace").strip().splitlines() or ["esbuild failed"])[0]
        raise InputError(str(path), None, f"esbuild: {first}")
    return done.stdout


def realizable(scenario: Scenario) -> str | None:
    """Why the scenario cannot be played by a native EventSource, or None."""
    return NOT_REALIZABLE if scenario.sse.old_stream_drains else None


async def browser_run_async(scenario: Scenario, module: ClientModule, pool: Pool, *,
                            seed: int | None = None, trace_path=None,
                            limits: Limits | None = None, replay=None,
                            time_scale: float = 0.0) -> LiveResult:
    """Play ``scenario`` with ``module`` in the pool's pages, in lockstep (``time_scale`` 0) or free
    (``time_scale`` > 0 wall seconds per virtual second); ``replay``: (a counterexample's steps, its
    file) to take instead of the schedule (``replay.py``, lockstep only)."""
    why = realizable(scenario)
    if why is not None:
        raise SsesimError(f"{scenario.source}: {why}")
    if time_scale < 0 or (replay is not None and time_scale):
        raise SsesimError(f"time scale {time_scale:g}: a replay is lockstep (0); a free run > 0")
    seed = scenario.seed if seed is None else seed
    limits = limits or Limits(wall=600.0, patience=10.0)
    monitor = Monitor()
    sink = monitor if trace_path is None else TraceWriter(trace_path, monitor)
    obs = sink
    if time_scale:  # free: real effects land concurrently, so a trace's time never goes back
        obs = Monotonic(obs)
    started = time.perf_counter()
    token = secrets.token_hex(4)
    pool.site.module = module.code
    if replay is None:
        conductor = BrowserConductor(scenario, random.Random(seed), obs, limits=limits, pool=pool,
                                     run=None, client_name=module.name, time_scale=time_scale)
    else:
        from simulations.browser.replay import ReplayConductor
        steps, where = replay
        conductor = ReplayConductor(scenario, random.Random(seed), obs, steps, where, limits=limits,
                                    pool=pool, run=None, client_name=module.name)
    core = HeldCore(scenario.server, scenario.sse, ConductorDriver(conductor), obs)
    conductor.run_ = run = Run(core, token)
    pool.site.run = run
    try:
        await conductor.start_pages(scenario.server.max_message_length, _options(scenario))
        await conductor.run()
    except BaseException:
        if conductor.t0:
            conductor.interrupt()
            if isinstance(sink, TraceWriter):
                sink.close()
        elif isinstance(sink, TraceWriter):
            sink.abort()
        raise
    finally:
        for task in list(conductor.tasks):  # free: a POST still under way when the run ended
            task.cancel()
        if conductor.tasks:
            await asyncio.gather(*conductor.tasks, return_exceptions=True)
        run.close()
        pool.site.run = None
        await pool.blank(len(scenario.clients))
    if isinstance(sink, TraceWriter):
        sink.close()
    result = _result(scenario, conductor, monitor, seed, module.name, time.perf_counter() - started)
    if replay is not None:
        blocked = conductor.blocked
        result.live["replayed_steps"] = conductor.steps
        if blocked is not None:
            result.warnings.append(f"{replay[1]}: step {blocked[0]} {list(blocked[1])} is not enabled for "
                                   f"client module {module.name}; replayed the first {blocked[0] - 1} steps")
    return result


def browser_run(scenario: Scenario, module: ClientModule, **kwargs) -> LiveResult:
    """One run in a browser started for it (``--headed``: a visible one)."""
    headed = kwargs.pop("headed", False)

    async def go():
        pool = await Pool(headed).start()
        try:
            return await browser_run_async(scenario, module, pool, **kwargs)
        finally:
            await pool.stop()

    return asyncio.run(go())


def _options(scenario: Scenario) -> dict:
    """The ``[strategy_options]`` a client module reads (``env.options``), in its names."""
    o, delay = scenario.strategy_options, scenario.sse.reconnect_delay
    return {"retries": o.retries, "retryBackoff": o.retry_backoff, "retryBackoffMax": o.retry_backoff_max,
            "requestDeadline": o.request_deadline,
            "reconnectDelay": delay.value if delay.kind == "constant" else delay.generous()}


def _result(scenario, conductor, monitor, seed, client, wall) -> LiveResult:
    metrics, warnings = run_outcome(scenario, conductor, monitor)
    live = {"mode": "lockstep" if conductor.lockstep else "free", "time_scale": conductor.time_scale,
            "client": client, "wall_seconds": round(wall, 3), "steps": conductor.steps}
    return LiveResult(
        scenario=scenario.name, strategy=client, seed=seed, sends=monitor.sends,
        committed=monitor.committed, violations=dict(monitor.counts), chart_gaps=monitor.lifecycle.total,
        metrics=metrics, live=live, examples=dict(monitor.first), gaps=monitor.lifecycle.summary(),
        warnings=warnings)
