"""The Observations screen at a desk (issue 15): the page box, column widths and order, a
backwards date range, the patient picker, the data source, export of ticked rows and the chart of
the row under the cursor."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Static

from jhe_tui.screens.observations import ObservationsScreen
from jhe_tui.widgets.clock import now

SIZE = (100, 30)


async def open_observations(pilot, settle) -> ObservationsScreen:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ObservationsScreen)
    return screen


async def set_input(pilot, settle, screen, selector: str, value: str) -> None:
    box = screen.query_one(selector, Input)
    box.focus()
    box.value = value
    await pilot.press("enter")
    await settle(pilot)


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
    return {str(c.label): c.get_render_width(table) for c in table.ordered_columns}


def visible_through(screen, label: str) -> bool:
    """The column named ``label`` ends within the table's width (no horizontal scroll needed)."""
    table = screen.table.data_table
    right = 0
    for column in table.ordered_columns:
        right += column.get_render_width(table)
        if str(column.label) == label:
            return right <= table.scrollable_content_region.width
    raise AssertionError(f"no column {label}")


async def test_columns_put_dates_after_the_patient_and_fit_each_page(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_observations(pilot, settle)
        labels = [str(c.label) for c in screen.table.data_table.ordered_columns]
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
        for column in table.ordered_columns[1:]:
            cells = [table.get_row_at(i)[table.get_column_index(column.key)] for i in range(table.row_count)]
            needed = max(len(str(c)) for c in [column.label, *cells])
            assert column.content_width == needed, column.label
        assert narrow["Value"] <= wide["Value"] and narrow["Patient"] < wide["Patient"]


async def test_the_dates_are_on_screen_at_80x24(make_app, settle):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_observations(pilot, settle)
        assert visible_through(screen, "Received (UTC)")
