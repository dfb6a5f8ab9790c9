"""When to try a request again, and how long to wait first.

A read (GET) can be repeated safely, so network failures and the "come back later" statuses
429/502/503/504 are retried with exponential backoff and jitter. A write is never repeated on
guesswork: a lost answer to a POST may mean the patient was created. The one exception is 429 with
``Retry-After``, where the server says it did not process the request.
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

    def after_status(self, method: str, status: int, retry_after: str | None, attempt: int) -> float | None:
        """Delay before retrying a response with this status, or None to give up."""
        if attempt >= self.max_retries or status not in RETRY_STATUSES:
            return None
        wait = parse_retry_after(retry_after)
        if method.upper() not in IDEMPOTENT_METHODS and not (status == 429 and wait is not None):
            return None
        if wait is None:
            return self.backoff(attempt)
        return wait if wait <= self.max_delay else None

    def after_network_error(self, method: str, attempt: int) -> float | None:
        """Delay before retrying after a transport failure, or None to give up."""
        if attempt >= self.max_retries or method.upper() not in IDEMPOTENT_METHODS:
            return None
        return self.backoff(attempt)
