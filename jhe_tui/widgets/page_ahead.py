"""The next page, fetched while the user reads the one on show.

A real server can take half a second or more for a page; fetched ahead, the next page is on
screen as soon as the key is pressed. At most one page is fetched ahead, so a slow server gets at
most one request more than the user asked for, and it is cancelled as soon as the user asks for
anything else (another page, another page size, a reload, another screen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker

from jhe_tui.api import JheError

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class PageAhead(Generic[K, T]):
    """``fetch(key)`` run in a worker of ``node``, for one key at a time."""

    def __init__(self, node: DOMNode, fetch: Callable[[K], Awaitable[T]]) -> None:
        self._node = node
        self._fetch = fetch
        self._key: K | None = None
        self._worker: Worker[None] | None = None
        self._result: asyncio.Future[T | None] | None = None

    def start(self, key: K) -> None:
        """Fetch ``key`` ahead, instead of whatever was being fetched ahead."""
        self.drop()
        result: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()

        async def fetch() -> None:
            try:
                page: T | None = await self._fetch(key)
            except JheError:
                page = None  # the page is fetched again when asked for, and its error shown then
            except asyncio.CancelledError:
                result.cancel()
                raise
            result.set_result(page)

        self._key, self._result = key, result
        self._worker = self._node.run_worker(fetch(), group="page-ahead", exit_on_error=False)

    def drop(self) -> None:
        """Cancel the page fetched ahead, if any (the user moved elsewhere or data changed)."""
        if self._worker is not None:
            self._worker.cancel()
        self._key = self._worker = self._result = None

    async def take(self, key: K) -> T | None:
        """The page fetched ahead for ``key``, waited for if it is still on its way; None when
        there is none for that key (what was fetched ahead for another is cancelled) or it failed.
        Cancelling the caller cancels the fetch too."""
        worker, result, wanted = self._worker, self._result, self._key == key
        self._key = self._worker = self._result = None
        if worker is None or result is None:
            return None
        if not wanted:
            worker.cancel()
            return None
        try:
            return await asyncio.shield(result)
        except asyncio.CancelledError:
            worker.cancel()
            raise
