"""The Import screen at 100x30 and 80x24: the preview with a focused option (its label and its
[x]/[ ] state in text), and the results of a run. Review the SVGs after --snapshot-update."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, Select, Static

from tests.ui.test_import_screen import CSV_TEXT, open_import

SIZES = [(100, 30), (80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_import_preview_with_a_focused_option(snap_compare, make_app, settle, tmp_path, size):
    path = tmp_path / "cohort.csv"
    path.write_text(CSV_TEXT)

    async def run_before(pilot):
        screen = await open_import(pilot, settle, path)
        screen.query_one("#import-file", Input).value = "cohort.csv"  # no tmp path on screen
        screen.query_one("#import-invite", Checkbox).value = True
        screen.query_one("#import-email", Checkbox).focus()
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_import_results(snap_compare, make_app, settle, tmp_path, size):
    path = tmp_path / "cohort.csv"
    path.write_text(CSV_TEXT)

    async def run_before(pilot):
        screen = await open_import(pilot, settle, path)
        screen.concurrency = 1  # patient ids in file order, the same on every run
        screen.query_one("#import-study", Select).value = 30001
        await pilot.pause()
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("ctrl+j")
        await settle(pilot)
        screen.query_one("#import-file", Input).value = "cohort.csv"
        screen.query_one("#import-report", Static).update("Report: cohort-report.csv (only you can read it) · "
                                                          "y copies the path")
        screen.query_one("#import-progress-text").update(" 6/6 · 3 failed or invalid")  # the rate depends on time
        await pilot.pause()

    assert snap_compare(make_app(frozen=True), terminal_size=size, run_before=run_before)
