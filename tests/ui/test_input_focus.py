"""Issue 15.21: the input that has the focus shows it clearly (it was background 235 on 234), and
not by colour alone."""

from __future__ import annotations

from textual.widgets import Input

from jhe_tui.screens.import_screen import ImportScreen


async def test_the_focused_input_stands_out_from_the_others(make_app, settle):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        await pilot.press("f")
        await settle(pilot)
        focused = app.focused
        assert isinstance(focused, Input)
        background = focused.styles.background
        assert focused.styles.text_style.bold
        await pilot.press("tab")
        await settle(pilot)
        assert not focused.has_focus and not focused.styles.text_style.bold
        assert focused.styles.background != background
