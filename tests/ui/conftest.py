"""Fixtures for the console's tests: a private demo backend per test, a client per role,
and the steadiness rules of conventions B.4 (no blinking cursor, nothing written outside
tmp_path)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, TextArea

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.backend import DemoBackend
from jhe_tui.widgets import loading

FROZEN_TIME = "2024-05-01T10:30:00Z"
FROZEN_CODE = "DEMOCODE" * 3 + "DEMOCO"  # 30 characters, like a real code


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    # No loading indicator: it shows only on a slow page, so on a loaded machine it would come
    # and go at random (tests/ui/test_loading.py covers it).
    monkeypatch.setattr(loading, "DELAY", 3600)
    monkeypatch.setenv("JHE_TUI_HOME", str(tmp_path / "home"))


class FrozenTransport(httpx.AsyncBaseTransport):
    """The demo backend with clock-dependent and random values pinned, for snapshots only:
    consent times follow the seed's "now" and invitation codes are random."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if "json" not in response.headers.get("content-type", ""):
            return response
        data = json.loads(await response.aread())
        return httpx.Response(response.status_code, json=_freeze(data))


def _freeze(value: object) -> object:
    if isinstance(value, dict):
        frozen = {key: _freeze(item) for key, item in value.items()}
        if frozen.get("consentedTime"):
            frozen["consentedTime"] = FROZEN_TIME
        if isinstance(frozen.get("invitationLink"), str):
            frozen["invitationLink"] = re.sub(r"[A-Za-z0-9]{30}$", FROZEN_CODE, frozen["invitationLink"])
        return frozen
    if isinstance(value, list):
        return [_freeze(item) for item in value]
    return value


@pytest.fixture
def make_app(backend: DemoBackend) -> Callable[..., JheApp]:
    def make(role: str = "manager", *, frozen: bool = False) -> JheApp:
        transport: httpx.AsyncBaseTransport = ASGITransport(app=backend.app)
        if frozen:
            transport = FrozenTransport(transport)
        client = JheClient(backend.site_url, backend.token_for(role), transport=transport)
        return JheApp(client, demo=True)

    return make


@pytest.fixture
def client(backend: DemoBackend) -> JheClient:
    """A second client on the same backend, to check what the console did."""
    return JheClient(backend.site_url, backend.token_for("manager"), transport=ASGITransport(app=backend.app))


def _busy(app: JheApp) -> bool:
    """A worker of the top screen is pending or running, or the screen is not laid out yet.
    Workers of screens below are waiting for a dialog (push_screen_wait) and would never
    finish on their own."""
    top = app.screen
    if top.id == "_default" or not top.is_mounted:
        return True  # the app's first screen is not up yet, so its workers do not exist yet
    for worker in app.workers:
        if not worker.is_finished:  # pending counts: a message may have just started it
            node = worker.node
            screen = node if isinstance(node, Screen) else getattr(node, "screen", None)
            if screen is top or node is app:
                return True
    # A DataTable sizes its columns on its next idle, and a screen lays itself out only while
    # it is on top: a dialog opened before that would sit over, and snapshot, the old widths.
    return (
        top._layout_required
        or top._scroll_required
        or top._repaint_required
        or top._recompose_required
        or bool(top._dirty_widgets)
        or any(table._require_update_dimensions or table._new_rows for table in top.query(DataTable))
        or any(widget._layout_required for widget in top.walk_children())
    )


async def _settle(pilot: Pilot) -> None:
    """Wait until the top screen's workers are done and the screen has caught up."""
    for _ in range(3000):  # a bound for a hang, not a timing: each turn returns as soon as work is done
        await pilot.pause(0.01)
        if not _busy(pilot.app):
            await pilot.pause()
            if not _busy(pilot.app):
                return
    raise AssertionError("workers did not settle")


@pytest.fixture
def settle() -> Callable[[Pilot], object]:
    return _settle

