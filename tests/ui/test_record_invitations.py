"""The record's invitations: the history with statuses, no silent reissue (asked first, naming
the link that dies), the session's link kept until the console locks, the e-mail address named,
and this workstation's log written without the link. The clock is pinned to the fixed seed."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from textual.widgets import OptionList, Static, TextArea

from jhe_tui.backend.db import timestamp
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.local.invitation_log import log_path
from jhe_tui.jobs.followup import Queue
from jhe_tui.screens.followup_desk import FollowUpScreen
from jhe_tui.screens.patient_detail import PatientDetailScreen
from tests.ui.test_data_snapshots import SEEDED_AT, _fixed_seed  # noqa: F401  (the fixture)
from tests.ui.test_followup_desk import app_for, desk_backend  # noqa: F401  (the fixture)

SIZE = (100, 30)
PATIENT = 40001


def give_outstanding_link(backend, patient_id: int = PATIENT, days_ago: int = 2) -> None:
    """An e-mailed link issued ``days_ago`` days before the seed, still unused."""
    conn = sqlite3.connect(backend.db_path)
    with conn:
        conn.execute("UPDATE invitation SET status = 'reissued' WHERE patient_id = ? AND status = 'issued'",
                     (patient_id,))
        conn.execute("INSERT INTO invitation (patient_id, code_hash, created, expires, emailed) VALUES (?, ?, ?, ?, 1)",
                     (patient_id, "f" * 64, timestamp(SEEDED_AT - timedelta(days=days_ago)),
                      timestamp(SEEDED_AT + timedelta(days=12))))
    conn.close()


def invitation_count(backend, patient_id: int = PATIENT) -> int:
    conn = sqlite3.connect(backend.db_path)
    try:
        return conn.execute("SELECT count(*) FROM invitation WHERE patient_id = ?", (patient_id,)).fetchone()[0]
    finally:
        conn.close()


async def open_record(pilot, settle) -> PatientDetailScreen:
    await settle(pilot)
    pilot.app.screen.open_patient(PATIENT)
    await settle(pilot)
    assert isinstance(pilot.app.screen, PatientDetailScreen)
    return pilot.app.screen


def history(screen) -> str:
    return str(screen.query_one("#invite-history", Static).content)


async def test_the_history_shows_each_invitation_and_a_new_link_asks_first(desk_backend, settle):
    give_outstanding_link(desk_backend)
    before = invitation_count(desk_backend)
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, settle)
        text = history(screen)
        assert text.startswith("CommonHealth:")
        assert "issued, e-mailed, issued " in text and "expires in 12 days" in text and "redeemed" in text
        await pilot.press("i")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        day = (SEEDED_AT.date().toordinal() - 2)
        from datetime import date

        assert confirm._warning == f"The link e-mailed on {date.fromordinal(day).isoformat()} will stop working."
        await pilot.press("escape")
        await settle(pilot)
        assert invitation_count(desk_backend) == before  # nothing issued
        assert screen.link is None


async def test_the_sessions_link_stays_until_the_lock_and_the_address_is_named(desk_backend, settle):
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, settle)
        await pilot.press("i")
        await pilot.pause()
        if isinstance(app.screen, ConfirmModal):  # an earlier link is outstanding
            await pilot.press("ctrl+j")
            await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        menu = app.screen.query_one("#choices", OptionList)
        assert menu.option_count == 2
        await pilot.press("down", "enter")
        await settle(pilot)
        email = screen.patient.telecom_email
        assert f"e-mailed to {email}" in str(screen.query_one("#invite-status", Static).content)
        link = screen.link
        issued = invitation_count(desk_backend)
        await pilot.press("escape")
        await settle(pilot)
        again = await open_record(pilot, settle)
        assert again.link == link and again.query_one("#link", TextArea).text == link
        assert "in this session, e-mailed to" in str(again.query_one("#invite-status", Static).content)
        await pilot.press("y")
        assert app.clipboard == link and invitation_count(desk_backend) == issued  # copying never reissues
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not app.guard.links
    logged = log_path().read_text()
    assert logged.count("\n") == 1 and '"emailed": true' in logged and link.rpartition("%7C")[2] not in logged


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["100x30", "80x24"])
def test_record_history_snapshot(snap_compare, desk_backend, settle, size):
    give_outstanding_link(desk_backend)

    async def run_before(pilot):
        await open_record(pilot, settle)
        box = pilot.app.screen.query_one("#invitation")
        # The consent tables below the box take their height when idle, which can cap a scroll
        # made before: scroll again until the box stays where the last scroll put it.
        where = None
        for _ in range(10):
            box.scroll_visible(top=True, animate=False, immediate=True)
            await settle(pilot)
            if box.region == where:
                break
            where = box.region
        assert box.region == where

    assert snap_compare(app_for(desk_backend), terminal_size=size, run_before=run_before)


async def test_the_desks_bulk_reissue_names_when_the_dying_links_went_out(desk_backend, settle):
    chosen = [40002, 40004]
    conn = sqlite3.connect(desk_backend.db_path)
    with conn:  # as if their first links had never been used: only the new ones are outstanding
        conn.executemany("DELETE FROM invitation WHERE patient_id = ?", [(p,) for p in chosen])
    conn.close()
    for patient_id in chosen:
        give_outstanding_link(desk_backend, patient_id, days_ago=3)  # past the desk's 48 hours
    app = app_for(desk_backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        desk = app.screen
        assert isinstance(desk, FollowUpScreen) and desk.queue == Queue.NOT_CONNECTED
        keys = [row.key for row in desk.table.shown_rows]
        for patient_id in chosen:
            desk.table.data_table.move_cursor(row=keys.index(str(patient_id)))
            await pilot.press("space")
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("enter")  # e-mail each patient
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        issued = (SEEDED_AT - timedelta(days=3)).date().isoformat()
        assert confirm._warning == f"The links e-mailed on {issued} to 2 patients will stop working."
        await pilot.press("escape")  # and nothing is re-issued
        await settle(pilot)
    assert [invitation_count(desk_backend, patient_id) for patient_id in chosen] == [1, 1]
