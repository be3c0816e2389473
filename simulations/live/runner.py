"""One live run: the reference server (or a target), the conductor, the trace and the checkers.

``live_run`` is to ``ssesim live`` what ``simulate`` is to ``ssesim run``: the same Monitor checks the
same records (a ``TraceWriter`` writes them as ``run --trace`` does), and the result has the fields
of ``run --json`` plus the live figures. Ctrl-C or SIGTERM ends the trace where the run was (an
``end`` record, unchecked), so what was recorded stays a complete, checkable trace.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import signal
import threading
import time
from dataclasses import dataclass, field

from model.config import Scenario
from model.errors import SsesimError
from model.forwarding import Monotonic
from model.invariants import Monitor
from model.outcome import RunResult
from model.plugins import resolve_strategy
from simulations.io.trace import TraceWriter
from simulations.live.app import create_app
from simulations.live.conductor import Conductor, ConductorDriver, Limits
from simulations.live.core import ServerCore
from simulations.live.embed import Embedded

MODES = ("lockstep", "free")
SETTLE_MARGIN = 0.25  # --target: wall seconds of quiet, beyond the assistant's delays, before a check


@dataclass
class LiveResult(RunResult):
    """A live run's outcome: ``run --json``'s fields, plus what happened on the wire."""

    live: dict = field(default_factory=dict)
    interrupted: bool = False
    terminated: bool = False  # the interruption was SIGTERM (exit 143), not Ctrl-C (130)

    @property
    def violated(self) -> set[str]:
        return {k for k, n in self.violations.items() if n}

    def to_json(self) -> dict:
        return {**super().to_json(), "live": self.live}


def live_run(scenario: Scenario, *, strategy: str | None = None, seed: int | None = None,
             mode: str = "lockstep", time_scale: float | None = None, target: str | None = None,
             trace_path=None, limits: Limits | None = None, wire_names: str = "ssesim") -> LiveResult:
    """Play ``scenario`` over real HTTP and SSE; raises SsesimError (TargetError) for a bad target.
    ``wire_names``: ``ssesim`` (the wire contract) or ``seed`` (the seed's names, no ids)."""
    return asyncio.run(live_run_async(scenario, strategy=strategy, seed=seed, mode=mode,
                                      time_scale=time_scale, target=target, trace_path=trace_path,
                                      limits=limits, signals=True, wire_names=wire_names))


async def live_run_async(scenario: Scenario, *, strategy=None, seed=None, mode="lockstep",
                         time_scale=None, target=None, trace_path=None, limits=None,
                         signals=False, wire_names="ssesim") -> LiveResult:
    name = strategy or scenario.strategy
    seed = scenario.seed if seed is None else seed
    strategy_cls = resolve_strategy(name, scenario.source)
    if mode not in MODES:
        raise SsesimError(f"--mode: {mode!r} is not one of {', '.join(MODES)}")
    if target is not None:
        mode = "free"
    lockstep = mode == "lockstep"
    if time_scale is None:
        time_scale = 0.0 if lockstep else 1.0
    if time_scale < 0 or (not lockstep and time_scale == 0):
        raise SsesimError(f"--time-scale: must be > 0 in a free run (>= 0 in lockstep), got {time_scale:g}")
    limits = limits or Limits()
    monitor = Monitor()
    sink = monitor if trace_path is None else TraceWriter(trace_path, monitor)
    obs = sink
    if not lockstep:  # real effects land concurrently: a trace's time never goes back
        obs = Monotonic(obs)
    started = time.perf_counter()
    conductor = server = None
    interrupted = False
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    handled, caught = [], []  # caught: the signals that stopped the run
    if signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _stop, main, sig, caught)
            handled.append(sig)
    try:
        conductor = Conductor(scenario, strategy_cls, random.Random(seed), obs, lockstep=lockstep,
                              time_scale=time_scale, limits=limits, target=target is not None)
        conductor.seed_names = wire_names == "seed"
        if target is None:
            core = ServerCore(scenario.server, scenario.sse, ConductorDriver(conductor), obs)
            server = Embedded(create_app(core))
            url = await server.start()
            await conductor.start(url, core)
        else:
            server_work = scenario.server.think_delay.generous() + scenario.server.reply_delay.generous()
            conductor.settle = SETTLE_MARGIN + (time_scale * server_work if scenario.server.assistant else 0)
            token = secrets.token_hex(4)  # fresh sessions: the target may hold other runs' messages
            await conductor.start(target, names={c.session: f"{c.session}~{token}"
                                                 for c in scenario.clients})
        await conductor.run()
    except asyncio.CancelledError:
        interrupted = True
        if conductor is not None:
            conductor.interrupt()
    except BaseException:
        if conductor is not None and conductor.wire is not None and conductor.t0:
            conductor.interrupt()
            _finish(sink)  # the trace so far stays, complete (it ends with an unchecked end record)
        elif isinstance(sink, TraceWriter):
            sink.abort()  # nothing ran: no trace
        await _close(conductor, server)
        raise
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    _finish(sink)
    await _close(conductor, server)
    return _result(scenario, conductor, monitor, seed, mode, time_scale, target,
                   time.perf_counter() - started, interrupted, signal.SIGTERM in caught)


async def _close(conductor, server) -> None:
    if conductor is not None:
        await conductor.close()
    if server is not None:
        await server.stop()


def _stop(main: asyncio.Task, sig: int, caught: list) -> None:
    caught.append(sig)
    main.cancel()


def _finish(sink) -> None:
    if isinstance(sink, TraceWriter):
        sink.close()


def run_outcome(scenario, conductor: Conductor, monitor: Monitor) -> tuple[dict, list[str]]:
    """The metrics and warnings of a conductor's run: a live run's, and a browser run's."""
    metrics = monitor.metrics()
    metrics["events"] = conductor.steps
    metrics["end_time"] = round(conductor.now, 9)
    metrics["stuck"] = conductor.stuck or conductor.past_horizon or conductor.stopped
    warnings = []
    if conductor.past_horizon:
        warnings.append(f"{scenario.source}: not quiescent 86400 s (virtual) after the last input: "
                        "stopped there, without the end-of-run checks")
    if conductor.stopped:
        warnings.append(f"{scenario.source}: stopped by the live limits ({conductor.limits.wall:g} s "
                        f"wall or {conductor.limits.steps} steps), without the end-of-run checks")
    return metrics, warnings


def _result(scenario, conductor: Conductor, monitor: Monitor, seed, mode, time_scale, target, wall,
            interrupted, terminated=False) -> LiveResult:
    metrics, warnings = run_outcome(scenario, conductor, monitor)
    live = {"mode": mode, "time_scale": time_scale, "target": target,
            "wire": "seed" if conductor.seed_names else "ssesim",
            "wall_seconds": round(wall, 3), "steps": conductor.steps}
    if conductor.wire is not None:
        live.update(conductor.wire.figures.to_json())
    return LiveResult(
        scenario=scenario.name, strategy=conductor.side.strategy_name, seed=seed,
        sends=monitor.sends, committed=monitor.committed, violations=dict(monitor.counts),
        chart_gaps=monitor.lifecycle.total, metrics=metrics, live=live,
        examples=dict(monitor.first), gaps=monitor.lifecycle.summary(), warnings=warnings,
        interrupted=interrupted, terminated=terminated)
