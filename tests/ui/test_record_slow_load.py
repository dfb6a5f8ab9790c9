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
    """The demo backend, with a patient's record and consents held back while ``release`` is clear."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.release.set()
        self.held = 0
        self.asked: list[str] = []  # every record request the server was sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if RECORD.match(request.url.path):
            self.asked.append(request.url.path)
        if RECORD.match(request.url.path) and not self.release.is_set():
            self.held += 1
            await self.release.wait()
        return await self.inner.handle_async_request(request)


async def open_slowly(pilot, settle, slow):
    app = pilot.app
    await settle(pilot)
    patients = app.screen
    slow.release.clear()
    patients.open_patient(patients.table.cursor_item.id)
    assert await eventually(pilot, lambda: isinstance(app.screen, PatientDetailScreen) and slow.held > 0)
    return patients, app.screen


def slow_app(backend):
    slow = SlowRecord(ASGITransport(app=backend.app))
    return slow, JheApp(JheClient(backend.site_url, backend.token_for("manager"), transport=slow), demo=True)


async def test_r_during_the_load_does_not_start_it_again(backend, settle, toasts):
    """Typing (a name with r in it, say) while the record loads used to cancel the load and send its
    requests again at each r: a slow server got every abandoned request to finish as well, and the
    record stayed on its loading dots for as long as that took. Now the load in progress goes on."""
    slow, app = slow_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        _, record = await open_slowly(pilot, settle, slow)
        for key in "rrr":
            await pilot.press(key)
        assert slow.held == 1 and len(slow.asked) == 1  # the first request, still held, and no other
        assert any("still loading" in t for t in toasts)
        slow.release.set()
        await settle(pilot)
        assert record.patient is not None and not record.query_one("#detail").loading
        assert len(slow.asked) == 2  # the patient, then the consents: once each
        await pilot.press("r")  # once loaded, r reloads again
        await settle(pilot)
        assert len(slow.asked) == 4


KEYS = [["a", "c", "f"], ["tab", "tab", "x"], ["shift+tab", "enter"], ["r", "tab", "r"], ["enter"],
        ["space", "down", "enter"], ["i"], ["e"], ["plus"], ["escape"]]


@pytest.mark.parametrize("keys", KEYS, ids=["-".join(k) for k in KEYS])
async def test_typing_during_a_slow_load_does_not_leave_the_dots(backend, settle, monkeypatch, keys):
    monkeypatch.setattr(loading, "DELAY", 0.01)
    slow, app = slow_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        patients, record = await open_slowly(pilot, settle, slow)
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
