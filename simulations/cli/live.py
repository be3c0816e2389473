"""``ssesim live``: one scenario over a real HTTP server and real SSE streams, checked like ``run``."""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("live", help="the scenario over real HTTP + SSE; summary or --json like run",
                       description="Play SCENARIO with real clients (httpx, httpx-sse) against the "
                                   "reference server started on a free loopback port, or against "
                                   "--target URL; record the trace of `run --trace`, check it with the "
                                   "same checkers, print what `run` prints plus the live figures.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    p.add_argument("--strategy", help="seed | dual-write | seed-retry | reconciled | module:Class")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--mode", choices=("lockstep", "free"), default=None,
                   help="lockstep (default: deterministic, the simulator's schedule) or free (real "
                        "timing; always with --target)")
    p.add_argument("--time-scale", type=float, metavar="X",
                   help="wall seconds per scenario second (default 0 in lockstep: unpaced; 1 when free)")
    p.add_argument("--target", metavar="URL", help="another server; only the client side runs")
    p.add_argument("--wire", choices=("ssesim", "seed"), default="ssesim",
                   help="the names the clients speak: ssesim (the wire contract, default) or seed "
                        "(POST {message, session_id}, ?session_id=, isTyping, isProcessing; no "
                        "versions or ids), for a server built for the seed's client; with --target")
    p.add_argument("--trace", metavar="FILE", help="write the JSONL trace to FILE")
    p.add_argument("--json", action="store_true", help="print run's JSON object plus \"live\"")
    p.add_argument("--max-seconds", type=float, default=600.0, metavar="S",
                   help="stop after S wall seconds, unchecked (default 600)")
    p.add_argument("--patience", type=float, default=5.0, metavar="S",
                   help="longest wait for one real effect (an answer, a stream) before giving up "
                        "on the server (default 5)")
    from simulations.cli.common import add_check
    add_check(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from model.errors import InputError
    from simulations.cli.run import summary
    from simulations.engine.simulator import warnings_for
    from simulations.io.scenario import load_scenario
    from simulations.live.conductor import Limits
    from simulations.live.runner import live_run

    scenario = load_scenario(args.scenario)
    if args.target is not None and args.mode == "lockstep":
        raise InputError("--mode", None, "lockstep needs the server in this process; --target runs free")
    if args.target is not None and not args.target.startswith(("http://", "https://")):
        raise InputError("--target", None, f"{args.target!r} is not an http:// or https:// URL")
    for name, value, low in (("--time-scale", args.time_scale, 0.0), ("--max-seconds", args.max_seconds, 0.0),
                             ("--patience", args.patience, 0.0)):
        if value is not None and not value >= low:
            raise InputError(name, None, f"must be >= {low:g}, got {value:g}")
    if args.wire == "seed" and args.target is None:
        raise InputError("--wire", None, "seed needs --target URL (the reference server speaks both)")
    mode = args.mode or ("free" if args.target else "lockstep")
    if mode == "free" and args.time_scale == 0:
        raise InputError("--time-scale", None, "must be > 0 in a free run")
    result = live_run(scenario, strategy=args.strategy, seed=args.seed, mode=mode,
                      time_scale=args.time_scale, target=args.target, trace_path=args.trace,
                      limits=Limits(wall=args.max_seconds, patience=args.patience), wire_names=args.wire)
    for warning in warnings_for(scenario, result.strategy) + result.warnings:
        print(f"ssesim live: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(summary(result))
        print(live_line(result.live))
    if result.interrupted:  # as every command: 130 for Ctrl-C, 143 for SIGTERM
        word = "terminated" if result.terminated else "interrupted"
        print(f"ssesim live: {word}; the trace ends here (unchecked)", file=sys.stderr)
        return 143 if result.terminated else 130
    from simulations.cli.common import check_exit
    return check_exit(args, result, "ssesim live")


def live_line(live: dict) -> str:
    rtt = live.get("post_rtt_ms", {})
    where = live["target"] or "reference server in-process"
    scale = "unpaced" if not live["time_scale"] else f"time scale {live['time_scale']:g}"
    p50 = "-" if rtt.get("p50") is None else f"{rtt['p50']:.1f}"
    p99 = "-" if rtt.get("p99") is None else f"{rtt['p99']:.1f}"
    return (f"live: {live['mode']}, {scale}, {where} | {live['wall_seconds']:.2f}s wall, {live['steps']} steps"
            f" | POSTs {live.get('posts_sent', 0)} (answers lost {live.get('answers_lost', 0)}), "
            f"round trip p50 {p50} ms p99 {p99} ms | streams {live.get('streams_opened', 0)} | SSE "
            f"{live.get('sse_events_received', 0)} events, {live.get('sse_bytes_received', 0)} bytes")
