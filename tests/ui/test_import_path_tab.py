"""Tab on the F6 file box accepts the .csv name it suggests (issue 15 item 12); with nothing
suggested, Tab moves the focus as everywhere."""

from __future__ import annotations

from textual.widgets import Input

from tests.ui.test_import_screen import SIZE


async def test_tab_completes_the_csv_name_then_moves_on(make_app, settle, tmp_path):
    (tmp_path / "cohort-march.csv").write_text("email,last_name,first_name,dob\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        box = app.screen.query_one("#import-file", Input)
        box.focus()
        await settle(pilot)
        for key in f"{tmp_path}/coh":
            await pilot.press(key if key != "/" else "slash")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert box.value == f"{tmp_path}/cohort-march.csv" and app.focused is box
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused is not box
