"""Choose one patient of an organization by typing part of a name, an e-mail or an id.

JHE has no patient search, so the organization's patients are read a large page at a time and
matched here as each page arrives; the list shows the matches so far, and each keystroke starts
the scan again for the new text (the old one is cancelled). An id or a whole e-mail address is
also looked up directly, so one of another page shows at once. Generic: any screen that needs one
patient of an organization can use it.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from jhe_tui import privacy
from jhe_tui.api import JheClient, JheError, Patient

MAX_SHOWN = 50
SCAN_PAGE = 1000


def matches(patient: Patient, words: list[str]) -> bool:
    """Every typed word is in the patient's names, e-mail, external ids or id, in any order and case."""
    text = " ".join(
        str(part) for part in (patient.name_family, patient.name_given, patient.telecom_email,
                               patient.external_ids, patient.id) if part
    ).casefold()
    return all(word in text for word in words)


def _label(patient: Patient, masked: bool) -> str:
    email = f" · {privacy.email(patient.telecom_email, masked)}" if patient.telecom_email else ""
    return f"{privacy.name(patient.display_name, masked)} · patient {patient.id}{email}"


class PickPatientModal(ModalScreen[Patient | None]):
    """Dismisses with the chosen patient, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick.cancel", tooltip="Close without choosing")]

    def __init__(self, client: JheClient, organization_id: int, text: str = "", *, title: str = "Choose a patient") -> None:
        super().__init__()
        self._client = client
        self._org = organization_id
        self._text = text
        self._title = title
        self._shown: list[Patient] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(self._title, classes="dialog-title", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Patient", classes="form-label")
                yield Input(self._text, placeholder="part of a name, an e-mail or an id", id="pick-text", compact=True)
            yield Static("", id="pick-status", classes="dialog-line", markup=False)
            yield OptionList(id="pick-results", markup=False)
            yield Label("Type to narrow · Down to the list · Enter takes the highlighted patient · Escape closes",
                        classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#pick-text", Input).focus()
        self.scan(self._text)

    def action_cancel(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss(None)

    @on(Input.Changed, "#pick-text")
    def _changed(self, event: Input.Changed) -> None:
        self.scan(event.value)

    def key_down(self) -> None:
        """Down from the text box goes into the list; typing still edits the text."""
        results = self.query_one("#pick-results", OptionList)
        if self.query_one("#pick-text", Input).has_focus and results.option_count:
            results.focus()
            results.highlighted = 0

    @on(Input.Submitted, "#pick-text")
    def _submitted(self) -> None:
        results = self.query_one("#pick-results", OptionList)
        index = results.highlighted if results.highlighted is not None else 0
        if self._shown:
            self._take(index)

    @on(OptionList.OptionSelected, "#pick-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._take(event.option_index)

    def _take(self, index: int) -> None:
        if 0 <= index < len(self._shown):
            self.workers.cancel_node(self)
            self.dismiss(self._shown[index])

    def _show(self, found: list[Patient], status: str) -> None:
        self._shown = found
        masked = privacy.is_on(self)
        results = self.query_one("#pick-results", OptionList)
        results.clear_options()
        results.add_options([Option(_label(p, masked), id=str(p.id)) for p in found])
        results.display = bool(found)
        if found:
            results.highlighted = 0
        self.query_one("#pick-status", Static).update(status)

    @work(exclusive=True, group="scan", exit_on_error=False)
    async def scan(self, text: str) -> None:
        words = text.casefold().split()
        found: list[Patient] = []
        try:
            direct = await self._direct(text.strip())
            found += direct
            async for patient in self._client.iter_patients(self._org, page_size=SCAN_PAGE):
                if matches(patient, words) and all(p.id != patient.id for p in found):
                    found.append(patient)
                    if len(found) % 10 == 0:
                        self._show(found, f"{len(found):,} so far, still reading…")
                if len(found) >= MAX_SHOWN:
                    self._show(found, f"The first {MAX_SHOWN} matches; type more to narrow.")
                    return
        except JheError as failure:
            self._show(found, f"The patients could not be read: {failure.message}")
            return
        noun = "patient matches" if len(found) == 1 else "patients match"
        self._show(found, f"{len(found):,} {noun}." if found else "No patient of this organization matches.")

    async def _direct(self, text: str) -> list[Patient]:
        """The patient an id or an e-mail names, if they belong to the organization."""
        try:
            if text.isdigit():
                patient = await self._client.patient(int(text))
            elif "@" in text and " " not in text:
                patient = await self._client.find_patient_by_email(text)
            else:
                return []
        except JheError:
            return []
        if patient is None or (patient.organizations and self._org not in {o.id for o in patient.organizations}):
            return []
        return [patient]
