"""Who hears of each exchange with the server: the job pacing its requests (``jhe_tui.jobs.pacing``).

A bulk job adapts how many requests it keeps in flight to how the server copes, which it learns
from every exchange, retries included: a timed-out or ``503`` attempt that the session then retried
successfully is still a sign to slow down. The watcher is set in a context variable around the
job's own calls, so the console's other requests, made meanwhile in other tasks, are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended: the status, or no answer (``timed_out``, or the connection failed)."""

    status: int | None
    timed_out: bool = False

    @property
    def overloaded(self) -> bool:
        """The server says, or shows, that it has more than it can serve now."""
        return self.timed_out or self.status in (429, 502, 503, 504)


# Called as an attempt is sent; returns what to call with its outcome.
Watcher = Callable[[str], Callable[[Outcome], None]]

_watcher: ContextVar[Watcher | None] = ContextVar("jhe_tui_exchange_watcher", default=None)


@contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Report to ``watcher`` every attempt made in this context (and in tasks started from it)."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


def sending(method: str) -> Callable[[Outcome], None] | None:
    """The session's side: called as an attempt goes out; None when nobody is watching."""
    watcher = _watcher.get()
    return watcher(method) if watcher is not None else None
