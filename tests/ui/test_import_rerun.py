"""The Import screen after a run: a rerun says what earlier runs had done (issue 15 item 11), and
loading another file clears the old progress bar (item 14)."""

from __future__ import annotations

from textual.widgets import Input, ProgressBar, Static

from tests.ui.test_import_screen import SIZE, open_import


def summary_text(screen) -> str:
    return str(screen.query_one("#import-summary", Static).render())


async def run(pilot, settle):
    await pilot.press("R")
    await settle(pilot)
    await pilot.press("ctrl+j")  # confirm
    await settle(pilot)


async def test_a_rerun_says_what_earlier_runs_did_and_a_new_file_clears_the_bar(make_app, settle, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("email,last_name,first_name,dob\n"
                    "one.rerun@example.org,One,Ann,1980-01-01\ntwo.rerun@example.org,Two,Bo,1980-01-02\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, path)
        await run(pilot, settle)
        assert "finished: 2 created." in summary_text(screen)
        await run(pilot, settle)
        assert "finished: 2 done in an earlier run, nothing new." in summary_text(screen)
        assert screen.query_one("#import-progress-row").display
        other = tmp_path / "other.csv"
        other.write_text("email,last_name,first_name,dob\nthree.rerun@example.org,Three,Cy,1980-01-03\n")
        screen.query_one("#import-file", Input).value = str(other)
        screen.query_one("#import-file", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "other.csv: 1 row · " in summary_text(screen)
        assert not screen.query_one("#import-progress-row").display
        assert screen.query_one("#import-progress", ProgressBar).progress == 0
