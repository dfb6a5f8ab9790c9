"""How many requests a bulk job keeps in flight: as many as the server serves at once, no more.

A JHE server serves a few requests at a time (a couple of gunicorn workers); a page of a large
search may cost it seconds. Sending more than it serves at once buys nothing: the extra requests
wait in its queue, each answer takes longer, and past the read timeout they fail. Sending fewer
leaves it idle. The right number is the server's, and the job learns it as TCP learns a path's,
by additive increase and multiplicative decrease (AIMD):

* start at ``START`` (2) in flight;
* after each round (as many answers as the limit), grow by one while the answers take about as
  long as the quickest recent ones (latency flat: the server had room), and shrink by one when
  they take so much longer that about one request waits at the server (latency climbing). It
  thus probes one more than the server serves now and then, and comes back;
* halve at once when the server says or shows it is overloaded: 429, 502, 503, 504 or a timed-out
  attempt, retries included (``jhe_tui.api.watch``), once per round of requests sent.

``fetch`` runs a call in a slot and, the call being a read, tries it again after a backoff when it
fails in a way that may pass (the session has retried it already); only ``give_up_after``
failures in a row, of any of the job's calls, stop the job. ``paced_pages`` walks a paginated
search in order with it. Times come from an injected clock, so tests need no real waiting.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from jhe_tui.api import JheError, NetworkFailure, Page, RetryPolicy, ServerFailure
from jhe_tui.api.watch import Outcome, watching

T = TypeVar("T")

START = 2
CEILING = 6
GROW_BELOW = 0.5  # requests estimated to wait at the server in a round, under which the limit grows
SHRINK_ABOVE = 0.75  # ... and over which it shrinks
FLAT = 0.05  # seconds of difference that say nothing (on loopback, answers of a few ms vary twofold)
RECENT = 32  # answers remembered for the quickest and the typical answer time


def temporary(exc: BaseException) -> bool:
    """A failure after which the request may or may not have taken effect, and may work later."""
    if isinstance(exc, (NetworkFailure, ServerFailure)):
        return True
    return isinstance(exc, JheError) and exc.status == 429


class Pacing:
    def __init__(self, *, start: int = START, ceiling: int = CEILING, clock: Callable[[], float] = time.monotonic,
                 retry: RetryPolicy | None = None, give_up_after: int | None = None) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = max(1, min(start, self.ceiling))
        self.in_flight = 0
        self.slowed = 0  # times the server's answers made the limit shrink
        self.failures = 0  # calls failed one after the other
        self.clock = clock
        self.retry = retry or RetryPolicy()
        # Calls failed one after the other (each retried by the session already) that end the job.
        self.give_up_after = max(1, self.retry.max_retries + 1 if give_up_after is None else give_up_after)
        self._recent: deque[float] = deque(maxlen=RECENT)
        self._round: list[float] = []
        self._full = False  # the limit was reached during this round: its answers tell about it
        self._epoch = 0  # changes with the limit; answers to requests sent before do not count
        self._wake = asyncio.Event()

    @property
    def answer_seconds(self) -> float | None:
        """The typical time the server took to answer lately (the median), None before any answer."""
        return statistics.median(self._recent) if self._recent else None

    @property
    def answered(self) -> int:
        """How many answers ``answer_seconds`` is drawn from."""
        return len(self._recent)

    def describe(self) -> str:
        """"server: 8.1 s a page, 2 in flight" for a progress line."""
        seconds = self.answer_seconds
        if seconds is None:
            return f"{self.in_flight} in flight"
        shown = f"{seconds:.1f} s" if seconds >= 0.95 else f"{seconds * 1000:.0f} ms"
        return f"server: {shown} a page, {self.in_flight} in flight"

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the ``limit`` places in flight; every attempt made inside is watched."""
        while self.in_flight >= self.limit:
            self._wake.clear()
            await self._wake.wait()
        self.in_flight += 1
        self._full = self._full or self.in_flight >= self.limit
        try:
            with watching(self._sent):
                yield
        finally:
            self.in_flight -= 1
            self._wake.set()

    async def fetch(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` (a read) in a slot, tried again after a backoff while it fails in a way that
        may pass, until ``give_up_after`` calls of the job have failed one after the other."""
        while True:
            async with self.slot():
                try:
                    result = await call()
                except JheError as exc:
                    if not temporary(exc):
                        raise
                    failure = exc
                else:
                    self.failures = 0
                    return result
            self.failures += 1
            if self.failures >= self.give_up_after:
                raise failure
            await self.retry.sleep(self.retry.step_delay(self.failures, failure.retry_after))

    # --- what the answers say -----------------------------------------------------------------

    def _sent(self, method: str) -> Callable[[Outcome], None]:
        started, epoch = self.clock(), self._epoch
        return lambda outcome: self.heard(outcome, self.clock() - started, epoch)

    def heard(self, outcome: Outcome, seconds: float, epoch: int | None = None) -> None:
        """One attempt's outcome and how long it took; ``epoch``: when it was sent (now if None)."""
        current = epoch is None or epoch == self._epoch
        if outcome.overloaded:
            if current:
                self.slowed += 1
                self._set(max(1, self.limit // 2))
            return
        if outcome.status is None:
            return  # the connection failed: nothing learnt of the server's pace
        self._recent.append(seconds)
        if not current:
            return
        self._round.append(seconds)
        if len(self._round) < self.limit:
            return
        waiting = self._waiting(statistics.fmean(self._round), min(self._recent))
        if waiting > SHRINK_ABOVE and self.limit > 1:
            self.slowed += 1
            self._set(self.limit - 1)
        elif waiting < GROW_BELOW and self._full and self.limit < self.ceiling:
            self._set(self.limit + 1)
        else:
            self._round, self._full = [], self.in_flight >= self.limit

    def _waiting(self, mean: float, quickest: float) -> float:
        """How many of the limit's requests wait at the server rather than being served (as TCP
        Vegas estimates it): the share of the answer time beyond the quickest, times the limit."""
        if mean - quickest <= FLAT:
            return 0.0
        return self.limit * (1 - quickest / mean)

    def _set(self, limit: int) -> None:
        self.limit, self._epoch = limit, self._epoch + 1
        self._round, self._full = [], self.in_flight >= limit
        self._wake.set()


async def paced_pages(fetch: Callable[[int], Awaitable[Page[Any]]], pacing: Pacing,
                      first: int = 1) -> AsyncIterator[Page[Any]]:
    """Every page from ``first`` on, in order, as many in flight as ``pacing`` allows, so the
    server works while the caller writes.

    The first page says how many there are; the rest are asked for by number, a few more queued
    than may be in flight so a slot never waits for the caller. Pages past the announced count are
    not asked for (v0.0.13 answers them with 404).
    """
    page = await pacing.fetch(partial(fetch, first))
    yield page
    if not page.next or not page.items:
        return
    last, ahead = page.page_count, pacing.ceiling + 2
    pending: dict[int, asyncio.Future[Page[Any]]] = {}
    number = first + 1
    try:
        while number <= last:
            for queued in range(number, min(last, number + ahead - 1) + 1):
                if queued not in pending:
                    pending[queued] = asyncio.ensure_future(pacing.fetch(partial(fetch, queued)))
            page = await pending.pop(number)
            yield page
            if not page.items:
                return
            number += 1
    finally:
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)
