"""A loading indicator that appears only when a load is slow, and says so when it is very slow.

Most pages come back in tens of milliseconds; flashing a spinner for each one makes the
table flicker and costs a redraw. Over a slow link the indicator still shows, so the
screen never looks frozen; past ``SLOW`` seconds a load that can be cancelled says how long it
has waited for the server, and that Escape stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from textual.timer import Timer
from textual.widget import Widget

DELAY = 0.3
SLOW = 3.0  # seconds


@contextmanager
def loading_after(
    widget: Widget, delay: float | None = None, *, cover: bool = True, say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """``cover``: put the loading indicator over ``widget`` after ``delay`` (off where the old
    content should stay readable while the new loads). ``say``: called with a short line (or ""
    at the end) for a status label: "loading…" after ``delay``, then, past ``SLOW``, the seconds
    waited, every second.

    While loading, Textual treats the widget as disabled and may move the focus away from it
    at the next refresh; a widget that had the focus gets it back, so the keys act on it again."""
    had_focus = False
    waited = SLOW
    ticking: Timer | None = None
    covered = False

    def show() -> None:
        nonlocal had_focus, covered
        if say is not None:
            say("loading…")
        if cover:
            had_focus = widget.app.focused is widget
            covered = True
            widget.loading = True

    def tick() -> None:
        nonlocal waited
        assert say is not None
        say(f"waiting {waited:.0f} s for the server · Esc stops")
        waited += 1

    def start_ticking() -> None:
        nonlocal ticking
        tick()
        ticking = widget.set_interval(1.0, tick)

    timers = [widget.set_timer(DELAY if delay is None else delay, show)]
    if say is not None:
        timers.append(widget.set_timer(SLOW, start_ticking))
    try:
        yield
    finally:
        for timer in [*timers, ticking]:
            if timer is not None:
                timer.stop()
        if say is not None:
            say("")
        widget.loading = False
        if covered and had_focus and widget.is_attached:
            widget.focus()
