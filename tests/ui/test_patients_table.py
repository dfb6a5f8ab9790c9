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
