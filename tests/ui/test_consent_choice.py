"""Consent on the patient's behalf from the record: Enter on a consent row offers the answers that
change something (Grant, Decline for a pending scope, Revoke for a granted one) and "grant every
scope of this study" with one attestation; every changed scope gets its own audit line."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, OptionList

from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.local import audit, paths

from tests.ui.test_patient_detail import SIZE, open_detail, patient_with, rows


def audit_lines():
    log = paths.data_dir() / audit.AUDIT_FILE
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def options(modal):
    menu = modal.query_one("#choices", OptionList)
    return [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]


async def choose(pilot, modal, label):
    index = next(i for i, text in enumerate(options(modal)) if text.startswith(label))
    menu = modal.query_one("#choices", OptionList)
    menu.highlighted = index
    menu.focus()
    await pilot.press("enter")
    await pilot.pause()


async def attest(pilot, settle, text="Patient in person at the clinic"):
    modal = pilot.app.screen
    assert isinstance(modal, ConfirmModal)
    modal.query_one("#answer", Input).value = text
    await pilot.press("enter")
    await settle(pilot)


def several_pending(consents):
    return any(len([s for s in st.scopes if s.consented is None]) > 1 for st in consents.pending)


async def test_enter_on_a_pending_scope_offers_grant_decline_and_grant_all(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, consents = await patient_with(client, app.organization.id, several_pending)
        study = next(st for st in consents.pending if len([s for s in st.scopes if s.consented is None]) > 1)
        screen = await open_detail(pilot, settle, patient.id)
        table = screen.query_one("#pending", DataTable)
        assert app.focused is table
        table.move_cursor(row=next(i for i, r in enumerate(rows(screen, "pending")) if r[0].endswith(f"({study.id})")))
        await pilot.press("enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        offered = options(modal)
        assert offered[0].startswith("Grant") and offered[1].startswith("Decline")
        assert offered[2].startswith("Grant every scope of this study")
        assert not any("Revoke" in text for text in offered)
        await choose(pilot, modal, "Decline")
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        assert "Decline" in confirm._title and "Revoke" not in confirm._title
        assert confirm._confirm_label == "Decline"
        await attest(pilot, settle)
        assert [line["action"] for line in audit_lines()] == ["decline"]


async def test_a_granted_scope_offers_revoke_not_decline(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, _ = await patient_with(
            client, app.organization.id, lambda c: any(s.consented for st in c.answered for s in st.scopes)
        )
        screen = await open_detail(pilot, settle, patient.id)
        table = screen.query_one("#answered", DataTable)
        table.focus()
        table.move_cursor(row=next(i for i, r in enumerate(rows(screen, "answered")) if r[2] == "✓ consented"))
        await pilot.press("enter")
        await pilot.pause()
        offered = options(app.screen)
        assert offered[0].startswith("Revoke") and not any(t.startswith(("Decline", "Grant consent")) for t in offered)
        await choose(pilot, app.screen, "Revoke")
        assert "Revoke" in app.screen._title
        await attest(pilot, settle)
        assert [line["action"] for line in audit_lines()] == ["revoke"]


async def test_grant_every_scope_of_a_study_with_one_attestation(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, consents = await patient_with(client, app.organization.id, several_pending)
        study = next(st for st in consents.pending if len([s for s in st.scopes if s.consented is None]) > 1)
        wanted = {s.code.coding_code for s in study.scopes if not s.consented}
        wanted |= {s.code.coding_code for st in consents.answered if st.id == study.id for s in st.scopes
                   if not s.consented}
        screen = await open_detail(pilot, settle, patient.id)
        table = screen.query_one("#pending", DataTable)
        table.move_cursor(row=next(i for i, r in enumerate(rows(screen, "pending")) if r[0].endswith(f"({study.id})")))
        await pilot.press("enter")
        await pilot.pause()
        await choose(pilot, app.screen, "Grant every scope of this study")
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        names = {s.code.display for st in (*consents.pending, *consents.answered) if st.id == study.id
                 for s in st.scopes if not s.consented}
        listed = "\n".join(confirm._lines)
        assert all(name in listed for name in names) and f"{len(wanted)} data types" in listed
        await attest(pilot, settle, "Enrolled in clinic, signed form")
        entries = audit_lines()
        assert len(entries) == len(wanted)  # one line per scope, one attestation for all
        assert {e["scope_code"] for e in entries} == wanted
        assert {e["action"] for e in entries} == {"grant"} and {e["study_id"] for e in entries} == {study.id}
        assert {e["attestation"] for e in entries} == {"Enrolled in clinic, signed form"}
        after = await client.consents(patient.id)
        assert all(s.consented for st in after.answered if st.id == study.id for s in st.scopes)
        assert all(st.id != study.id for st in after.pending)


async def test_g_and_x_no_longer_change_consent(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, _ = await patient_with(client, app.organization.id, lambda c: bool(c.pending))
        screen = await open_detail(pilot, settle, patient.id)
        for key in ("g", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
