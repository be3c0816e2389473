"""Serving an ASGI app with uvicorn inside the running event loop, on a socket bound beforehand.

Binding first gives the port (``port=0``: a free one) before the server starts; uvicorn's own signal
handlers are switched off, so that the caller decides what Ctrl-C does; stopping ends the app's
open SSE streams first (uvicorn would otherwise wait for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket

import uvicorn

from model.errors import SsesimError

STOP_TIMEOUT = 5.0  # seconds uvicorn gets to close its connections before it is forced


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only for IPPROTO_TCP
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise SsesimError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the embedding program handles signals
        yield


class Embedded:
    """One app served on ``host:port``; ``url`` is known once constructed."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.sock = bind(host, port)
        name = self.sock.getsockname()
        self.host, self.port = name[0], name[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}"
        config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False,
                                http="h11", loop="asyncio", timeout_graceful_shutdown=STOP_TIMEOUT,
                                timeout_keep_alive=30)
        self.server = _Server(config)
        self.task: asyncio.Task | None = None

    async def start(self) -> str:
        self.task = asyncio.get_running_loop().create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise SsesimError(f"{self.url}: the server stopped while starting")
            await asyncio.sleep(0.002)
        return self.url

    async def stop(self) -> None:
        core = getattr(self.app, "core", None)
        if core is not None:
            core.shutdown()
        self.server.should_exit = True
        if self.task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self.task), STOP_TIMEOUT)
        except TimeoutError:
            self.server.force_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, STOP_TIMEOUT)
        finally:
            self.sock.close()


async def serve_until_stopped(app, host: str, port: int, max_seconds: float, announce) -> str:
    """Serve ``app`` until SIGINT or SIGTERM, or for ``max_seconds``; ``announce(url)`` once it listens.
    Returns why it stopped."""
    server = Embedded(app, host, port)
    await server.start()
    announce(server.url)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    why = ["time limit"]

    def on_signal(name):
        why[0] = name
        stop.set()

    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig.name)
            handled.append(sig)
    try:
        await asyncio.wait_for(stop.wait(), max_seconds)
    except TimeoutError:
        pass
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await server.stop()
    return why[0]
