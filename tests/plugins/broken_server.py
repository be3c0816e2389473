"""Deliberately broken chat servers, to show that `ssesim live --target` catches a server that breaks
the contract. Run as a separate process: ``python tests/plugins/broken_server.py KIND [--scenario F]``;
it prints its URL like ``ssesim serve``.

KIND: ``ignores-last-event-id`` (a reconnection with Last-Event-ID gets no replay) or
``commits-retries-twice`` (no idempotency: a retried client message id is committed again).
"""

from __future__ import annotations

import argparse
import asyncio

from model.config import Scenario
from simulations.io.scenario import load_scenario
from simulations.live.app import create_app
from simulations.live.core import Driver, ServerCore
from simulations.live.embed import serve_until_stopped


class IgnoresLastEventId(ServerCore):
    def replay_versions(self, s, last_event_id):
        return range(0)


class CommitsRetriesTwice(ServerCore):
    def is_duplicate(self, s, cmid):
        return False


KINDS = {"ignores-last-event-id": IgnoresLastEventId, "commits-retries-twice": CommitsRetriesTwice}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--scenario")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    core = KINDS[args.kind](scenario.server, scenario.sse, Driver(1.0))
    asyncio.run(serve_until_stopped(create_app(core), "127.0.0.1", 0, args.max_seconds,
                                    lambda url: print(f"broken server: {url}", flush=True)))


if __name__ == "__main__":
    main()
