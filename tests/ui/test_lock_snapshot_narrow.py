"""The lock screen at 80x24: the whole box fits (its width follows a narrow terminal) and the footer
offers only the lock's own key."""

from __future__ import annotations


def test_lock_screen_at_80x24(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=(80, 24), run_before=run_before)
