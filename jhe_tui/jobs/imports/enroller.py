"""Enrolments in batches: one request per ``ENROL_BATCH`` patients instead of one per row."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from jhe_tui.api import JheClient

ENROL_BATCH = 50  # patients per enrolment request
ENROL_LINGER = 0.1  # seconds a batch waits for more patients before it is sent


class Enroller:
    """Collects the patients ready for enrolment and enrols them in one request per batch
    (``ENROL_BATCH`` at most, sent ``ENROL_LINGER`` seconds after the first one arrived, or as
    soon as the batch is full or holds every row not finished). A failed batch fails each waiting
    row's call, and each row then enrols its patient alone: the per-patient path knows how to
    check and retry."""

    def __init__(self, client: JheClient, study_id: int, *, rows_left: Callable[[], int],
                 working: Callable[[], AbstractAsyncContextManager[None]]) -> None:
        self.client = client
        self.study_id = study_id
        self.rows_left = rows_left  # rows not finished yet: when all of them wait here, none will join
        self.working = working  # a slot for network work, as each row's steps take one
        self._queue: list[tuple[int, asyncio.Future[None]]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def enroll(self, patient_id: int) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((patient_id, done))
        self.recount()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send_batches())
        await done

    def recount(self) -> None:
        """Send the batch now if no other row can still join it (called when rows drop out)."""
        if self._queue and len(self._queue) >= min(ENROL_BATCH, self.rows_left()):
            self._full.set()

    async def _send_batches(self) -> None:
        while self._queue:
            try:
                await asyncio.wait_for(self._full.wait(), ENROL_LINGER)
            except TimeoutError:
                pass
            self._full.clear()
            batch, self._queue = self._queue[:ENROL_BATCH], self._queue[ENROL_BATCH:]
            waiting = [(pid, done) for pid, done in batch if not done.done()]
            if not waiting:
                continue
            try:
                async with self.working():
                    await self.client.enroll_patients_unchecked(self.study_id, [pid for pid, _ in waiting])
            except Exception as exc:  # each waiting row deals with it (JheError: alone; Stopped: stops)
                for _, done in waiting:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in waiting:
                    if not done.done():
                        done.set_result(None)

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
