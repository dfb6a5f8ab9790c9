"""What each screen looks like at 100x30, against the demo backend with its clock-dependent
values and random invitation codes pinned (FrozenTransport). Review the SVGs in
__snapshots__/ after `pytest --snapshot-update`; never accept one unseen."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from jhe_tui.api import ASGITransport, JheClient

SIZE = (100, 30)


def prepared_patient(backend) -> int:
    """A patient with both pending and declined answers (the seed has none, so decline one)."""

    async def prepare() -> int:
        async with JheClient(backend.site_url, backend.token_for("manager"), transport=ASGITransport(app=backend.app)) as client:
            organization = (await client.my_organizations())[0]
            async for patient in client.iter_patients(organization.id):
                consents = await client.consents(patient.id)
                if consents.pending and sum(len(s.scopes) for s in consents.pending) > 1:
                    study = consents.pending[0]
                    await client.set_consent(patient.id, study.id, study.scopes[0].code, False)
                    return patient.id
        raise AssertionError("no patient with pending consents in the seed")

    return asyncio.run(prepare())


def test_patient_table(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space", "down", "space")

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_patient_table_read_only_for_a_viewer(snap_compare, make_app, settle):
    assert snap_compare(make_app("viewer", frozen=True), terminal_size=SIZE, run_before=settle)


def test_add_lookup_with_error(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#lookup-email", Input).value = "ada.lovelace@example"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_add_lookup_found_in_another_organization(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        other = await pilot.app.client.patient(40050)
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#lookup-email", Input).value = other.telecom_email
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_add_create_with_errors(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#lookup-email", Input).value = "ada.lovelace@example.org"
        await pilot.press("enter")
        await settle(pilot)
        for name, value in {"external_id": "MRN-1815", "family": "Lovelace", "birth_date": "1815-02-30", "phone": "none"}.items():
            pilot.app.screen.query_one(f"#field-{name}", Input).value = value
        await pilot.press("ctrl+j")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_detail_with_pending_declined_and_link(snap_compare, make_app, backend, settle):
    patient_id = prepared_patient(backend)

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.open_patient(patient_id)
        await settle(pilot)
        await pilot.press("i")  # asks: copy the link, or e-mail it too
        await settle(pilot)
        await pilot.press("enter")  # copy
        await settle(pilot)
        pilot.app.clear_notifications()  # the copy's toast would cover the record
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_edit(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_remove_confirmation(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "down", "down", "d")  # 40007: last organization
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_enroll_picker(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space", "space", "space", "plus")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


def test_find_by_name(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        pilot.app.screen.query_one("#find-text", Input).value = "ivanova"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)
