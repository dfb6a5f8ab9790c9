"""When to try a request again, and how long to wait first.

In the client this is the only place that decides a request is sent again; the transport never
does (a connection that closes before the answer is an error like any other). A read (GET) can be
repeated safely, so network failures and the "come back later" statuses 429/502/503/504 are
retried with exponential backoff and jitter. A write is never repeated on guesswork: a lost
answer to a POST may mean the patient was created, so the caller must first look on the server
(the import job does). The one exception is 429 with ``Retry-After``, where the server says it did
not process the request. A read that acts (``replayable=False``: v0.0.7's invitation GET, which
issues and may e-mail a link) is treated as a write.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


@dataclass
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    # A server asking for a longer pause than this gets a clear error instead of a frozen screen.
    max_delay: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def backoff(self, attempt: int) -> float:
        """A random wait between half and all of an exponential ceiling, so parallel workers spread out."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def step_delay(self, attempt: int, retry_after: float | None) -> float:
        """Before trying a job's step again (the import's): the server's ``Retry-After`` plus a
        little jitter, so parallel rows do not all come back at once, or the backoff where it gave
        none or more than ``max_delay`` (a long job waits rather than gives up)."""
        if retry_after is None or retry_after > self.max_delay:
            return self.backoff(attempt)
        return retry_after + random.uniform(0, self.base_delay / 2)

    def after_status(self, method: str, status: int, retry_after: str | None, attempt: int, *,
                     replayable: bool | None = None) -> float | None:
        """Delay before retrying a response with this status, or None to give up."""
        if attempt >= self.max_retries or status not in RETRY_STATUSES:
            return None
        wait = parse_retry_after(retry_after)
        if not _replayable(method, replayable) and not (status == 429 and wait is not None):
            return None
        if wait is None:
            return self.backoff(attempt)
        return wait if wait <= self.max_delay else None

    def after_network_error(self, method: str, attempt: int, *, replayable: bool | None = None) -> float | None:
        """Delay before retrying after a transport failure, or None to give up."""
        if attempt >= self.max_retries or not _replayable(method, replayable):
            return None
        return self.backoff(attempt)


def _replayable(method: str, replayable: bool | None) -> bool:
    return method.upper() in IDEMPOTENT_METHODS if replayable is None else replayable
