"""The patient table: server pages, jump, page size, multi-select, opening, failure and retry."""

from __future__ import annotations

import httpx
from textual.widgets import Input

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.widgets.error_panel import ErrorPanel
from tests.ui.waiting import eventually

SIZE = (100, 30)


def first_ids(screen, n=3):
    table = screen.table.data_table
    return [int(str(table.get_row_at(i)[1])) for i in range(min(n, table.row_count))]


async def test_pages_next_previous_jump_and_size(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        org = app.organization.id
        total = (await client.patients(organization_id=org)).count
        assert screen.table.count == total and total > 20
        page1 = first_ids(screen)
        await pilot.press("n")
        await settle(pilot)
        assert screen.table.page == 2
        expected = [p.id for p in (await client.patients(organization_id=org, page=2)).items[:3]]
        assert first_ids(screen) == expected
        await pilot.press("p")
        await settle(pilot)
        assert first_ids(screen) == page1
        # Jump: g focuses the page box; Enter goes there.
        await pilot.press("g")
        assert isinstance(app.focused, Input) and app.focused.id == "page-input"
        app.focused.value = "2"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.table.page == 2 and first_ids(screen) == expected
        # Out of range: refused, stays on the page.
        await pilot.press("g")
        app.focused.value = "99"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.table.page == 2
        await pilot.press("escape")
        # Page size: 20 -> 100 shows every patient of the organization on page 1.
        await pilot.press("z")
        await settle(pilot)
        assert screen.table.page_size == 100 and screen.table.page == 1
        assert screen.table.data_table.row_count == total
        label = str(screen.query_one("#page-count").content)
        assert label == f"of 1 · {total} patients"


async def test_space_selects_and_m_selects_the_whole_page(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert await eventually(pilot, lambda: app.focused is table.data_table)
        await pilot.press("space", "space")
        assert list(table.selected) == [str(i) for i in first_ids(app.screen, 2)]
        assert str(table.data_table.get_row_at(0)[0]) == "[x]"
        await pilot.press("m")
        assert len(table.selected) == table.data_table.row_count
        assert "20 selected" in str(app.screen.query_one("#selection").content)
        # Selection survives paging...
        await pilot.press("n")
        await settle(pilot)
        assert len(table.selected) == 20
        await pilot.press("m")
        assert len(table.selected) == table.count
        await pilot.press("m")  # all on this page were selected: unselect them
        assert len(table.selected) == 20


async def test_enter_opens_the_patient(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientDetailScreen)
        assert app.screen.patient_id == first_ids(app.screen.app.screen_stack[-2], 2)[1]
        await pilot.press("escape")
        assert not isinstance(app.screen, PatientDetailScreen)


class FailingPatients(httpx.AsyncBaseTransport):
    """The patient list breaks (an HTML 500 page, as old JHE sends) until `healed`."""

    def __init__(self, inner):
        self.inner = inner
        self.healed = False

    async def handle_async_request(self, request):
        if request.url.path == "/api/v1/patients" and not self.healed:
            return httpx.Response(500, html="<html><body><h1>IntegrityError</h1>Traceback...</body></html>")
        return await self.inner.handle_async_request(request)


async def test_failed_load_says_why_and_r_retries(backend, settle):
    transport = FailingPatients(ASGITransport(app=backend.app))
    app = JheApp(JheClient(backend.site_url, backend.token_for("manager"), transport=transport), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ErrorPanel)
        text = str(panel.content)
        assert panel.has_class("shown") and not app.screen.table.display
        assert "The server failed (HTTP 500) while listing patients" in text and "Press r" in text
        assert "<" not in text and "Traceback" not in text
        transport.healed = True
        await pilot.press("r")
        await settle(pilot)
        assert not panel.has_class("shown") and app.screen.table.display
        assert app.screen.table.count > 0


def column(screen, index):
    table = screen.table.data_table
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def test_f_filters_the_loaded_page_by_name_email_or_external_id(make_app, settle):
    """Issue 15.16: type-to-filter the page on show."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        page = [row.item for row in screen.table.shown_rows]
        target = next(p for p in page if p.external_ids)
        await pilot.press("f")
        box = app.focused
        assert isinstance(box, Input) and box.id == "filter"
        await pilot.press(*target.name_family.lower()[:4])
        expected = {p.id for p in page if target.name_family.lower()[:4] in p.display_name.lower()}
        assert {int(i) for i in column(screen, 1)} == expected
        assert f"of {len(page)}" in str(screen.query_one("#view").content)
        box.value = target.external_ids
        await pilot.pause()
        assert column(screen, 1) == [str(target.id)]
        box.value = target.telecom_email.split("@")[0].upper()
        await pilot.pause()
        assert str(target.id) in column(screen, 1)
        box.value = "no such patient here"
        await pilot.pause()
        assert column(screen, 1) == []
        assert "No patient on this page matches" in str(screen.query_one("#view").content)
        box.value = target.external_ids
        await pilot.press("enter")  # keeps the filter, back to the rows
        assert app.focused is screen.table.data_table and screen.table.cursor_item.id == target.id
        await pilot.press("f", "escape")  # Escape in the box clears it
        assert len(column(screen, 1)) == len(page) and app.focused is screen.table.data_table


async def test_sort_keys_home_end_and_untick_all(make_app, settle):
    """Issue 15.16: < and > choose the sort column (again reverses), Home/End, u unticks all."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        server = column(screen, 1)
        await pilot.press(">")  # ID, ascending: the server's own order
        assert column(screen, 1) == sorted(server, key=int)
        await pilot.press(">")  # again: reversed
        assert column(screen, 1) == sorted(server, key=int, reverse=True)
        await pilot.press(">", ">", ">")  # External ID up, down, then Family name up
        families = column(screen, 3)
        assert families == sorted(families, key=str.casefold)
        view = str(screen.query_one("#view").content).lower()
        assert "family name" in view and "this page" in view and "server" in view
        assert "▲" in screen.table.data_table.labels[3]
        await pilot.press("<")  # back to External ID, descending
        ids = [i for i in column(screen, 2) if i]
        assert ids == sorted(ids, key=str.casefold, reverse=True)
        # The sort holds on the next page.
        await pilot.press("n")
        await settle(pilot)
        ids = [i for i in column(screen, 2) if i]
        assert ids == sorted(ids, key=str.casefold, reverse=True)
        table = screen.table.data_table
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("space", "space")
        assert table.cursor_row == 2  # space ticks and moves down
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("space")
        assert len(screen.table.selected) == 3
        await pilot.press("u")
        assert not screen.table.selected
        assert all(str(table.get_row_at(i)[0]) == "[ ]" for i in range(table.row_count))
        assert "selected" not in str(screen.query_one("#selection").content)


async def test_an_empty_organization_says_what_to_do(make_app, settle):
    """Issue 15.21: an empty list says how to fill it."""
    from textual.widgets import Select

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        riverside = next(o for o in app.session.organizations if o.name == "Riverside University")
        app.screen.query_one("#organization", Select).value = riverside.id
        await settle(pilot)
        empty = app.screen.query_one("#empty")
        assert empty.has_class("shown")
        assert str(empty.content) == "No patients in Riverside University. a adds one."
