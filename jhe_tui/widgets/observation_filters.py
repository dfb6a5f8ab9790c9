"""The Observations screen's filter bar: patient, data type, data source and dates, read back as
one ``ObservationQuery`` (or a readable reason why the boxes describe none)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from jhe_tui.api import CodeableConcept, JheClient, Organization, Patient
from jhe_tui.dialogs.find_patient import FindPatientModal
from jhe_tui.jobs.observations import ObservationQuery


def parse_day(text: str) -> date | None:
    """'' -> None; raises ValueError for anything but YYYY-MM-DD."""
    text = text.strip()
    return date.fromisoformat(text) if text else None


class ObservationFilters(Vertical):
    """Who and what on one line, the dates beside them, or under them on a narrow screen (whose
    class is ``-narrow``, see ``NARROW``). Its boxes keep the ids the screen's keys and tests use:
    #patient, #code, #source, #since, #until."""

    NARROW = 96  # columns below which the dates go on a line of their own
    SCOPED_CSS = False  # the narrow rule starts at the screen's class
    DEFAULT_CSS = """
    ObservationFilters { layout: horizontal; height: 1; margin: 1 1 0 1; }
    .-narrow ObservationFilters { layout: vertical; height: 2; }
    ObservationFilters > Horizontal { height: 1; }
    ObservationFilters > #filter-what { width: 1fr; }
    ObservationFilters > #filter-when { width: auto; }
    ObservationFilters .context-label { padding: 0 1 0 0; text-style: bold; }
    ObservationFilters Input { width: 11; margin-right: 1; background: $boost; }
    ObservationFilters #patient { width: 12; }
    ObservationFilters #until { margin-left: 1; }
    ObservationFilters Select { width: 1fr; margin-right: 1; }
    ObservationFilters SelectCurrent { border: none; height: 1; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sources: set[str] = set()

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-what"):
            yield Label("Patient", classes="context-label")
            yield Input(placeholder="id or name", id="patient", compact=True)
            yield Label("Type", classes="context-label")
            yield Select[str]([], prompt="All types", allow_blank=True, id="code")
            yield Label("Source", classes="context-label")
            yield Select[str]([], prompt="All sources", allow_blank=True, id="source")
        with Horizontal(id="filter-when"):
            yield Label("Dates", classes="context-label")
            yield Input(placeholder="YYYY-MM-DD", id="since", compact=True)
            yield Label("to")
            yield Input(placeholder="YYYY-MM-DD", id="until", compact=True)

    @property
    def patient_text(self) -> str:
        return self.query_one("#patient", Input).value.strip()

    def set_patient(self, patient_id: int | None) -> None:
        self.query_one("#patient", Input).value = str(patient_id) if patient_id else ""

    async def pick_patient(self, client: JheClient, organization: Organization) -> Patient | None:
        """The finder, searching for the name typed in the box if any; the chosen patient goes in the box."""
        text = self.patient_text
        picker = FindPatientModal(client, organization, text="" if text.isdigit() else text,
                                  title="Observations of which patient?", takes="shows the observations")
        patient = await self.app.push_screen_wait(picker)
        if patient is not None:
            self.set_patient(patient.id)
        return patient

    def set_dates(self, since: date | None, until: date | None) -> None:
        self.query_one("#since", Input).value = since.isoformat() if since else ""
        self.query_one("#until", Input).value = until.isoformat() if until else ""

    def set_codes(self, concepts: Iterable[CodeableConcept]) -> None:
        self.query_one("#code", Select).set_options([(c.display, "|".join(c.key)) for c in concepts])

    def add_sources(self, names: Iterable[str]) -> None:
        """Offer these data sources too (from the studies, and as pages show them); the choice stays."""
        new = {name for name in names if name} - self._sources
        if not new:
            return
        self._sources |= new
        select = self.query_one("#source", Select)
        chosen = select.value
        with self.prevent(Select.Changed):
            select.set_options([(name, name) for name in sorted(self._sources, key=str.casefold)])
            if chosen is not Select.NULL:
                select.value = chosen

    def read(self, organization_id: int, study_id: int | None) -> ObservationQuery:
        """The query the boxes describe; ValueError with a readable reason when one is wrong."""
        code = self.query_one("#code", Select).value
        source = self.query_one("#source", Select).value
        patient = self.patient_text
        if patient and not patient.isdigit():
            raise ValueError(f"Press Enter in the patient box (or w) to choose the patient {patient!r} names.")
        try:
            since = parse_day(self.query_one("#since", Input).value)
        except ValueError:
            raise ValueError("The first day must be a date like 2026-01-31.") from None
        try:
            until = parse_day(self.query_one("#until", Input).value)
        except ValueError:
            raise ValueError("The last day must be a date like 2026-01-31.") from None
        if since and until and since > until:
            raise ValueError(f"The date range starts after it ends ({since} is after {until}); fix either day.")
        return ObservationQuery(
            organization_id=organization_id,
            study_id=study_id,
            patient_id=int(patient) if patient else None,
            code=None if code is Select.NULL else str(code),
            since=since,
            until=until,
            source=None if source is Select.NULL else str(source),
        )
