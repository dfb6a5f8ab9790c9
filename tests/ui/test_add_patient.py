"""Add patient: e-mail look-up first, then add the existing patient or create a new one."""

from __future__ import annotations

import httpx
import pytest
from textual.widgets import Button, ContentSwitcher, Input, Static

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp

from jhe_tui.dialogs.add_patient import AddPatientModal
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.widgets.patient_form import PatientForm

SIZE = (100, 30)


async def outsider(client, org_id):
    """A patient of an organization where the demo manager has no role."""
    for patient_id in range(40040, 40061):
        patient = await client.patient(patient_id)
        if org_id not in patient.organization_ids:
            return patient
    raise AssertionError("the seed has no patient outside the organization")


async def open_modal(pilot, settle):
    await settle(pilot)
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, AddPatientModal)
    return pilot.app.screen


async def look_up(pilot, settle, email):
    pilot.app.screen.query_one("#lookup-email", Input).value = email
    await pilot.press("enter")
    await settle(pilot)


async def test_lookup_finds_a_patient_of_another_organization_and_adds_it(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        org = app.organization
        other = await outsider(client, org.id)
        await look_up(pilot, settle, other.telecom_email)
        assert modal.query_one("#steps", ContentSwitcher).current == "found"
        text = str(modal.query_one("#found-text", Static).content)
        assert f"patient id {other.id}" in text and "Add this patient" in text
        assert modal.query_one("#found-add", Button).display and not modal.query_one("#found-open", Button).display
        assert str(modal.query_one("#found-add", Button).label) == f"Add to {org.name}"
        await pilot.press("enter")  # the Add button has focus
        await settle(pilot)
        assert org.id in (await client.patient(other.id)).organization_ids
        # The console moves on to the patient's record (next step: an invitation).
        assert isinstance(app.screen, PatientDetailScreen) and app.screen.patient_id == other.id


async def test_lookup_of_a_patient_already_here_offers_to_open_them(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        here = (await client.patients(organization_id=app.organization.id)).items[0]
        await look_up(pilot, settle, here.telecom_email.upper())
        assert "already in" in str(modal.query_one("#found-text", Static).content)
        assert modal.query_one("#found-open", Button).display and not modal.query_one("#found-add", Button).display
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientDetailScreen) and app.screen.patient_id == here.id


async def test_bad_email_is_refused_beside_the_field(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        await look_up(pilot, settle, "not-an-email")
        error = modal.query_one("#lookup-error", Static)
        assert error.has_class("shown") and "not a valid address" in str(error.content)
        assert modal.query_one("#steps", ContentSwitcher).current == "lookup"


async def test_validation_errors_keep_the_form_open_with_what_was_typed(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        await look_up(pilot, settle, "new.patient@example.org")
        assert modal.query_one("#steps", ContentSwitcher).current == "create"
        form = modal.query_one(PatientForm)
        assert form.query_one("#field-email", Input).disabled
        typed = {"external_id": "MRN-1", "family": "Okoro", "given": "", "birth_date": "2023-02-30", "phone": "call me"}
        for name, value in typed.items():
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert isinstance(app.screen, AddPatientModal)
        errors = {name: str(form.query_one(f"#error-{name}", Static).content) for name in ("given", "birth_date", "phone")}
        assert errors == {
            "given": "Given name is missing.",
            "birth_date": "Date of birth is not a real date.",
            "phone": "Phone needs at least 7 digits; only + - ( ) . and spaces may go with them.",
        }
        assert {name: form.value(name) for name in typed} == typed
        assert await client.find_patient_by_email("new.patient@example.org") is None
        # A future date is refused too; fixing everything creates the patient.
        form.query_one("#field-birth_date", Input).value = "2999-01-01"
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert "future" in str(form.query_one("#error-birth_date", Static).content)
        for name, value in {"given": "Ada", "birth_date": "1980-01-31", "phone": "+1 555 010 9999"}.items():
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.press("enter")
        await settle(pilot)
        created = await client.find_patient_by_email("new.patient@example.org")
        assert created is not None and created.name_given == "Ada" and created.external_ids == "MRN-1"
        assert app.organization.id in created.organization_ids
        assert isinstance(app.screen, PatientDetailScreen)


class RefusingCreate(httpx.AsyncBaseTransport):
    """The demo, except that creating a patient gets a v0.0.13-style 400 answer."""

    def __init__(self, inner, body):
        self.inner, self.body = inner, body

    async def handle_async_request(self, request):
        if request.method == "POST" and request.url.path == "/api/v1/patients":
            return httpx.Response(400, json=self.body)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(
    ("body", "where", "sentence"),
    [
        (
            ["Could not save the patient because of a data conflict. Please check the values and try again."],
            "#form-problem",
            "data conflict",
        ),
        ({"birthDate": ["Enter a valid birth date (YYYY-MM-DD)."]}, "#error-birth_date", "Enter a valid birth date"),
    ],
)
async def test_server_refusal_is_shown_and_keeps_the_form(backend, settle, body, where, sentence):
    transport = RefusingCreate(ASGITransport(app=backend.app), body)
    app = JheApp(JheClient(backend.site_url, backend.token_for("manager"), transport=transport), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        await look_up(pilot, settle, "twin@example.org")
        form = modal.query_one(PatientForm)
        values = {"external_id": "MRN-7", "family": "Twin", "given": "Tom", "birth_date": "1990-05-05"}
        for name, value in values.items():
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert isinstance(app.screen, AddPatientModal)
        shown = [str(s.content) for s in form.query(".field-error.shown, .form-problem.shown")]
        assert len(shown) == 1 and sentence in shown[0] and "<" not in shown[0]
        assert form.query_one(where).has_class("shown")
        assert {name: form.value(name) for name in values} == values


async def test_back_to_lookup_and_escape_cancel(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        await look_up(pilot, settle, "someone@example.org")
        modal.query_one(PatientForm).query_one("#field-family", Input).value = "Kept"
        await pilot.press("ctrl+r")
        assert modal.query_one("#steps", ContentSwitcher).current == "lookup"
        await pilot.press("enter")  # same e-mail again: the form keeps what was typed
        await settle(pilot)
        assert modal.query_one(PatientForm).value("family") == "Kept"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AddPatientModal)
        assert await client.find_patient_by_email("someone@example.org") is None
