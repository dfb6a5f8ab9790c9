"""The patient record, its consent choice, the help with the key map, and the lock screen, each at
100x30 and at 80x24 (an SSH session's default). Values that depend on the clock or chance are
pinned (FrozenTransport). Review the SVGs after `pytest --snapshot-update`; never accept one unseen."""

from __future__ import annotations

import pytest

from tests.ui.test_snapshots import prepared_patient

SIZES = pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])


def on_record(backend, settle, *keys):
    patient_id = prepared_patient(backend)

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.open_patient(patient_id)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        pilot.app.clear_notifications()  # the copy's toast would cover the record
        await settle(pilot)

    return run_before


@SIZES
def test_record_with_an_emailed_link(snap_compare, make_app, backend, settle, size):
    keys = ("i", "down", "enter")  # e-mail it too (test_snapshots has the copy-only link)
    assert snap_compare(make_app(frozen=True), terminal_size=size, run_before=on_record(backend, settle, *keys))


@SIZES
def test_consent_choice(snap_compare, make_app, backend, settle, size):
    assert snap_compare(make_app(frozen=True), terminal_size=size, run_before=on_record(backend, settle, "enter"))


@SIZES
def test_help_on_the_record(snap_compare, make_app, backend, settle, size):
    assert snap_compare(make_app(frozen=True), terminal_size=size, run_before=on_record(backend, settle, "f1"))


@SIZES
def test_lock_screen(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=size, run_before=run_before)
