"""A patient record whose load is slow: keys typed while it loads must not leave it on its loading
dots (nor lose what it loaded). The backend holds the record's requests until the test lets them go."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.widgets import loading
from tests.ui.waiting import eventually

RECORD = re.compile(r"^/api/v1/patients/\d+(/consents)?$")


class SlowRecord(httpx.AsyncBaseTransport):
    """The demo backend, with a patient's record and consents held back while ``hold`` is clear."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.release.set()
        self.held = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if RECORD.match(request.url.path) and not self.release.is_set():
            self.held += 1
            await self.release.wait()
        return await self.inner.handle_async_request(request)


KEYS = [["a", "c", "f"], ["shift+tab", "shift+tab", "enter"], ["t", "space", "enter", "tab"], ["ctrl+p", "escape"], ["f1", "escape"], ["f9", "f9"], ["d"], ["minus"], ["tab", "tab", "x"], ["r"], ["r", "r", "tab", "r"], ["enter"], ["space", "down", "enter"],
        ["i"], ["e"], ["y"], ["plus"], ["escape"]]


@pytest.mark.parametrize("keys", KEYS, ids=["-".join(k) for k in KEYS])
async def test_typing_during_a_slow_load_does_not_leave_the_dots(backend, settle, monkeypatch, keys):
    monkeypatch.setattr(loading, "DELAY", 0.01)
    slow = SlowRecord(ASGITransport(app=backend.app))
    app = JheApp(JheClient(backend.site_url, backend.token_for("manager"), transport=slow), demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        patients = app.screen
        slow.release.clear()
        patients.open_patient(patients.table.cursor_item.id)
        assert await eventually(pilot, lambda: isinstance(app.screen, PatientDetailScreen) and slow.held > 0)
        record = app.screen
        detail = record.query_one("#detail")
        assert await eventually(pilot, lambda: detail.loading)
        for key in keys:
            await pilot.press(key)
        slow.release.set()
        await settle(pilot)
        if app.screen is patients:
            return  # escape went back: nothing left loading
        assert app.screen is record, type(app.screen)
        assert record.patient is not None and not detail.loading
        assert not record.query("LoadingIndicator")
