"""The Import screen (F6): choose a file, preview with per-row checks, dry run, run, results."""

from __future__ import annotations

import csv
import os
import stat

from textual.widgets import Checkbox, Input, Select, Static

from jhe_tui.screens.import_screen import MAX_COLUMN_WIDTH, ImportScreen
from jhe_tui.widgets.row_table import RowTable

SIZE = (100, 30)
CSV_TEXT = (
    "email,last_name,first_name,dob,phone,Ward\n"
    "ada.import@example.org,Lovelace,Ada,1985-12-10,555-0101,B\n"
    "grace.import@example.org,Hopper,Grace,1986-12-09,,C\n"
    "bad-address,[bold]Nobody[/bold],Jo,1990-01-01,,C\n"
    "future.import@example.org,Later,Lu,2999-01-01,,A\n"
    "aisha.brown@example.org,Brown,Aisha,1980-01-01,,A\n"
    "ADA.import@example.org,Again,Ada,1985-12-10,,B\n"
)


def cohort(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(CSV_TEXT)
    return path


async def open_import(pilot, settle, path):
    await settle(pilot)
    await pilot.press("f6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    screen.query_one("#import-file", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return screen


def cell_texts(table: RowTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_preview_dry_run_and_run(make_app, settle, client, tmp_path):
    path = cohort(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, path)
        rows = cell_texts(screen.query_one("#import-table", RowTable))
        assert [r[1] for r in rows] == ["ok", "ok", "e-mail is not a valid address (name@example.org)", "date of birth is in the future",
                                         "ok", "same e-mail as row 2"]
        assert rows[2][3] == "[bold]Nobody[/bold]"  # shown as typed, never as markup
        summary = str(screen.query_one("#import-summary", Static).render())
        assert "6 rows · 3 ready · 3 invalid · ignored columns: Ward" in summary

        await pilot.press("k")
        await settle(pilot)
        rows = cell_texts(screen.query_one("#import-table", RowTable))
        assert [r[1] for r in rows] == ["would create", "would create", "invalid", "invalid", "skipped", "invalid"]
        assert await client.find_patient_by_email("ada.import@example.org") is None
        assert (tmp_path / "cohort-dry-run-report.csv").exists()

        screen.query_one("#import-study", Select).value = 30001
        screen.query_one("#import-invite", Checkbox).value = True
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("ctrl+j")  # confirm
        await settle(pilot)
        rows = cell_texts(screen.query_one("#import-table", RowTable))
        assert [r[1] for r in rows] == ["created", "created", "invalid", "invalid", "skipped", "invalid"]
        assert rows[0][4] == "yes" and rows[4][4] in ("yes", "already")
        report = tmp_path / "cohort-report.csv"
        assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
        lines = list(csv.DictReader(report.open()))
        assert lines[0]["invitation_link"] and lines[0]["outcome"] == "created"
        created = await client.find_patient_by_email("ada.import@example.org")
        assert created is not None and 20003 in created.organization_ids

        await pilot.press("y")
        assert app.clipboard == str(report)


async def test_reachable_from_the_command_palette(make_app, settle):
    from jhe_tui.screens.base import screen_actions

    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        entry = next(a for a in screen_actions(pilot.app.screen) if a.description == "Import")
        assert entry.key.lower() == "f6" and entry.enabled
        await entry.run()
        await settle(pilot)
        assert isinstance(pilot.app.screen, ImportScreen)
        keys = {a.description for a in screen_actions(pilot.app.screen)}
        assert {"File", "Check (dry run)", "Run import", "Copy report path"} <= keys


async def test_unreadable_file_is_explained(make_app, settle, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("email,last_name,first_name,dob\nz@example.org,Zoë,Z,1980-01-01\n".encode("latin-1"))
    async with make_app().run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, path)
        assert "not UTF-8" in str(screen.query_one("#import-summary", Static).render())
        assert screen.check_action("run", ()) is None
        assert screen.disabled_reason("run") == "choose a CSV file first"


async def test_viewer_may_dry_run_but_not_import(make_app, settle, tmp_path):
    async with make_app("viewer").run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        assert screen.check_action("dry_run", ()) is True
        assert screen.check_action("run", ()) is None


def test_import_preview_snapshot(snap_compare, make_app, settle, tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(CSV_TEXT)

    async def run_before(pilot):
        screen = await open_import(pilot, settle, path)
        screen.query_one("#import-file", Input).value = "cohort.csv"  # no tmp path on screen
        await pilot.pause()

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_import_results_snapshot(snap_compare, make_app, settle, tmp_path):
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
        screen.query_one("#import-progress-text").update(" 6/6 · 3 failed or invalid")
        await pilot.pause()

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


async def test_a_long_value_is_cut_to_its_column_and_the_row_under_the_cursor_is_told_in_full(make_app, settle, tmp_path):
    path = tmp_path / "long.csv"
    long_name = "Featherstonehaugh-" * 6  # 108 characters
    path.write_text(f"email,last_name,first_name,dob\nbad-address,{long_name},Jo,1990-01-01\n"
                    "ok.import@example.org,Short,Al,1980-01-01\n")
    async with make_app().run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, path)
        table = screen.query_one("#import-table", RowTable)
        assert table.get_row_at(0)[3] == long_name  # kept whole; only the paint cuts it
        assert max(table.widths) == 2 + MAX_COLUMN_WIDTH
        detail = screen.query_one("#import-detail", Static)
        assert "e-mail is not a valid address" in str(detail.content)
        table.focus()
        await pilot.press("down")
        await settle(pilot)
        assert str(detail.content) == "Row 3: ready to import"
