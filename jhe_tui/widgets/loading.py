"""A loading indicator that appears only when a load is slow.

Most pages come back in tens of milliseconds; flashing a spinner for each one makes the
table flicker and costs a redraw. Over a slow link the indicator still shows, so the
screen never looks frozen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.widget import Widget

DELAY = 0.3


@contextmanager
def loading_after(widget: Widget, delay: float = DELAY) -> Iterator[None]:
    """A loading widget counts as disabled and can drop the focus; give it back afterwards,
    so the keys still act on the rows once the slow page has arrived."""
    had_focus = False

    def show() -> None:
        nonlocal had_focus
        had_focus = widget.has_focus
        widget.loading = True

    timer = widget.set_timer(delay, show)
    try:
        yield
    finally:
        timer.stop()
        widget.loading = False
        if had_focus and widget.screen.focused is None:
            widget.focus()
