"""Add a patient: look the e-mail up across the whole exchange first, then add or create.

A patient is one login across organizations. Creating a second record for a known
e-mail fails on the server (a 500 on older versions), and the right move is to add the
existing patient to this organization; so the e-mail comes first and decides the path.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Input, Label, Static

from jhe_tui.keymap import key_of
from jhe_tui.api import JheClient, JheError, Organization, Patient, PatientDraft
from jhe_tui import patient_rules, privacy
from jhe_tui.widgets.patient_form import PatientForm


class AddPatientModal(ModalScreen[Patient | None]):
    """Dismisses with the patient now in the organization (or already in it), else None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="add.cancel", tooltip="Close; nothing is saved"),
        Binding("ctrl+j", "submit", "Save", id="add.submit", tooltip="Look up, add or create (same as Enter)"),
        Binding("ctrl+r", "back", "Other e-mail", id="add.back", tooltip="Back to the e-mail look-up"),
    ]

    def __init__(self, client: JheClient, organization: Organization) -> None:
        super().__init__()
        self._client = client
        self._org = organization
        self._found: Patient | None = None
        self._found_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(f"Add a patient to {self._org.name}", classes="dialog-title", markup=False)
            with ContentSwitcher(initial="lookup", id="steps"):
                with Vertical(id="lookup"):
                    yield Static(
                        "Type the patient's e-mail address. It is looked up across the whole exchange: "
                        "a patient who is already known elsewhere is added, not created twice.",
                        classes="dialog-line",
                        markup=False,
                    )
                    with Horizontal(classes="form-row"):
                        yield Label("E-mail *", classes="form-label")
                        yield Input(placeholder="name@example.org", id="lookup-email", compact=True)
                    yield Static("", id="lookup-error", classes="field-error", markup=False)
                    with Horizontal(classes="dialog-buttons"):
                        yield Button("Look up", id="lookup-go", variant="primary")
                        yield Button("Cancel", id="cancel")
                with Vertical(id="found"):
                    yield Static("", id="found-text", classes="dialog-line", markup=False)
                    with Horizontal(classes="dialog-buttons"):
                        yield Button(f"Add to {self._org.name}", id="found-add", variant="primary")
                        yield Button("Open patient", id="found-open", variant="primary")
                        yield Button("Other e-mail", id="back")
                with Vertical(id="create"):
                    yield Static(
                        f"No patient has this e-mail yet. Create one in {self._org.name}; "
                        "the e-mail becomes their login and cannot be changed later.",
                        classes="dialog-line",
                        markup=False,
                    )
                    yield Vertical(id="form-slot")
                    with Horizontal(classes="dialog-buttons"):
                        yield Button("Create patient", id="create-go", variant="primary")
                        yield Button("Other e-mail", id="back-create")
            yield Label(f"Enter or {key_of(self, 'add.submit')} continues · {key_of(self, 'add.back')} other e-mail · "
                        "Escape cancels", classes="dialog-hint", markup=False)

    @property
    def step(self) -> str:
        return self.query_one("#steps", ContentSwitcher).current or "lookup"

    def on_mount(self) -> None:
        self.query_one("#lookup-email", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#back")
    @on(Button.Pressed, "#back-create")
    def action_back(self) -> None:
        self.query_one("#steps", ContentSwitcher).current = "lookup"
        self.query_one("#lookup-email", Input).focus()

    @on(Button.Pressed, "#lookup-go")
    @on(Button.Pressed, "#found-add")
    @on(Button.Pressed, "#found-open")
    @on(Button.Pressed, "#create-go")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        {"lookup": self._look_up, "found": self._add_found, "create": self._create}[self.step]()

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#dialog").loading = busy

    @work(exclusive=True, exit_on_error=False)
    async def _look_up(self) -> None:
        email = self.query_one("#lookup-email", Input).value.strip()
        error_box = self.query_one("#lookup-error", Static)
        problem = patient_rules.email_problem(email)
        problem = patient_rules.sentence(problem) if problem else None
        if problem is None:
            self._set_busy(True)
            try:
                self._found = await self._client.find_patient_by_email(email)
            except JheError as error:
                problem = error.message
            finally:
                self._set_busy(False)
        error_box.update(problem or "")
        error_box.set_class(problem is not None, "shown")
        if problem is not None:
            self.query_one("#lookup-email", Input).focus()
        elif self._found is None:
            self._show_create_form(email)
        else:
            self._show_found(self._found)

    def _show_found(self, patient: Patient) -> None:
        where = ", ".join(f"{org.name or 'organization'} ({org.id})" for org in patient.organizations) or "no organization"
        already = self._org.id in patient.organization_ids
        masked = privacy.is_on(self)
        born = privacy.birth_date(patient.birth_date, masked) or "not recorded"
        lines = [
            "A patient with this e-mail already exists:",
            f"  {privacy.name(patient.display_name, masked)} · patient id {patient.id} · born {born}",
            f"  in: {where}",
            "",
            f"They are already in {self._org.name}. Open their record instead."
            if already
            else f"Add this patient to {self._org.name}? Their details are kept as they are.",
        ]
        self._found_text = "\n".join(lines)
        self.query_one("#found-text", Static).update(self._found_text)
        # Two buttons rather than one relabelled: a relabelled Button kept its old width.
        self.query_one("#found-add", Button).display = not already
        self.query_one("#found-open", Button).display = already
        button = self.query_one("#found-open" if already else "#found-add", Button)
        self.query_one("#steps", ContentSwitcher).current = "found"
        button.focus()

    def _show_create_form(self, email: str) -> None:
        slot = self.query_one("#form-slot", Vertical)
        existing = slot.query(PatientForm)
        # Going back to fix a typo in the e-mail keeps what was typed below it.
        self.query_one("#steps", ContentSwitcher).current = "create"
        if existing and existing.first().value("email") == email:
            existing.first().focus_first()
        else:
            existing.remove()
            slot.mount(PatientForm(email=email, focus=True))  # focused once its fields exist

    @work(exclusive=True, exit_on_error=False)
    async def _add_found(self) -> None:
        assert self._found is not None
        if self._org.id in self._found.organization_ids:
            self.dismiss(self._found)
            return
        self._set_busy(True)
        try:
            patient = await self._client.add_patient_to_organization(self._found.id, self._org.id)
        except JheError as error:
            self._set_busy(False)
            self.query_one("#found-text", Static).update(f"{self._found_text}\n\n⚠ {error.message}")
            return
        self.dismiss(patient)

    @work(exclusive=True, exit_on_error=False)
    async def _create(self) -> None:
        form = self.query_one(PatientForm)
        if not form.check():
            return
        self._set_busy(True)
        try:
            draft = PatientDraft(email=form.value("email"), **form.fields())
            result = await self._client.create_patient(self._org.id, draft)
        except JheError as error:
            self._set_busy(False)
            form.show_error(error)
            return
        self.dismiss(result.patient)
