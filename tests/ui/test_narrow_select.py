"""A chooser squeezed narrow at 80 columns still opens: the Import screen's study chooser, a few
cells wide beside the organization and the three options, opened a list of width 0 and the
console died (a ValueError deep in the text wrapping)."""

from __future__ import annotations

from textual.widgets import Select

from tests.ui.test_import_screen import open_import, cohort


async def test_the_import_screens_study_chooser_opens_at_80_columns(make_app, settle, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        study = screen.query_one("#import-study", Select)
        study.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert study.expanded
        await pilot.press("escape")
        await settle(pilot)
    assert app.return_code in (None, 0)


async def test_the_import_screens_choosers_show_what_is_chosen_at_80_columns(make_app, settle, tmp_path):
    """The three options have a row of their own, so the choosers are wide enough to read."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        for chooser in screen.query(Select):
            assert chooser.size.width >= 20, chooser.id
        assert "Cardiometabolic" in str(screen.query_one("#organization #label").render())
