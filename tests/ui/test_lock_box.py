"""The lock screen's box fits an 80-column terminal whatever the terminal's width, so what it says
wraps the same way at 80 columns over SSH as on a wide desktop terminal."""

from __future__ import annotations

import pytest

from jhe_tui.screens.lock import LockScreen


@pytest.mark.parametrize("size", [(100, 30), (120, 35), (80, 24)])
async def test_lock_box_is_at_most_80_columns(make_app, settle, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        box = app.screen.query_one("#box")
        assert box.outer_size.width <= 80
        assert box.region.x >= 0 and box.region.right <= size[0]
