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


def mid_run(backend, settle, tmp_path, key: str):
    """The console mid-import (one row done, two held at the server), then `key` pressed: the
    progress line's rate and ETA come from a clock that ticks 10 s per reading."""
    from tests.ui.test_import_run import holding_app, new_cohort
    from tests.ui.waiting import eventually

    app, transport = holding_app(backend)

    async def run_before(pilot):
        screen = await open_import(pilot, settle, new_cohort(tmp_path))
        ticks = iter(range(0, 100_000, 10))
        screen.clock = lambda: float(next(ticks))
        screen.concurrency = 2
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("ctrl+j")
        assert await eventually(pilot, lambda: screen._done == 1 and transport.creates == 3)
        screen.query_one("#import-file", Input).value = "new.csv"
        await pilot.press(key)
        await settle(pilot)

    return app, run_before


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_import_stop_question_mid_run(snap_compare, backend, settle, tmp_path, size):
    app, run_before = mid_run(backend, settle, tmp_path, "escape")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_quit_question_mid_run(snap_compare, backend, settle, tmp_path, size):
    app, run_before = mid_run(backend, settle, tmp_path, "ctrl+q")
    assert snap_compare(app, terminal_size=size, run_before=run_before)
