"""The follow-up desk (F7): queue tabs with the job's counts, bulk re-issue with a confirmation
naming what dies, links collected into a private file, role-aware keys, and snapshots.

The console's clock is pinned to the moment the fixed data set was seeded."""

from __future__ import annotations

import csv
import stat

import pytest
from textual.widgets import Input, OptionList, Static, Tabs

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.backend import DemoBackend
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.jobs.followup import Queue, Row, Rules, follow_up
from jhe_tui.local.invitation_log import log_path
from jhe_tui.screens.followup_desk import TAB_NAMES, FollowUpScreen, last_data
from tests.ui.test_data_snapshots import SEEDED_AT, _fixed_seed  # noqa: F401  (the fixture)

SIZE = (100, 30)


@pytest.fixture
def desk_backend(_fixed_seed, tmp_path, monkeypatch) -> DemoBackend:  # noqa: F811
    import shutil

    data = tmp_path / "fixed"
    shutil.copytree(_fixed_seed, data)
    for module in ("jhe_tui.widgets.clock", "jhe_tui.screens.followup_desk", "jhe_tui.screens.patient_detail"):
        monkeypatch.setattr(f"{module}.now", lambda: SEEDED_AT)
    return DemoBackend(data)


def app_for(backend: DemoBackend, role: str = "manager") -> JheApp:
    client = JheClient(backend.site_url, backend.token_for(role), transport=ASGITransport(app=backend.app))
    return JheApp(client, demo=True)


async def open_desk(pilot, settle) -> FollowUpScreen:
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FollowUpScreen)
    return screen


async def first_queue_with_rows(pilot, screen: FollowUpScreen) -> None:
    while not screen.table.shown_rows:
        await pilot.press("right_square_bracket")
        await pilot.pause()
    screen.table.data_table.focus()


async def test_the_tabs_count_what_the_job_finds_and_each_queue_lists_its_patients(desk_backend, settle):
    async with JheClient(desk_backend.site_url, desk_backend.token_for("manager"),
                         transport=ASGITransport(app=desk_backend.app)) as client:
        expected = await follow_up(client, 20003, now=SEEDED_AT)
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        tabs = screen.query_one("#queues", Tabs)
        labels = [str(tab.label) for tab in tabs.query("Tab")]
        assert labels == [f"{TAB_NAMES[q]} ({expected.count(q)})" for q in Queue]
        for queue in Queue:
            assert screen.queue is queue
            shown = [int(row.key) for row in screen.table.shown_rows]
            assert shown == [row.id for row in expected.queues[queue]][:screen.table.page_size]
            await pilot.press("right_square_bracket")
            await pilot.pause()


def test_a_quiet_row_says_the_last_data_of_each_type():
    import datetime as dt

    from jhe_tui.api import Patient

    patient = Patient(id=1, name_family="Larsen", name_given="Tariq")
    seen = SEEDED_AT - dt.timedelta(days=16)
    row = Row(Queue.QUIET, patient, "last data 16 days ago", seen,
              last_data={"Blood glucose": seen, "Blood pressure": None})
    assert last_data(row, SEEDED_AT) == "Blood glucose 16 d ago, Blood pressure never"
    never = Row(Queue.QUIET, patient, "no data since consenting", None, last_data={"Blood glucose": None})
    assert last_data(never, SEEDED_AT) == ""


async def test_two_quick_presses_move_two_queues(desk_backend, settle):
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        screen.action_queue(1)
        screen.action_queue(1)  # before the first tab's change has arrived
        await settle(pilot)
        assert screen.queue is Queue.QUIET
        screen.action_queue(-1)
        screen.action_queue(-1)
        screen.action_queue(-1)
        await settle(pilot)
        assert screen.queue is Queue.NEVER


def tab_counts(screen: FollowUpScreen) -> list[str]:
    return [str(tab.label) for tab in screen.query_one("#queues", Tabs).query("Tab")]


async def test_the_hours_and_days_change_the_queues_and_a_bad_value_is_said_beside_them(desk_backend, settle):
    async with JheClient(desk_backend.site_url, desk_backend.token_for("manager"),
                         transport=ASGITransport(app=desk_backend.app)) as client:
        default = await follow_up(client, 20003, now=SEEDED_AT)
        changed = await follow_up(client, 20003, now=SEEDED_AT, rules=Rules(hours=1, days=400))
    assert default.count(Queue.QUIET) != changed.count(Queue.QUIET)
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        await pilot.press("d")  # the field's text is selected: typing replaces it
        assert app.focused is screen.query_one("#days", Input)
        await pilot.press("4", "0", "0")
        await settle(pilot)
        await pilot.press("enter", "h", "1", "enter")
        await settle(pilot)
        assert screen.rules == Rules(hours=1, days=400) and screen.desk.rules == screen.rules
        assert tab_counts(screen) == [f"{TAB_NAMES[q]} ({changed.count(q)})" for q in Queue]
        assert "more than 1 hour ago" in str(screen.query_one("#queue-note", Static).render())
        assert app.focused is screen.table.data_table

        await pilot.press("d", "0")
        await settle(pilot)
        assert str(screen.query_one("#rules-problem", Static).render()) == "Days: a whole number from 1 to 3650."
        assert screen.rules.days == 400 and tab_counts(screen) == [f"{TAB_NAMES[q]} ({changed.count(q)})"
                                                                   for q in Queue]
        await pilot.press("backspace", "3")
        await settle(pilot)
        assert str(screen.query_one("#rules-problem", Static).render()) == ""
        assert screen.desk.rules == Rules(hours=1, days=3)


async def test_reissue_asks_names_what_dies_and_collects_links_into_a_private_file(desk_backend, settle):
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        await first_queue_with_rows(pilot, screen)
        await pilot.press("space", "space")
        ticked = sorted(screen.table.selected)
        assert len(ticked) == 2
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        menu = app.screen.query_one("#choices", OptionList)
        assert str(menu.get_option_at_index(1).prompt).startswith("Collect the new links")
        await pilot.press("down", "enter")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        assert any("@" in line for line in confirm._lines)
        await pilot.press("ctrl+j")
        await settle(pilot)
    written = sorted(log_path().parent.glob("follow-up/invitation-links-*.csv"))
    assert len(written) == 1 and stat.S_IMODE(written[0].stat().st_mode) == 0o600
    rows = list(csv.DictReader(written[0].open()))
    assert sorted(r["patient_id"] for r in rows) == ticked
    assert all("cloud_sharing=" in r["invitation_link"] for r in rows)
    logged = log_path().read_text()
    assert logged.count("\n") == 2 and "cloud_sharing" not in logged and "http" not in logged.replace(
        desk_backend.site_url, "")


async def test_reissuing_one_by_e_mail_says_the_address_it_went_to(desk_backend, settle, toasts):
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        await first_queue_with_rows(pilot, screen)
        patient = screen.table.cursor_item
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("enter")  # e-mail each patient
        await pilot.pause()
        await pilot.press("ctrl+j")
        await settle(pilot)
    assert f"E-mailed a new link to {patient.telecom_email}." in toasts


async def test_enroll_the_ticked_patients_in_a_study(desk_backend, settle):
    import sqlite3

    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        await first_queue_with_rows(pilot, screen)
        await pilot.press("space")
        (ticked,) = [int(key) for key in screen.table.selected]
        await pilot.press("plus")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        menu = app.screen.query_one("#choices", OptionList)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert labels[:len(screen.studies)] == [f"{s.name} (study {s.id}) · {app.organization.name}"
                                                for s in screen.studies]
        await pilot.press(*["down"] * (len(screen.studies) - 1), "enter")
        await settle(pilot)
    conn = sqlite3.connect(desk_backend.db_path)
    try:
        studies = {r[0] for r in conn.execute("SELECT study_id FROM study_patient WHERE patient_id = ?", (ticked,))}
    finally:
        conn.close()
    assert screen.studies[-1].id in studies


async def test_a_viewer_cannot_reissue_but_can_export(desk_backend, settle):
    app = app_for(desk_backend, "viewer")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_desk(pilot, settle)
        await first_queue_with_rows(pilot, screen)
        assert screen.check_action("reissue", ()) is None and screen.check_action("enroll", ()) is None
        assert screen.check_action("export_queue", ()) is True
        await pilot.press("x")
        await settle(pilot)
    (exported,) = log_path().parent.glob("follow-up/follow-up-*.csv")
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert len(exported.read_text().splitlines()) == len(screen.desk.queues[screen.queue]) + 1


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["100x30", "80x24"])
@pytest.mark.parametrize("keys", [("right_square_bracket", "right_square_bracket"), ("h", "0")],
                         ids=["quiet_queue", "threshold_problem"])
def test_desk_snapshot(snap_compare, desk_backend, settle, keys, size):
    async def run_before(pilot):
        await open_desk(pilot, settle)
        await pilot.press(*keys)
        await settle(pilot)

    assert snap_compare(app_for(desk_backend), terminal_size=size, run_before=run_before)
