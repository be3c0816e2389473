"""``ssesim serve``: the reference server (SPEC §2) on loopback, until Ctrl-C, SIGTERM or its time limit."""

from __future__ import annotations

import asyncio
import sys

from model.config import Scenario


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="the reference chat server (POST + SSE) on loopback",
                       description="Serve SPEC §2's server over HTTP: POST /api/chat, GET "
                                   "/api/chat/stream (SSE), GET /openapi.json. The scenario's [server] "
                                   "and [sse] payload/resume tables configure it. Prints its URL.")
    p.add_argument("--scenario", metavar="F", help="scenario TOML whose [server] and [sse] to use")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    p.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                   help="wall seconds per scenario second for the assistant's delays (default 1)")
    p.add_argument("--max-seconds", type=float, default=3600.0, metavar="S",
                   help="stop after S seconds (default 3600)")
    p.set_defaults(func=run)


def run(args) -> int:
    from model.errors import InputError
    from simulations.io.scenario import load_scenario
    from simulations.live.app import create_app
    from simulations.live.core import Driver, ServerCore
    from simulations.live.embed import is_loopback, serve_until_stopped

    scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    if not 0 <= args.port <= 65535:
        raise InputError("--port", None, f"{args.port} is not a port (0-65535)")
    if args.time_scale <= 0:
        raise InputError("--time-scale", None, f"must be > 0, got {args.time_scale:g}")
    if args.max_seconds <= 0:
        raise InputError("--max-seconds", None, f"must be > 0, got {args.max_seconds:g}")
    if not is_loopback(args.host):
        print(f"ssesim serve: warning: --host {args.host} is not a loopback address: the server is "
              "reachable from other machines", file=sys.stderr)
    core = ServerCore(scenario.server, scenario.sse, Driver(args.time_scale, scenario.seed))

    def announce(url):
        print(f"ssesim serve: {url} (OpenAPI at {url}/openapi.json; Ctrl-C stops)", flush=True)

    why = asyncio.run(serve_until_stopped(create_app(core), args.host, args.port, args.max_seconds,
                                          announce))
    print(f"ssesim serve: stopped ({why})", file=sys.stderr)
    return 0
