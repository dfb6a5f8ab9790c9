"""Edit a patient's details; the e-mail is their login, so it is shown but locked.

Only the fields the user changed are sent: JHE replaces identifiers wholesale and an
untouched field sent back could overwrite a concurrent change by someone else.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from jhe_tui.keymap import key_of
from jhe_tui import privacy
from jhe_tui.api import JheClient, JheError, Organization, Patient, PatientChanges
from jhe_tui.widgets.patient_form import PatientForm


class EditPatientModal(ModalScreen[Patient | None]):
    """Dismisses with the updated patient, or None when cancelled or nothing changed."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="edit.cancel", tooltip="Close; changes are not saved"),
        Binding("ctrl+j", "save", "Save", id="edit.save", tooltip="Save the changes (same as Enter)"),
    ]

    def __init__(self, client: JheClient, patient: Patient, organization: Organization) -> None:
        super().__init__()
        self._client = client
        self._patient = patient
        self._org = organization

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(
                f"Edit patient {self._patient.id} · {privacy.name(self._patient.display_name, privacy.is_on(self))}", classes="dialog-title", markup=False
            )
            yield Static(
                "The e-mail is the patient's login and cannot be changed here.", classes="dialog-line", markup=False
            )
            yield PatientForm(email=self._patient.telecom_email or "", patient=self._patient)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Label(f"Enter or {key_of(self, 'edit.save')} saves · Escape cancels", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(PatientForm).focus_first()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    @work(exclusive=True, exit_on_error=False)
    async def action_save(self) -> None:
        form = self.query_one(PatientForm)
        if not form.check():
            return
        changes = form.fields(only_changed=True)
        if not changes:
            self.dismiss(None)
            return
        dialog = self.query_one("#dialog")
        dialog.loading = True
        try:
            patient = await self._client.update_patient(self._patient.id, self._org.id, PatientChanges(**changes))
        except JheError as error:
            dialog.loading = False
            form.show_error(error)
            return
        self.dismiss(patient)
