"""Patient record: ids, consents pending and answered, consent on the patient's behalf with
its audit line, and the invitation generator."""

from __future__ import annotations

import json
import re
import stat

import httpx
from textual.widgets import DataTable, Input, OptionList, Static, TextArea

from jhe_tui.local import audit, paths
from jhe_tui.api import JheClient, MockTransport, Organization
from jhe_tui.app import JheApp
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal

SIZE = (100, 30)


async def open_detail(pilot, settle, patient_id):
    await settle(pilot)
    pilot.app.screen.open_patient(patient_id)
    await settle(pilot)
    assert isinstance(pilot.app.screen, PatientDetailScreen)
    return pilot.app.screen


def rows(screen, table_id):
    table = screen.query_one(f"#{table_id}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def choose_first(pilot):
    """Enter on a consent row, then Enter on the first answer offered."""
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoiceModal)
    await pilot.press("enter")
    await pilot.pause()


async def patient_with(client, org_id, want):
    async for patient in client.iter_patients(org_id):
        consents = await client.consents(patient.id)
        if want(consents):
            return patient, consents
    raise AssertionError("no such patient in the seed")


async def test_ids_are_labelled_and_consents_show_answer_and_time(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization.id
        patient, consents = await patient_with(
            client, org, lambda c: any(s.consented is False for st in c.answered for s in st.scopes)
        )
        screen = await open_detail(pilot, settle, patient.id)
        identity = screen.query_one("#identity", Static).content
        text = "\n".join(" ".join(str(cell) for cell in row) for row in _grid_rows(identity))
        assert f"Patient ID {patient.id}  (record in JHE)" in text
        assert f"User ID {patient.jhe_user_id}  (login account)" in text
        assert "External IDs" in text
        answered = rows(screen, "answered")
        declined = [r for r in answered if r[2] == "✗ declined"]
        assert declined and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", r[3]) for r in answered)
        assert len(answered) == sum(len(s.scopes) for s in consents.answered)


def _grid_rows(grid):
    columns = [list(column.cells) for column in grid.columns]
    return list(zip(*columns, strict=True))


async def test_pending_scopes_are_listed_under_pending(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, consents = await patient_with(client, app.organization.id, lambda c: bool(c.pending))
        screen = await open_detail(pilot, settle, patient.id)
        pending = rows(screen, "pending")
        assert pending and all(r[2] == "… pending" for r in pending)
        assert {r[1] for r in pending} == {s.code.display for st in consents.pending for s in st.scopes}


async def test_revoke_on_behalf_shows_declined_with_time_and_writes_audit(make_app, client, backend, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, _ = await patient_with(
            client, app.organization.id, lambda c: any(s.consented for st in c.answered for s in st.scopes)
        )
        screen = await open_detail(pilot, settle, patient.id)
        table = screen.query_one("#answered", DataTable)
        table.focus()
        row = next(i for i, r in enumerate(rows(screen, "answered")) if r[2] == "✓ consented")
        table.move_cursor(row=row)
        study_name, scope_name = rows(screen, "answered")[row][:2]
        await choose_first(pilot)  # Revoke consent
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        # The attestation is required.
        await pilot.press("enter")
        assert app.screen is modal and "required" in str(modal.query_one("#problem", Static).content)
        modal.query_one("#answer", Input).value = "Patient by phone, 2024-05-01, identity checked"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        after = next(r for r in rows(screen, "answered") if r[:2] == [study_name, scope_name])
        assert after[2] == "✗ declined" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", after[3])
        # The audit log: one JSON line, owner-only, no token.
        log = paths.data_dir() / audit.AUDIT_FILE
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        content = log.read_text()
        assert backend.token_for("manager") not in content and "Bearer" not in content
        entry = json.loads(content.splitlines()[-1])
        assert entry["action"] == "revoke" and entry["patient_id"] == patient.id
        assert entry["practitioner_email"] == "manager@demo.jhe.example" and entry["practitioner_id"] == app.session.user.id
        assert entry["attestation"] == "Patient by phone, 2024-05-01, identity checked"
        assert entry["scope_code"].startswith("omh:") and entry["server"] and entry["time"]
        state = (await client.consents(patient.id)).scope(entry["study_id"], "https://w3id.org/openmhealth", entry["scope_code"])
        assert state is not None and state.consented is False


async def test_grant_a_pending_scope_then_cancelled_change_writes_nothing(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, _ = await patient_with(client, app.organization.id, lambda c: bool(c.pending))
        screen = await open_detail(pilot, settle, patient.id)
        assert app.focused.id == "pending"
        await choose_first(pilot)  # Grant consent
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        assert not (paths.data_dir() / audit.AUDIT_FILE).exists()
        def pending():
            return [r for r in rows(screen, "pending") if r[2] == "… pending"]

        before = len(pending())
        await choose_first(pilot)
        app.screen.query_one("#answer", Input).value = "Patient in person at the clinic"
        await pilot.press("enter")
        await settle(pilot)
        assert len(pending()) == before - 1
        assert any(r[2] == "✓ consented" for r in rows(screen, "answered"))
        lines = (paths.data_dir() / audit.AUDIT_FILE).read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["action"] == "grant"


async def test_invite_asks_copy_or_email_then_y_copies_again(make_app, backend, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_detail(pilot, settle, app.screen.table.cursor_item.id)
        assert screen.check_action("copy", ()) is None  # nothing to copy yet
        await pilot.press("i")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        menu = modal.query_one("#choices", OptionList)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert labels[0].startswith("Copy the link") and not list(backend.outbox_dir.glob("*.eml"))
        assert labels[1].startswith(f"E-mail it to {screen.patient.telecom_email} too")
        await pilot.press("down", "enter")
        await settle(pilot)
        link = screen.query_one("#link", TextArea).text
        assert link.startswith("https://") and "cloud_sharing=" in link and screen.link == link
        assert "e-mailed" in str(screen.query_one("#invite-status", Static).content)
        assert list(backend.outbox_dir.glob("*.eml"))
        assert app.clipboard == link  # copied at once, e-mailed too
        app.copy_to_clipboard("")
        await pilot.press("y")
        assert app.clipboard == link
        assert str(screen.query_one("#invite-status", Static).content).startswith("Copied (y copies it again)")
        assert not screen.query("#send-email")  # the question replaces the checkbox and its t key


async def test_invite_copy_only_sends_no_email(make_app, backend, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_detail(pilot, settle, app.screen.table.cursor_item.id)
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.link and app.clipboard == screen.link
        assert not list(backend.outbox_dir.glob("*.eml"))


def v13_server(apps):
    """A v0.0.13 server with one patient whose studies use `apps` (only what the screen calls)."""
    org = {"id": 1, "name": "Clinic", "type": "prov", "currentUserRole": "member"}
    patient = {"id": 5, "jheUserId": 9, "identifiers": [{"id": 1, "system": "urn:mrn", "value": "MRN-5"}],
               "nameFamily": "Doe", "nameGiven": "Jo", "birthDate": "1970-01-01", "telecomEmail": "jo@example.org",
               "organizations": [org]}
    issued = []

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/health":
            return httpx.Response(200, json={"status": "ok", "version": "0.0.13"})
        if path == "/api/v1/users/profile":
            return httpx.Response(200, json={"id": 3, "email": "m@example.org", "firstName": "M", "lastName": "B"})
        if path == "/api/v1/organizations":
            return httpx.Response(200, json={"count": 1, "next": None, "previous": None, "results": [org]})
        if path == "/api/v1/patients/5" and request.method == "PATCH":
            issued.append(json.loads(request.content))
            return httpx.Response(200, json={**patient, **issued[-1]})
        if path == "/api/v1/patients/5":
            return httpx.Response(200, json=patient)
        if path == "/api/v1/patients/5/consents":
            return httpx.Response(200, json={"patient": patient, "consolidatedConsentedScopes": [],
                                             "studiesPendingConsent": [], "studies": []})
        if path == "/api/v1/patients/5/consolidated_clients":
            return httpx.Response(200, json=apps)
        if path == "/api/v1/invitation" and request.method == "POST":
            body = json.loads(request.content)
            issued.append(body)
            return httpx.Response(201, json={"id": 7, "patientId": 5, "client_id": body["client_id"], "status": "issued",
                                             "invitationLink": f"https://app{body['client_id']}.example/invite/host_CODE"})
        return httpx.Response(404, json={"detail": "Not found."})

    return MockTransport(handle), issued, Organization.model_validate(org)


async def test_v13_asks_which_app_when_there_are_several(settle):
    apps = [{"id": 1, "name": "CommonHealth", "clientId": "a", "invitationUrl": "https://app1.example/invite/CODE"},
            {"id": 2, "name": "CareX", "clientId": "b", "invitationUrl": "https://app2.example/invite/CODE"}]
    transport, issued, org = v13_server(apps)
    app = JheApp(JheClient("https://jhe.example.org", "token", transport=transport), server_url="https://jhe.example.org")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(PatientDetailScreen(app.client, 5, org))
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")  # copy the link (no e-mail)
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)  # then: which app
        await pilot.press("down", "enter")
        await settle(pilot)
        assert issued == [{"patient_id": 5, "client_id": 2, "send_email": False}]
        assert app.screen.query_one("#link", TextArea).text == "https://app2.example/invite/host_CODE"


async def test_v13_external_ids_are_edited_as_a_list_with_their_systems(settle):
    transport, sent, org = v13_server([])
    app = JheApp(JheClient("https://jhe.example.org", "token", transport=transport), server_url="https://jhe.example.org")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(PatientDetailScreen(app.client, 5, org))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        box = app.screen.query_one("#field-external_id", Input)
        assert box.value == "urn:mrn|MRN-5"
        box.value = "urn:mrn|MRN-5, B-2"
        await pilot.press("enter")
        await settle(pilot)
        assert sent == [{"identifiers": [{"system": "urn:mrn", "value": "MRN-5"},
                                         {"system": "urn:jhe-tui:external-id", "value": "B-2"}]}]
        assert isinstance(app.screen, PatientDetailScreen)
