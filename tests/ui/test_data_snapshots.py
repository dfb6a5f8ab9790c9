"""Studies, observations (with detail and chart), export dialog and organizations at 100x30.

The data are seeded at a fixed moment and the console's clock is pinned to it, so "last data
3 h ago" and every observation time are the same on every run. Review the SVGs after
`pytest --snapshot-update`; never accept one unseen."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.backend import DemoBackend
from jhe_tui.backend.seed import build

SIZE = (100, 30)
SEEDED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GLUCOSE = "https://w3id.org/openmhealth|omh:blood-glucose:4.0"
BLOOD_PRESSURE = "https://w3id.org/openmhealth|omh:blood-pressure:4.0"
SIZES = pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["100x30", "80x24"])


@pytest.fixture(scope="session")
def _fixed_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fixed-seed")
    build(path / "demo.sqlite3", now=SEEDED_AT.timestamp())
    return path


@pytest.fixture
def fixed_app(_fixed_seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = tmp_path / "fixed"
    shutil.copytree(_fixed_seed, data)
    backend = DemoBackend(data)
    for module in ("jhe_tui.widgets.clock", "jhe_tui.screens.studies", "jhe_tui.screens.observations"):
        monkeypatch.setattr(f"{module}.now", lambda: SEEDED_AT)

    def make(user: str = "manager") -> JheApp:
        transport = ASGITransport(app=backend.app)
        return JheApp(JheClient(backend.site_url, backend.token_for(user), transport=transport), demo=True)

    return make


def test_studies_roster(snap_compare, fixed_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=run_before)


async def _observations_of_one_patient(pilot, settle, code: str = GLUCOSE):
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#code", Select).value = code
    box = screen.query_one("#patient", Input)
    box.focus()
    box.value = "40001"
    await pilot.press("enter")
    await settle(pilot)


def test_observations_with_detail(snap_compare, fixed_app, settle):
    async def run_before(pilot):
        await _observations_of_one_patient(pilot, settle)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=run_before)


def _chart(code: str, settle):
    async def run_before(pilot):
        await _observations_of_one_patient(pilot, settle, code)
        await pilot.press("l", "l")  # the last 30 days
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
    return run_before


@SIZES
@pytest.mark.parametrize("code", [GLUCOSE, BLOOD_PRESSURE], ids=["glucose", "blood-pressure"])
def test_observations_chart(snap_compare, fixed_app, settle, monkeypatch, size, code):
    """Lines with dated and valued axes and reference lines (systolic and diastolic together)."""
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_chart(code, settle))


@SIZES
def test_observations_chart_without_colour(snap_compare, fixed_app, settle, monkeypatch, size):
    """Block bars, one series under the other, where lines could not be told apart (NO_COLOR; 16
    colours are tests/ui/test_data_screens.py's)."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_chart(BLOOD_PRESSURE, settle))


def test_export_dialog(snap_compare, fixed_app, settle):
    async def run_before(pilot):
        await _observations_of_one_patient(pilot, settle)
        await pilot.press("x")
        await settle(pilot)
        pilot.app.screen.query_one("#path", Input).value = "/data/exports/glucose-40001.csv"
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["100x30", "80x24"])
def test_organizations(snap_compare, fixed_app, settle, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await settle(pilot)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)

