"""The Observations screen at a desk (issue 15): the page box, column widths and order, a
backwards date range, the patient picker, the data source, export of ticked rows and the chart of
the row under the cursor."""

from __future__ import annotations

import csv
from datetime import timedelta

from textual.widgets import Input, Select, Static

from jhe_tui.dialogs.chart import ChartModal
from jhe_tui.dialogs.export import ExportModal
from jhe_tui.dialogs.find_patient import FindPatientModal
from jhe_tui.jobs.observations import source_of
from jhe_tui.widgets.clock import now
from tests.ui.test_data_screens import open_observations, set_input

SIZE = (100, 30)


async def test_a_rejected_page_number_does_not_stay_in_the_page_box(make_app, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        pages = screen.table.pages
        await pilot.press("g")
        box = screen.table.query_one("#page-input", Input)
        assert box.has_focus
        box.value = str(pages + 97)
        await pilot.press("enter")
        await settle(pilot)
        assert f"There are {pages:,} pages" in toasts[-1]
        assert box.value == "1" and screen.table.page == 1
        # The same after a page was chosen: the box goes back to that page, not to 1.
        assert box.has_focus  # to type another number
        await pilot.press("escape", "n")
        await settle(pilot)
        await pilot.press("g")
        box.value = "0"
        await pilot.press("enter")
        await settle(pilot)
        assert box.value == "2" and screen.table.page == 2
        assert "type a number from 1" in toasts[-1]


async def test_a_backwards_date_range_is_refused_and_nothing_is_listed(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        since = now().date() - timedelta(days=6)
        await set_input(pilot, settle, screen, "#since", since.isoformat())
        listed = screen.table.count
        assert listed > 0
        await set_input(pilot, settle, screen, "#until", (since - timedelta(days=1)).isoformat())
        notice = str(screen.query_one("#notice", Static).content)
        assert "starts after it ends" in notice
        assert screen.table.data_table.row_count == 0 and screen.table.count == 0
        assert not screen.table.shown_rows
        # Export and chart have nothing to act on until the range is fixed.
        assert not screen.check_action("export", ()) and not screen.check_action("chart", ())
        assert "starts after it ends" in (screen.disabled_reason("export") or "")
        await set_input(pilot, settle, screen, "#until", "")
        assert screen.table.count == listed and "starts after" not in str(screen.query_one("#notice", Static).content)


def column_widths(screen) -> dict[str, int]:
    table = screen.table.data_table
    return dict(zip(table.labels, table.widths, strict=True))


def visible_through(screen, label: str) -> bool:
    """The column named ``label`` ends within the table's width (no horizontal scroll needed)."""
    table = screen.table.data_table
    right = 0
    for title, width in zip(table.labels, table.widths, strict=True):
        right += width
        if title == label:
            return right <= table.scrollable_content_region.width
    raise AssertionError(f"no column {label}")


async def test_columns_put_dates_after_the_patient_and_fit_each_page(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_observations(pilot, settle)
        labels = list(screen.table.data_table.labels)
        assert labels[1:4] == ["Patient", "Effective (UTC)", "Received (UTC)"]
        for _ in range(3):  # 20 -> 100 -> 500 -> 1000 rows a page
            await pilot.press("z")
            await settle(pilot)
        assert screen.table.page_size == 1000 and screen.table.data_table.row_count == 1000
        assert visible_through(screen, "Received (UTC)")
        wide = column_widths(screen)
        await set_input(pilot, settle, screen, "#patient", "40001")
        narrow = column_widths(screen)
        # Each column is as wide as this page needs, not as the widest page seen so far.
        table = screen.table.data_table
        for index, (title, width) in enumerate(zip(table.labels, table.widths, strict=True)):
            cells = [table.get_row_at(i)[index] for i in range(table.row_count)]
            assert width == 2 + max(len(c) for c in [title, *cells]), title
        assert narrow["Value"] <= wide["Value"] and narrow["Patient"] < wide["Patient"]


async def test_the_dates_are_on_screen_at_80x24(make_app, settle):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_observations(pilot, settle)
        assert visible_through(screen, "Received (UTC)")


async def test_the_patient_filter_takes_a_name_through_the_picker(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        patient = await client.patient(40001)
        await pilot.press("w")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FindPatientModal)
        await pilot.press(*patient.name_given.lower(), "enter")  # part of the name, typed
        await settle(pilot)
        assert 40001 in [p.id for p in picker._found]
        await pilot.press(*["down"] * [p.id for p in picker._found].index(40001), "enter")
        await settle(pilot)
        assert app.screen is screen and screen.query_.patient_id == 40001
        assert screen.table.count > 0 and all(cell.endswith("(40001)") for cell in column(screen, "Patient"))
        # A name typed in the box itself opens the picker with it; Escape leaves the filter as it was.
        await set_input(pilot, settle, screen, "#patient", patient.name_family)
        assert isinstance(app.screen, FindPatientModal)
        assert app.screen.query_one("#find-text", Input).value == patient.name_family
        await settle(pilot)
        assert 40001 in [p.id for p in app.screen._found]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


def column(screen, label: str) -> list[str]:
    table = screen.table.data_table
    index = table.labels.index(label)
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def test_data_source_column_and_filter(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        shown = column(screen, "Source")
        assert shown == [source_of(row.item.payload) for row in screen.table.shown_rows] and all(shown)
        select = screen.query_one("#source", Select)
        offered = [value for _, value in select._options if value is not Select.NULL]
        assert set(shown) <= set(offered)
        wanted = sorted(offered, key=shown.count)[0]  # one not on most rows of the first page
        await pilot.press("h")
        await settle(pilot)
        assert select.expanded
        await pilot.press("escape")
        select.value = wanted
        await settle(pilot)
        assert screen.query_.source == wanted and screen.table.data_table.row_count > 0
        assert set(column(screen, "Source")) == {wanted}
        assert "No JHE server filters by data source" in str(screen.query_one("#notice", Static).content)


async def test_x_exports_only_the_ticked_rows(make_app, settle, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        await pilot.press("space", "space", "down", "space")  # rows 1, 2 and 4
        await settle(pilot)
        ticked = sorted(screen.table.selected)
        assert len(ticked) == 3
        await pilot.press("x")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExportModal)
        assert "Only the 3 ticked observations" in str(modal.query_one(".dialog-line", Static).content)
        out = tmp_path / "ticked.csv"
        modal.query_one("#path", Input).value = str(out)
        await pilot.press("ctrl+j")
        await settle(pilot)
        with out.open(newline="") as f:
            assert sorted(r["id"] for r in csv.DictReader(f)) == ticked
        assert "Exported 3 observations" in str(screen.query_one("#notice", Static).content)


async def test_c_charts_the_type_and_patient_of_the_row_under_the_cursor(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        await pilot.press("down", "down")
        item = screen.table.cursor_item
        assert screen.query_.patient_id is None and screen.query_.code is None
        await pilot.press("c")
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartModal)
        code = f"{item.coding_system}|{item.coding_code}"
        values = [o async for o in client.iter_fhir_observations(
            organization_id=app.organization.id, patient_id=item.subject_patient_id, code=code)]
        assert len(chart._series[0].points) == len([o for o in values if o.value and o.value.values])
        assert f"({item.subject_patient_id})" in chart._title
        await pilot.press("escape")
        await settle(pilot)
        # The screen's own filters are left as they were.
        assert app.screen is screen and screen.query_.patient_id is None and screen.query_.code is None


async def test_paged_table_keys_of_the_key_map(make_app, settle):
    """space ticks and moves down, m ticks the page, u unticks all (every page), Home/End go to
    the first and last row."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        table = screen.table
        await pilot.press("space", "space")
        assert len(table.selected) == 2 and table.data_table.cursor_row == 2
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("m")
        assert len(table.selected) == 2 + table.data_table.row_count
        await pilot.press("end")
        assert table.data_table.cursor_row == table.data_table.row_count - 1
        await pilot.press("home")
        assert table.data_table.cursor_row == 0
        await pilot.press("u")
        assert not table.selected
        assert {str(table.data_table.get_row_at(i)[0]) for i in range(table.data_table.row_count)} == {"[ ]"}
        assert "selected" not in str(table.query_one("#selection").content)
