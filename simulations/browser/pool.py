"""Headless Chromium for browser runs: one browser, one context per scenario client, reused.

Playwright for Python drives the system's Chromium (``executable_path``; ``playwright install`` is
never run: it downloads a browser). ``Pool`` holds the browser, the ``Site`` every page loads from,
and the contexts (context ``i`` is always client ``i``: its cookie says so). Without Playwright or
Chromium, ``NoBrowser`` says in one line how to install them (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import shutil

from model.errors import SsesimError
from simulations.browser.site import COOKIE, PAGE, Site
from simulations.live.embed import Embedded

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
         "--disable-backgrounding-occluded-windows"]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class NoBrowser(SsesimError):
    """No Playwright for Python, or no Chromium: one line on how to install them."""


def chromium_path() -> str | None:
    env = os.environ.get("SSESIM_CHROMIUM")
    if env:
        return env if os.path.exists(env) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require() -> str:
    """The Chromium executable, or NoBrowser naming what is missing and how to install it."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        raise NoBrowser("Playwright for Python is not installed: pip install playwright "
                        "(the test extra has it; do not run `playwright install`)") from None
    path = chromium_path()
    if path is None:
        raise NoBrowser("no Chromium found (chromium on PATH, or SSESIM_CHROMIUM=/path): "
                        "apt-get install chromium") from None
    return path


class Pool:
    """A started browser and site; ``context(i)`` is client ``i``'s page, created once."""

    def __init__(self, headed: bool = False):
        self.headed = headed
        self.site = Site()
        self.server: Embedded | None = None
        self.url = ""
        self.pw = self.browser = None
        self.pages: list = []
        self.contexts: list = []

    async def start(self) -> Pool:
        path = require()
        from playwright.async_api import async_playwright

        self.server = Embedded(self.site)
        self.url = await self.server.start()
        self.pw = await async_playwright().start()
        flags = [f for f in FLAGS if not (self.headed and f == "--headless")]
        try:
            self.browser = await self.pw.chromium.launch(executable_path=path, args=flags,
                                                         headless=not self.headed)
        except Exception as exc:  # noqa: BLE001 - Playwright's own error: keep its first line
            await self.stop()
            raise NoBrowser(f"{path}: Chromium did not start: {str(exc).splitlines()[0]}") from None
        return self

    async def page(self, client: int, token: str, query: str):
        """Client ``client``'s page, navigated afresh to the page of this run."""
        while len(self.pages) <= client:
            ctx = await self.browser.new_context(service_workers="block")
            await ctx.add_init_script(script=self.site.boundary)
            self.contexts.append(ctx)
            self.pages.append(await ctx.new_page())
        ctx, page = self.contexts[client], self.pages[client]
        await ctx.add_cookies([{"name": COOKIE, "value": f"{token}.{client}", "url": self.url}])
        await page.goto(f"{self.url}{PAGE}?{query}", wait_until="commit")
        await page.wait_for_function("() => window.__ssesim && window.__ssesim.mounted === true")
        return page

    async def blank(self, clients: int) -> None:
        """Leave the run's pages (their EventSources close) before the next run."""
        for page in self.pages[:clients]:
            await page.goto("about:blank")

    async def stop(self) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):  # the browser may be gone already
                await ctx.close()
        if self.browser is not None:
            await self.browser.close()
        if self.pw is not None:
            await self.pw.stop()
        if self.server is not None:
            await self.server.stop()
