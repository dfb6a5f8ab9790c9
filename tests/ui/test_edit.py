"""Edit: the e-mail is locked, only changed fields are sent, errors keep the dialog; the same
edit and removal flows work from the patient's record."""

from __future__ import annotations

import httpx
from textual.widgets import Input, Static

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp
from jhe_tui.dialogs.edit_patient import EditPatientModal
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.dialogs.confirm import ConfirmModal

SIZE = (100, 30)


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner):
        self.inner, self.patches = inner, []

    async def handle_async_request(self, request):
        if request.method == "PATCH":
            self.patches.append((request.url.path, dict(request.url.params), request.content))
        return await self.inner.handle_async_request(request)


async def test_edit_sends_only_the_changes_and_keeps_the_email(backend, client, settle):
    transport = Recording(ASGITransport(app=backend.app))
    app = JheApp(JheClient(backend.site_url, backend.token_for("member"), transport=transport), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient = app.screen.table.cursor_item
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, EditPatientModal)
        email = modal.query_one("#field-email", Input)
        assert email.disabled and email.value == patient.telecom_email
        modal.query_one("#field-birth_date", Input).value = "1980-13-01"
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.screen is modal and "not a real date" in str(modal.query_one("#error-birth_date", Static).content)
        assert transport.patches == []
        modal.query_one("#field-birth_date", Input).value = patient.birth_date.isoformat()
        modal.query_one("#field-phone", Input).value = "+44 20 7946 0000"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        path, params, body = transport.patches[0]
        assert path == f"/api/v1/patients/{patient.id}" and params == {"organization_id": str(app.organization.id)}
        assert body == b'{"telecomPhone":"+44 20 7946 0000"}'
        assert (await client.patient(patient.id)).telecom_phone == "+44 20 7946 0000"
        assert app.screen.table.cursor_item.telecom_phone == "+44 20 7946 0000"


async def test_edit_and_remove_from_the_record(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient = app.screen.table.cursor_item
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, PatientDetailScreen)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-given", Input).value = "Renamed"
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.screen is detail and detail.patient.name_given == "Renamed"
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        app.screen.query_one("#answer", Input).value = str(patient.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert str(patient.id) not in app.screen.table._rows
        assert app.organization.id not in (await client.patient(patient.id)).organization_ids


async def test_a_message_under_a_field_goes_once_the_field_is_fixed(make_app, settle):
    """Issue 15 item 14: the message stayed under the field after it was fixed, until the next save."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        modal = app.screen
        phone, error = modal.query_one("#field-phone", Input), modal.query_one("#error-phone", Static)
        phone.value = "abc"
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert error.has_class("shown") and "7 digits" in str(error.content)
        phone.value = "+1 555 010 2030"
        await settle(pilot)
        assert not error.has_class("shown") and str(error.content) == ""
        phone.value = "12"  # a field not yet fixed keeps its message, brought up to date
        await pilot.press("ctrl+j")
        await settle(pilot)
        phone.value = "123"
        await settle(pilot)
        assert error.has_class("shown") and "7 digits" in str(error.content)


async def test_a_second_external_id_on_a_one_id_server_stays_typed_with_the_reason(backend, settle):
    """The demo (like v0.0.7) keeps one external id: a second is refused beside the field, not dropped."""
    transport = Recording(ASGITransport(app=backend.app))
    app = JheApp(JheClient(backend.site_url, backend.token_for("member"), transport=transport), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        modal.query_one("#field-external_id", Input).value = "MRN-1, urn:mrn|MRN-2"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal and transport.patches == []
        assert str(modal.query_one("#error-external_id", Static).content) == (
            "External id: this server keeps one per patient; enter only one.")
        assert modal.query_one("#field-external_id", Input).value == "MRN-1, urn:mrn|MRN-2"
