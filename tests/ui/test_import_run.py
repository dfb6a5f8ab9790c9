"""The Import screen's run (F6): Escape asks, then stops it (the rows in flight finish and the
report is written); ctrl+q mid-run asks before quitting, from any screen; the file is read in a
thread, never on the event loop."""

from __future__ import annotations

import asyncio
import csv

from textual.widgets import Static

from jhe_tui.api import JheClient
from jhe_tui.app import JheApp, QuitQuestion
from jhe_tui.screens import import_screen
from jhe_tui.screens.import_screen import ImportScreen
from jhe_tui.dialogs.confirm import ConfirmModal
from tests.jobs.test_import_run import HoldsCreates
from tests.ui.test_import_screen import cohort, open_import
from tests.ui.waiting import eventually

SIZE = (100, 30)
ROWS = 12
HANG = 30  # seconds: a bound for a hang, not a timing


def new_cohort(tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("email,last_name,first_name,dob\n"
                    + "".join(f"run{i}@example.org,Family{i},Given{i},1980-02-{1 + i:02d}\n" for i in range(ROWS)))
    return path


def holding_app(backend) -> tuple[JheApp, HoldsCreates]:
    """The console on a server whose creates wait, from the second one on, until released."""
    transport = HoldsCreates(backend.app)
    return JheApp(JheClient(backend.site_url, backend.token_for("manager"), transport=transport), demo=True), transport


async def start_run(pilot, settle, path, transport: HoldsCreates) -> ImportScreen:
    """Open the file, run the import (confirmed), and wait until a row is held in flight."""
    screen = await open_import(pilot, settle, path)
    screen.concurrency = 2  # no row past the third starts while the creates wait
    await pilot.press("R")
    await settle(pilot)
    await pilot.press("ctrl+j")
    await asyncio.wait_for(transport.held.wait(), HANG)
    assert screen.running
    return screen


def said(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-summary", Static).render())


async def test_escape_asks_then_stops_the_run_the_rows_in_flight_finish_and_the_report_is_written(
        backend, settle, tmp_path):
    path = new_cohort(tmp_path)
    app, transport = holding_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_run(pilot, settle, path, transport)
        assert screen.check_action("stop", ()) is True and screen.check_action("run", ()) is None
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # not after all: the run goes on (no settling: it waits on the server)
        assert await eventually(pilot, lambda: app.screen is screen)
        assert screen.running

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+j")
        assert await eventually(pilot, lambda: said(screen).startswith("Stopping"))
        transport.release.set()
        await settle(pilot)
        assert not screen.running and screen.check_action("stop", ()) is False
        assert said(screen).startswith("Import of new.csv ended early (the import was stopped): ")
        summary = screen.summary
        assert summary is not None and summary.unfinished >= ROWS - 3
        for result in summary.results:
            assert result.unfinished or (result.outcome == "created" and result.enrolled == "")
        assert {r.email for r in summary.results if not r.unfinished} >= set(transport.held_emails)
        report = list(csv.DictReader((tmp_path / "new-report.csv").open()))
        assert [(line["email"], line["outcome"]) for line in report] == [(r.email, r.outcome.value)
                                                                         for r in summary.results]
        assert screen.report_path == tmp_path / "new-report.csv"


async def test_ctrl_q_mid_run_asks_first_from_any_screen_and_again_quits(backend, settle, tmp_path):
    app, transport = holding_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await start_run(pilot, settle, new_cohort(tmp_path), transport)
        await pilot.press("f2")  # the import goes on while another screen is shown
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitQuestion) and app.return_code is None
        assert "An import is running" in str(app.screen.query_one(".dialog-line", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, QuitQuestion) and app.return_code is None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitQuestion)
        await pilot.press("ctrl+q")  # twice: the user means it
        await pilot.pause()
        transport.release.set()
    assert app.return_code == 0


async def test_a_dry_run_or_a_finished_import_quits_without_asking(make_app, settle, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        await pilot.press("k")
        await settle(pilot)
        assert screen.summary is not None and screen.quit_warning() is None
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_file_is_read_in_a_thread_not_on_the_event_loop(make_app, settle, tmp_path, monkeypatch):
    where: list[str] = []
    read = import_screen.read_source

    def reading(path):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            where.append("thread")
        else:
            where.append("event loop")
        return read(path)

    monkeypatch.setattr(import_screen, "read_source", reading)
    async with make_app().run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        assert where == ["thread"]
        assert screen.source is not None and len(screen.source.rows) == 6
