"""Waiting in Pilot tests for effects that no worker or layout flag announces."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot


async def eventually(pilot: Pilot, check: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Whether `check` comes true within `seconds`: for effects that arrive by watcher callbacks,
    which no worker or layout flag announces. The caller asserts the result."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return True
        await pilot.pause(0.02)
    return check()
