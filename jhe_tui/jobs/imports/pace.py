"""How hard the import presses the server, and when it stops pressing.

Up to ``concurrency`` rows do network work at once (``working``): as many as the server serves
without its answers slowing down, learnt as the import goes (``jhe_tui.jobs.pacing``). A step that fails in a way that may
pass is tried again after the wait the one ``RetryPolicy`` gives (Retry-After or backoff with
jitter), after asking the server whether the lost attempt took effect after all. Two ways to stop:
``halt`` (signed out, server gone, journal broken) refuses every further step at once, while
``stop`` (the user asked) only refuses rows that have not started, so the rows in flight finish.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from jhe_tui.api import JheError, RetryPolicy, Unauthenticated

from ..pacing import START, Pacing, temporary

T = TypeVar("T")
__all__ = ["Pace", "SignedOut", "Stopped", "temporary"]


class SignedOut(Exception):
    """The server no longer accepts the sign-in: no row can go on."""


class Stopped(Exception):
    """The job takes no new step (``halt``), or no new row (``stop``)."""


class Pace:
    def __init__(self, concurrency: int, retry: RetryPolicy, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.pacing = Pacing(start=START, ceiling=concurrency, retry=retry, clock=clock)
        self.retry = retry
        self.halted: str | None = None  # why no further step may start
        self.stopping: str | None = None  # why no further row may start

    @property
    def reason(self) -> str | None:
        """Why the job ends early, if it does."""
        return self.halted or self.stopping

    def halt(self, why: str) -> None:
        self.halted = self.halted or why

    def stop(self, why: str) -> None:
        self.stopping = self.stopping or why

    @asynccontextmanager
    async def working(self, *, new_row: bool = False) -> AsyncIterator[None]:
        """One of the slots for network work (``pacing``); refused once the job has halted, and
        for a row's first step once it is stopping."""
        async with self.pacing.slot():
            why = self.halted or (self.stopping if new_row else None)
            if why is not None:
                raise Stopped(why)
            yield

    async def retrying(self, doing: Callable[[], Awaitable[T]], *,
                       verify: Callable[[], Awaitable[Any]] | None = None) -> T:
        """Run a step; after a temporary failure wait, ask ``verify`` whether the step took
        effect after all (its non-None answer is returned), and only then try again. A 429 needs
        no asking: the server did nothing."""
        attempt = 0
        while True:
            try:
                return await doing()
            except Unauthenticated as exc:
                raise SignedOut(exc.message) from None
            except JheError as exc:
                if not temporary(exc) or attempt >= self.retry.max_retries or self.halted is not None:
                    raise
                await self.retry.sleep(self.retry.step_delay(attempt, exc.retry_after))
                attempt += 1
                if verify is not None and exc.status != 429:
                    done = await self.retrying(verify)
                    if done is not None:
                        return done
