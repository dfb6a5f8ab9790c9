"""The Observations screen at a desk (issue 15): the page box, column widths and order, a
backwards date range, the patient picker, the data source, export of ticked rows and the chart of
the row under the cursor."""

from __future__ import annotations

from textual.widgets import Input, Static

from jhe_tui.screens.observations import ObservationsScreen

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
