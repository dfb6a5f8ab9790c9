"""Paging against a slow server: the next page is fetched while the user reads the current one (one
page ahead at most, cancelled when the user goes elsewhere), and a page that keeps the user
waiting says so and stops on Escape. Requests are counted where the server would see them; the
slow server is a transport that holds chosen requests until the test lets them go."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.widgets import loading
from tests.ui.waiting import eventually

SIZE = (100, 30)


class HeldPages(httpx.AsyncBaseTransport):
    """The demo backend, counting patient-list requests by (page, page size); the pages in
    ``held`` wait for ``release``. ``cancelled``: held requests the client gave up on."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.asked: Counter[tuple[int, int]] = Counter()
        self.answered: Counter[tuple[int, int]] = Counter()
        self.cancelled: Counter[tuple[int, int]] = Counter()
        self.waiting: Counter[tuple[int, int]] = Counter()
        self.held: set[tuple[int, int]] = set()
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/v1/patients":
            return await self.inner.handle_async_request(request)
        query = request.url.params
        page = (int(query.get("page", "1")), int(query.get("page_size", "20")))
        self.asked[page] += 1
        if page in self.held:
            self.waiting[page] += 1
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled[page] += 1
                raise
            finally:
                self.waiting[page] -= 1
        response = await self.inner.handle_async_request(request)
        self.answered[page] += 1
        return response


def console(backend, held: set[tuple[int, int]] = frozenset()) -> tuple[HeldPages, JheApp]:
    transport = HeldPages(ASGITransport(app=backend.app))
    transport.held = set(held)
    client = JheClient(backend.site_url, backend.token_for("manager"), transport=transport)
    return transport, JheApp(client, demo=True)


def ids_on_show(screen) -> list[int]:
    table = screen.table.data_table
    return [int(str(table.get_row_at(i)[1])) for i in range(table.row_count)]


async def test_the_next_page_is_shown_from_the_page_fetched_ahead(backend, client, settle):
    server, app = console(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.table.pages >= 2
        assert server.answered == {(1, 20): 1, (2, 20): 1}  # page 1, and page 2 ahead of the user
        await pilot.press("n")
        await settle(pilot)
        expected = await client.patients(organization_id=app.organization.id, page=2)
        assert screen.table.page == 2 and ids_on_show(screen) == [p.id for p in expected.items]
        assert server.asked[(2, 20)] == 1  # shown from the page fetched ahead: not asked again
        # ...and the page after it is fetched ahead in turn, when there is one.
        assert server.asked[(3, 20)] == (1 if screen.table.pages >= 3 else 0)
        assert sum(server.asked.values()) == 2 + (1 if screen.table.pages >= 3 else 0)


async def test_moving_elsewhere_cancels_the_page_fetched_ahead(backend, settle):
    server, app = console(backend, held={(2, 20)})
    async with app.run_test(size=SIZE) as pilot:
        assert await eventually(pilot, lambda: server.waiting[(2, 20)] == 1)  # page 2, on its way ahead
        screen = app.screen
        await pilot.press("z")  # another page size: page 2 of 20 will not be needed
        assert await eventually(pilot, lambda: server.cancelled[(2, 20)] == 1)
        server.release.set()
        await settle(pilot)
        assert screen.table.page_size == 100
        assert server.asked[(2, 20)] == 1 and server.answered[(2, 20)] == 0
        assert server.asked[(1, 100)] == 1


async def test_the_page_asked_for_while_it_is_fetched_ahead_is_not_asked_twice(backend, client, settle):
    server, app = console(backend, held={(2, 20)})
    async with app.run_test(size=SIZE) as pilot:
        assert await eventually(pilot, lambda: server.waiting[(2, 20)] == 1)
        screen = app.screen
        await pilot.press("n")  # the page already on its way: wait for it rather than ask again
        server.release.set()
        await settle(pilot)
        expected = await client.patients(organization_id=app.organization.id, page=2)
        assert screen.table.page == 2 and ids_on_show(screen) == [p.id for p in expected.items]
        assert server.asked[(2, 20)] == 1


async def test_a_slow_page_says_it_waits_and_escape_stops_it(backend, settle, monkeypatch, toasts):
    monkeypatch.setattr(loading, "SLOW", 0.01)
    server, app = console(backend, held={(2, 20)})
    async with app.run_test(size=SIZE) as pilot:
        assert await eventually(pilot, lambda: server.waiting[(2, 20)] == 1)
        screen = app.screen
        page_one = ids_on_show(screen)
        await pilot.press("n")
        wait = screen.query_one("#page-count")
        assert await eventually(pilot, lambda: "for the server" in str(wait.content))
        assert "Esc" in str(wait.content)
        assert ids_on_show(screen) == page_one  # the rows on show stay readable meanwhile
        await pilot.press("escape")
        assert await eventually(pilot, lambda: server.cancelled[(2, 20)] == 1)
        await settle(pilot)
        assert "for the server" not in str(wait.content) and "patients" in str(wait.content)
        assert screen.table.page == 1 and ids_on_show(screen) == page_one
        assert str(screen.query_one("#page-input").value) == "1"
        assert any("Stopped loading" in toast for toast in toasts)
        server.release.set()  # a late answer changes nothing: it was given up on
        await settle(pilot)
        assert screen.table.page == 1 and ids_on_show(screen) == page_one
        assert server.answered[(2, 20)] == 0
        await pilot.press("n")  # and the page can be asked for again
        await settle(pilot)
        assert screen.table.page == 2 and server.answered[(2, 20)] == 1


class RememberingServer(HeldPages):
    """Holds the organization list until ``release``; the profile carries the organization the
    server remembers for the user, as v0.0.13's does (the demo keeps no such setting)."""

    remembered = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/organizations":
            await self.release.wait()
        response = await super().handle_async_request(request)
        if request.url.path != "/api/v1/users/profile":
            return response
        profile = json.loads(await response.aread())
        profile["settings"] = {"currentOrganizationId": self.remembered}
        return httpx.Response(response.status_code, json=profile)


async def test_the_first_page_is_asked_for_while_the_organization_list_comes(backend, client, settle):
    """The first page of the organization the server remembers need not wait for the list."""
    server = RememberingServer(ASGITransport(app=backend.app))
    server.remembered = (await client.my_organizations())[-1].id
    app = JheApp(JheClient(backend.site_url, backend.token_for("manager"), transport=server), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        assert await eventually(pilot, lambda: server.answered[(1, 20)] == 1)
        assert app.session is None  # the organization list is still held
        server.release.set()
        await settle(pilot)
        assert app.organization.id == server.remembered
        assert server.asked[(1, 20)] == 1 and app.screen.table.data_table.row_count > 0
