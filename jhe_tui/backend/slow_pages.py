"""A slow server for benchmarks: ``serve-demo --page-delay SECONDS``.

A real JHE holding hundreds of thousands of observations spends seconds of database time on each
page of a FHIR Observation search, and serves only as many at once as it has workers. The demo
answers in milliseconds, so nothing measured against it says how a client copes with that. This
layer makes each observation page (the FHIR search and the admin list) wait ``delay`` seconds
before it is served, at most ``slots`` at a time (the others queue, as at a server whose workers
are all busy), so a client's pace and its ceiling (``slots`` pages per ``delay`` seconds) can be
measured. Nothing else is slowed. Not for tests: they use no real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
PAGES = ("/Observation", "/observations")


class SlowPages:
    def __init__(self, app: ASGIApp, delay: float, slots: int) -> None:
        self.app = app
        self.delay = delay
        self.slots = max(1, slots)
        self._busy: asyncio.Semaphore | None = None  # made on the server's own event loop

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].rstrip("/").endswith(PAGES):
            await self.app(scope, receive, send)
            return
        if self._busy is None:
            self._busy = asyncio.Semaphore(self.slots)
        async with self._busy:
            await asyncio.sleep(self.delay)
            await self.app(scope, receive, send)
