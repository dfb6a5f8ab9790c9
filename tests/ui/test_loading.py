"""A slow page: the loading indicator shows, and afterwards the keys act on the rows again."""

from __future__ import annotations

import asyncio

import httpx

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.widgets import loading
from tests.ui.waiting import eventually


class SlowPatients(httpx.AsyncBaseTransport):
    """The demo backend, with every patient list held back until the test lets it go: the page is
    as slow as the test needs, whatever the machine's load."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/patients":
            await self.release.wait()
        return await self.inner.handle_async_request(request)


async def test_a_slow_page_shows_loading_then_the_rows_take_keys(backend, settle, monkeypatch):
    monkeypatch.setattr(loading, "DELAY", 0.05)
    slow = SlowPatients(ASGITransport(app=backend.app))
    client = JheClient(backend.site_url, backend.token_for("manager"), transport=slow)
    app = JheApp(client, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await eventually(pilot, lambda: getattr(app.screen, "table", None) is not None)
        rows = app.screen.table.data_table
        assert await eventually(pilot, lambda: rows.loading)
        slow.release.set()
        await settle(pilot)
        assert not rows.loading and rows.row_count > 0
        assert await eventually(pilot, lambda: app.focused is rows)
        await pilot.press("space")
        assert len(app.screen.table.selected) == 1
