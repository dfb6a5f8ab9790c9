"""The Import screen accounts for every line of the file: an unbalanced quote in row 10 of 500 is
one invalid row in the preview and the dry run, and the other 499 patients are all there; a file
name holding terminal controls is shown with marks."""

from __future__ import annotations

from textual.widgets import Static

from jhe_tui.widgets.row_table import RowTable
from tests.jobs.test_import_strict_csv import cohort_with_unbalanced_quote
from tests.ui.test_import_screen import cell_texts, open_import

SIZE = (100, 30)


async def test_an_unbalanced_quote_is_one_invalid_row_of_500_in_preview_and_dry_run(make_app, settle, tmp_path):
    path = cohort_with_unbalanced_quote(tmp_path)
    async with make_app().run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, path)
        rows = cell_texts(screen.query_one("#import-table", RowTable))
        assert len(rows) == 500
        assert [r[0] for r in rows] == [str(n) for n in range(2, 502)]
        [bad] = [r for r in rows if r[1] != "ok"]
        assert bad[0] == "11" and "quote" in bad[1] and bad[2] == "p10@example.org"
        assert "500 rows · 499 ready · 1 invalid" in str(screen.query_one("#import-summary", Static).render())

        await pilot.press("k")
        await settle(pilot)
        results = cell_texts(screen.query_one("#import-table", RowTable))
        assert len(results) == 500
        assert [r[0] for r in results if r[1] == "invalid"] == ["11"]
        assert sum(r[1] == "would create" for r in results) == 499


async def test_a_file_name_with_controls_is_shown_with_marks(make_app, settle, tmp_path):
    path = tmp_path / "evil\x1b]0;PWNED\x07.csv"
    path.write_text("email,last_name,first_name,dob\nok@example.org,Ok,Ok,1980-01-01\n\n")
    async with make_app().run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, path)
        summary = str(screen.query_one("#import-summary", Static).render())
        assert summary.startswith("evil␛]0;PWNED␇.csv: 1 row · 1 ready · 0 invalid · 1 blank line skipped.")
