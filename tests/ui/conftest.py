"""Fixtures for the console's tests: a private demo backend per test, a client per role,
the steadiness rules of conventions B.4 (no blinking cursor, nothing written outside
tmp_path), and ``settle``, which waits with Textual's public waits only."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.app import App
from textual.dom import DOMNode, NoScreen
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerState

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.backend import DemoBackend
from jhe_tui.widgets import loading

FROZEN_TIME = "2024-05-01T10:30:00Z"
FROZEN_CODE = "DEMOCODE" * 3 + "DEMOCO"  # 30 characters, like a real code


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for widget in (Input, TextArea):  # every text box is built with a steady cursor
        monkeypatch.setattr(widget, "__init__", _without_blinking(widget.__init__))
    # No loading indicator: it shows only on a slow page, so on a loaded machine it would come
    # and go at random (tests/ui/test_loading.py covers it).
    monkeypatch.setattr(loading, "DELAY", 3600)
    monkeypatch.setattr(loading, "SLOW", 3600)  # nor the pager's "waiting for the server" line
    monkeypatch.setenv("JHE_TUI_HOME", str(tmp_path / "home"))


def _without_blinking(init: Callable[..., None]) -> Callable[..., None]:
    def steady(self: Input | TextArea, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.cursor_blink = False

    return steady


class FrozenTransport(httpx.AsyncBaseTransport):
    """The demo backend with clock-dependent and random values pinned, for snapshots only:
    consent and invitation times follow the seed's "now" and invitation codes are random."""

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
        if "tokenHash" in frozen:  # an invitation record: its times follow the seed's clock
            frozen.update({key: FROZEN_TIME for key in ("lastUpdated", "created", "expires", "redeemed")
                           if frozen.get(key)})
        if isinstance(frozen.get("invitationLink"), str):
            frozen["invitationLink"] = re.sub(r"[A-Za-z0-9]{30}$", FROZEN_CODE, frozen["invitationLink"])
        return frozen
    if isinstance(value, list):
        return [_freeze(item) for item in value]
    return value


@pytest.fixture
def make_app(backend: DemoBackend) -> Callable[..., JheApp]:
    def make(role: str = "manager", *, frozen: bool = False, **options: Any) -> JheApp:
        """``options`` go to the App, e.g. ``idle_minutes`` and a fake ``clock``."""
        transport: httpx.AsyncBaseTransport = ASGITransport(app=backend.app)
        if frozen:
            transport = FrozenTransport(transport)
        client = JheClient(backend.site_url, backend.token_for(role), transport=transport)
        return JheApp(client, demo=True, **options)

    return make


@pytest.fixture
def client(backend: DemoBackend) -> JheClient:
    """A second client on the same backend, to check what the console did."""
    return JheClient(backend.site_url, backend.token_for("manager"), transport=ASGITransport(app=backend.app))


HANG = 120.0  # seconds: a bound for a hang, not a budget; settling returns as soon as all is done


def _screen_of(node: DOMNode) -> Screen[Any] | None:
    if isinstance(node, Screen):
        return node
    try:
        return node.screen
    except NoScreen:
        return None


def _unfinished(app: App[Any]) -> list[Worker[Any]]:
    """The workers of the top screen (and the App's own) not finished yet, pending ones too: a
    message may have just started them. Workers of screens below are waiting for a dialog
    (push_screen_wait) and would never finish on their own."""
    top = app.screen
    return [w for w in app.workers if not w.is_finished and (w.node is app or _screen_of(w.node) is top)]


async def _settle(pilot: Pilot) -> None:
    """Wait until the top screen's workers are done and the screen has caught up with what they
    did, with Textual's public waits: every queued message handled, the workers complete, the
    screen refreshed after them (a DataTable measures its columns when idle, and a screen lays
    itself out only while it is on top: a dialog opened before that would sit over, and
    snapshot, the old widths). Done after two rounds in a row found no worker and the same
    screen on top. (``app.workers.wait_for_complete`` waits for every worker when given none,
    and fails on a pending or cancelled one: hence ``Worker.wait`` on the running ones.)"""
    app = pilot.app
    quiet = 0
    try:
        async with asyncio.timeout(HANG):
            while quiet < 2:
                await pilot.pause()
                if app.return_code is not None:
                    return  # the App is exiting (on an error, run_test raises it)
                top, working = app.screen, _unfinished(app)
                if working or not top.is_running:
                    quiet = 0  # a pending worker starts in the next round; a failed or cancelled one is done
                    await asyncio.gather(*(w.wait() for w in working if w.state is WorkerState.RUNNING),
                                         return_exceptions=True)
                    continue
                await top.wait_for_refresh()
                quiet = quiet + 1 if app.screen is top and not _unfinished(app) else 0
    except TimeoutError:
        raise AssertionError(f"the console did not settle in {HANG:.0f} s") from None


@pytest.fixture
def settle() -> Callable[[Pilot], object]:
    return _settle



@pytest.fixture
def toasts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The toasts up now, as the console handed them to Textual (``run_test`` does not draw
    toasts): each message the App let through, until the App clears them."""
    shown: list[str] = []
    notify, clear = App.notify, App.clear_notifications

    def record(self: App[Any], message: str, **options: Any) -> None:
        shown.append(message)
        notify(self, message, **options)

    def cleared(self: App[Any]) -> None:
        shown.clear()
        clear(self)

    monkeypatch.setattr(App, "notify", record)
    monkeypatch.setattr(App, "clear_notifications", cleared)
    return shown
