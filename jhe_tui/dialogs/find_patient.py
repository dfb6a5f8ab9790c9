"""Find a patient of the organization by id, e-mail, name or external id.

JHE has no patient search: only a list by organization and study, a record by id and an
exact e-mail lookup across the exchange. So an id or an e-mail goes straight to the server,
and anything else is matched while the organization's pages stream past, a large page at a
time, stopping once enough matches are found; Escape stops the scan at any moment.

The query box keeps the focus throughout, so typing always edits the query: up and down move the
highlight in the results, and Enter opens the highlighted patient while the box still holds the
query that found them (once the query changes, Enter searches again). Any screen that needs one
patient of an organization uses it (the list opens the record, the observations filter on them).
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
from jhe_tui.api import JheClient, JheError, NotFound, Organization, Patient

MAX_MATCHES = 50


def matches(patient: Patient, words: list[str]) -> bool:
    """Every typed word appears in the names or external ids, in any order and case."""
    text = " ".join(
        part for part in (patient.name_family, patient.name_given, patient.external_ids) if part
    ).casefold()
    return all(word in text for word in words)


def _label(patient: Patient, masked: bool) -> str:
    born = f" · born {privacy.birth_date(patient.birth_date, masked)}" if patient.birth_date else ""
    ids = f" · {privacy.identifier(patient.external_ids, masked)}" if patient.external_ids else ""
    return f"{privacy.name(patient.display_name, masked)} · patient {patient.id}{born}{ids}"


class FindPatientModal(ModalScreen[Patient | None]):
    """Dismisses with the chosen patient, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="find.cancel", tooltip="Stop searching and close"),
        Binding("down", "move(1)", "Next result", show=False, priority=True, id="find.down", tooltip="Highlight the next result"),
        Binding("up", "move(-1)", "Previous result", show=False, priority=True, id="find.up", tooltip="Highlight the previous result"),
    ]

    def __init__(self, client: JheClient, organization: Organization, study_id: int | None = None, *,
                 text: str = "", title: str | None = None, takes: str = "opens the record") -> None:
        super().__init__()
        self._client = client
        self._org = organization
        self._study_id = study_id
        self._text = text  # searched for at once (a name typed in a filter box)
        self._title = title or f"Find a patient in {'this study' if study_id else organization.name}"
        self._takes = takes  # what Enter does with the patient, as the status line says it
        self._found: list[Patient] = []
        self._searched: str | None = None  # the query the results on show answer

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(self._title, classes="dialog-title", markup=False)
            yield Static(
                "A patient id or an e-mail address is looked up directly; "
                "a name or an external id is matched page by page.",
                classes="dialog-line",
                markup=False,
            )
            with Horizontal(classes="form-row"):
                yield Label("Find", classes="form-label")
                yield Input(self._text, placeholder="40015, name@example.org, Rossi Noah, MRN-123", id="find-text",
                            compact=True)
            yield Static("", id="find-status", classes="dialog-line", markup=False)
            yield OptionList(id="find-results", markup=False)
            yield Label(f"Enter searches, then {self._takes} of the highlighted patient · ↑ ↓ choose · Escape closes",
                        classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        results = self.query_one("#find-results", OptionList)
        results.display = False
        results.can_focus = False  # the query box keeps the keys; a click still opens a result
        if self._text.strip():
            self._search(self._text.strip())

    def action_cancel(self) -> None:
        self.workers.cancel_all()
        self.dismiss(None)

    def action_move(self, step: int) -> None:
        results = self.query_one("#find-results", OptionList)
        if results.option_count:
            current = results.highlighted if results.highlighted is not None else -step
            results.highlighted = min(max(current + step, 0), results.option_count - 1)

    @on(Input.Submitted, "#find-text")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        highlighted = self.query_one("#find-results", OptionList).highlighted
        if text and text == self._searched and self._found and highlighted is not None:
            self.dismiss(self._found[highlighted])
        elif text:
            self._search(text)

    @on(OptionList.OptionSelected, "#find-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._found[event.option_index])

    def _status(self, text: str) -> None:
        self.query_one("#find-status", Static).update(text)

    def _show(self, patients: list[Patient]) -> None:
        self._found = patients
        results = self.query_one("#find-results", OptionList)
        masked = privacy.is_on(self)
        results.set_options(Option(_label(p, masked)) for p in patients)
        results.display = bool(patients)
        if patients:
            results.highlighted = 0

    @work(exclusive=True, exit_on_error=False)
    async def _search(self, text: str) -> None:
        self._show([])
        self._searched = text
        try:
            if text.isdigit():
                await self._by_id(int(text))
            elif "@" in text:
                await self._by_email(text)
            else:
                await self._by_words(text.casefold().split())
        except JheError as error:
            self._status(error.message)

    def _here(self, patient: Patient) -> bool:
        return self._org.id in patient.organization_ids

    async def _by_id(self, patient_id: int) -> None:
        self._status(f"Looking up patient {patient_id}...")
        try:
            patient = await self._client.patient(patient_id)
        except NotFound:
            self._status(f"There is no patient {patient_id} that you can see.")
            return
        self._offer(patient)

    async def _by_email(self, email: str) -> None:
        shown = privacy.email(email, privacy.is_on(self))
        self._status(f"Looking up {shown}...")
        patient = await self._client.find_patient_by_email(email)
        if patient is None:
            self._status(f"No patient has the e-mail {shown}. Press a on the list to add them.")
            return
        self._offer(patient)

    def _offer(self, patient: Patient) -> None:
        if self._here(patient):
            self._status(f"Found. Enter {self._takes}.")
            self._show([patient])
        else:
            self._status(
                f"Patient {patient.id} is not in {self._org.name}. "
                "To add them here, press a on the list and look up their e-mail."
            )

    async def _by_words(self, words: list[str]) -> None:
        found: list[Patient] = []
        seen = 0
        self._status("Searching...")
        async for patient in self._client.iter_patients(self._org.id, self._study_id):
            seen += 1
            if matches(patient, words):
                found.append(patient)
                if len(found) >= MAX_MATCHES:
                    break
            if seen % 1000 == 0:
                self._status(f"Searching... {seen:,} patients checked, {len(found)} found")
        more = f" (the first {MAX_MATCHES}; type more to narrow)" if len(found) >= MAX_MATCHES else ""
        self._status(f"{len(found)} found among {seen:,} patients checked{more}." if found else f"No match among {seen:,} patients.")
        self._show(found)
