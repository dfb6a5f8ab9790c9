"""Studies: what each asks for, who is enrolled, and who has stopped sending data.

The web console listed at most 20 studies and nothing about enrolment or consent progress. Here
every study of the organization is listed (all pages), with its description, requested data types
and data sources, and a roster: each enrolled patient's consent answer per requested data type,
when data of that type last arrived ("last data"), and a mark on patients silent for more than N
days (3 by default; change it in the box at the top, f). Enroll (+, a searchable multi-select
picker of the organization's patients) and remove (-) work from the roster. Studies are set up
here too (``study_actions``): c creates one, e edits, D deletes, t and h choose its data types and
data sources, A its patient apps (v0.0.13), each where JHE's permission table allows it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import DataTable, Input, Label, Static

from jhe_tui.api import (
    CodeableConcept,
    DataSource,
    JheError,
    NotFound,
    Organization,
    Patient,
    ScopeConsent,
    ScopeRequest,
    Study,
)
from jhe_tui.api.admin_rules import AdminRules
from jhe_tui.api.text import counted
from jhe_tui.screens.study_actions import SET_UP, StudySetUp
from jhe_tui.jobs.triage import RosterEntry, roster_entries
from jhe_tui.screens.navigation import ShowObservations, patient_record
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.screens.patient_flows import remove_from_study
from jhe_tui.dialogs.patient_picker import PatientPickerModal
from jhe_tui.widgets.clock import ago, now
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.loading import loading_after
from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.paged_table import PagedTable, Row
from jhe_tui.widgets.table import ConsoleTable

DEFAULT_SILENT_DAYS = 3
WRITES = frozenset({"enroll", "unenroll"})


def consent_cell(consent: ScopeConsent | None, last: datetime | None, at: datetime) -> str:
    if consent is None or consent.consented is None:
        state = "… pending"
    elif consent.consented:
        state = "✓"
    else:
        state = "✗ declined"
    if consent is not None and consent.consented:
        return f"{state} {ago(last, at) if last else 'no data'}"
    return state + (f" · {ago(last, at)}" if last else "")


class StudiesScreen(StudySetUp, ConsoleScreen[None]):
    TITLE = "Studies"
    DEFAULT_CSS = """
    StudiesScreen #context > #silent-days { width: 6; margin-right: 1; background: $boost; }
    StudiesScreen #context > #silent-label { width: auto; padding: 0 2 0 0; }
    StudiesScreen #study-list { height: auto; max-height: 8; margin: 1 1 1 1; }
    StudiesScreen #study-info { height: auto; max-height: 6; margin: 0 1; padding: 0 1; border-left: thick $primary; }
    StudiesScreen #roster-summary { margin: 0 1; color: $text-accent; }
    StudiesScreen #roster { margin-top: 0; }
    """
    BINDINGS = [
        Binding("plus", "enroll", "Enroll", key_display="+", id="studies.enroll", tooltip="Enroll patients of the organization in this study (type to find, space ticks)"),
        Binding("minus", "unenroll", "Leave study", key_display="-", id="studies.remove", tooltip="Remove the patient under the cursor (or the ticked ones) from this study"),
        Binding("b", "observations", "Observations", id="studies.observations", tooltip="Open this patient's observations in this study (F4)"),
        Binding("q", "only_silent", "Quiet only", id="studies.silent", tooltip="Show only quiet (silent) patients on this page, or everyone"),
        Binding("o", "pick('#organization')", "Organization", show=False, id="studies.organization", tooltip="Choose the organization"),
        Binding("f", "focus('#silent-days')", "Silent after", show=False, id="studies.silent_days", tooltip="Change the number of days without data after which a patient is marked silent"),
        Binding("r", "reload", "Reload", show=False, id="studies.reload", tooltip="Load the study and its roster again"),
        Binding("c", "create_study", "New study", show=False, id="studies.create", tooltip="Create a study in this organization"),
        Binding("e", "edit_study", "Edit study", show=False, id="studies.edit", tooltip="Change the study's name, description or icon"),
        Binding("D", "delete_study", "Delete study", key_display="D", show=False, id="studies.delete", tooltip="Delete the study (shows what goes with it first)"),
        Binding("t", "data_types", "Data types", id="studies.data_types", tooltip="Add or remove the data types the study requests"),
        Binding("h", "data_sources", "Data sources", show=False, id="studies.data_sources", tooltip="Add or remove the study's data sources"),
        Binding("A", "patient_apps", "Patient apps", key_display="A", show=False, id="studies.apps", tooltip="Add or remove the patient apps invitations are issued for (JHE v0.0.13)"),
    ]

    # The study whose roster is shown: enroll, remove, observations and silent-only need one.
    study: var[Study | None] = var(None, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.studies: list[Study] = []
        self.scopes: list[CodeableConcept] = []
        self.sources: list[DataSource] = []
        self.silent_days = DEFAULT_SILENT_DAYS
        self.only_silent = False
        self.entries: list[RosterEntry] = []
        self.rules: AdminRules | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="context"):
            yield from self.compose_organization()
            yield Label("Silent after", classes="context-label")
            yield Input(str(DEFAULT_SILENT_DAYS), id="silent-days", type="integer", compact=True)
            yield Label("days", id="silent-label")
        table: ConsoleTable[Text] = ConsoleTable(cursor_type="row", zebra_stripes=True, id="study-list")
        table.add_columns("ID", "Study", "Description")
        yield table
        yield Static("", id="study-info", markup=False)
        yield Static("", id="roster-summary", markup=False)
        yield PagedTable(("ID", "Patient"), noun="enrolled patient", id="roster")
        yield ErrorPanel(id="error")
        yield from self.compose_footer()

    @property
    def roster(self) -> PagedTable:
        return self.query_one("#roster", PagedTable)

    def on_mount(self) -> None:
        self.query_one("#study-list", DataTable).focus()
        self.load_session()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SET_UP:
            return None if self._set_up_refusal(action) else True
        if action in WRITES and not self.console.can_write:
            return None
        if action in ("enroll", "unenroll", "observations", "only_silent") and self.study is None:
            return None
        rosters = self.query(PagedTable)
        if action in ("unenroll", "observations") and rosters:
            roster = rosters.first()
            if roster.cursor_item is None and not roster.selected:
                return None
        return True

    def disabled_reason(self, action: str) -> str | None:
        if action in SET_UP:
            return self._set_up_refusal(action)
        if action in WRITES and not self.console.can_write:
            return self.console.read_only_reason
        if self.study is None:
            return "choose a study first"
        return "there is no patient on this page"

    # --- organization and studies ---------------------------------------------------------------

    @work(exclusive=True, group="session", exit_on_error=False)
    async def load_session(self) -> None:
        current = self.console.organization
        chosen = await self.load_organizations(current.id if current else None)
        self.rules = await self.console.client.admin_rules()
        if chosen is not None:
            self.take_organization(chosen)

    def show_organization(self, org: Organization) -> None:
        self.study = None
        self.entries = []
        self.load_studies(org)

    @work(exclusive=True, group="studies", exit_on_error=False)
    async def load_studies(self, org: Organization) -> None:
        table = self.query_one("#study-list", DataTable)
        error = self.query_one("#error", ErrorPanel)
        error.hide()
        try:
            with loading_after(table):
                studies = await self.console.client.studies(org.id)
        except JheError as failure:
            error.show("Loading studies", failure.message)
            return
        self.studies = studies
        table.clear()
        for s in studies:
            table.add_row(Text(str(s.id)), Text(s.name), Text((s.description or "").splitlines()[0] if s.description else ""),
                          key=str(s.id))
        info = self.query_one("#study-info", Static)
        if not studies:
            info.update(f"{org.name} has no studies. c creates one (a manager or member of {org.name}).")
            self.roster.display = False
            self.query_one("#roster-summary", Static).update("")
            return
        self.roster.display = True
        # After a change to a study (or a reload) the same study stays open.
        index = next((i for i, s in enumerate(studies) if self.study is not None and s.id == self.study.id), 0)
        table.move_cursor(row=index)
        self._open_study(studies[index])

    @on(DataTable.RowHighlighted, "#study-list")
    def _study_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        study = next((s for s in self.studies if str(s.id) == event.row_key.value), None)
        if study is not None and study != self.study:
            self._open_study(study)

    @on(DataTable.RowSelected, "#study-list")
    def _study_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.roster.data_table.focus()

    def _open_study(self, study: Study) -> None:
        self.study = study
        self.scopes = []
        self.roster.reset()
        self.load_study(study)

    @work(exclusive=True, group="study", exit_on_error=False)
    async def load_study(self, study: Study) -> None:
        client = self.console.client
        info = self.query_one("#study-info", Static)
        try:
            requests, sources = await asyncio.gather(
                client.study_scope_requests(study.id), client.study_data_sources(study.id)
            )
        except JheError as failure:
            info.update(f"⚠ The study's data types could not be loaded: {failure.message}")
            return
        if self.study != study:
            return
        self.scopes = [r.scope_code for r in requests]
        self.sources = sources
        info.update(self._info_text(study, requests, sources))
        self._rebuild_roster_columns()
        self.load_roster()

    @staticmethod
    def _info_text(study: Study, requests: list[ScopeRequest], sources: list[DataSource]) -> str:
        scopes = ", ".join(f"{r.scope_code.display} ({r.scope_code.coding_code})" for r in requests) or "none"
        devices = ", ".join(f"{d.name} ({d.type})" if d.type else d.name for d in sources) or "none linked"
        return (
            f"{study.name} (study {study.id}): {study.description or 'no description'}\n"
            f"Requests: {scopes}\nData sources: {devices}"
        )

    def _rebuild_roster_columns(self) -> None:
        """Status and the newest data of any type first (they must survive a narrow terminal), then
        one column per requested data type: the consent answer and when that type last arrived."""
        self.roster.data_table.set_labels(["", "ID", "Patient", "Status", "Last data", *(s.display for s in self.scopes)])

    # --- roster ---------------------------------------------------------------------------------

    @on(PagedTable.PageRequested, "#roster")
    def _page_requested(self) -> None:
        self.load_roster()

    @work(exclusive=True, group="roster", exit_on_error=False)
    async def load_roster(self) -> None:
        study, org = self.study, self.console.organization
        if study is None or org is None:
            return
        table, error = self.roster, self.query_one("#error", ErrorPanel)
        error.hide()
        client = self.console.client
        try:
            with loading_after(table.data_table):
                page = await client.patients(org.id, study.id, page=table.page, page_size=table.page_size)
                entries = await roster_entries(client, page.items, study.id, self.scopes)
        except JheError as failure:
            if isinstance(failure, NotFound) and table.page > 1:
                table.reset()
                self.load_roster()
                return
            error.show("Loading the roster", failure.message)
            return
        if self.study != study:
            return
        self.entries = entries
        self._show_roster(page.count)

    def _show_roster(self, count: int | None = None) -> None:
        at = now()
        shown = [e for e in self.entries if e.silent(self.silent_days, at)] if self.only_silent else self.entries
        rows = []
        for e in shown:
            if e.silent(self.silent_days, at):
                status = f"⚠ silent > {self.silent_days} d" if e.latest else "⚠ no data yet"
            elif not e.consented_any:
                status = "no consent"
            else:
                status = "sending"
            last = ago(e.latest, at) if e.latest else "never"
            cells = [str(e.id), Sensitive(e.patient.display_name, "name"), status, last]
            cells += [consent_cell(e.consents[s.key], e.last_data[s.key], at) for s in self.scopes]
            rows.append(Row(key=str(e.id), item=e.patient, cells=tuple(cells)))
        self.roster.show_rows(rows, self.roster.count if count is None else count)
        silent = sum(1 for e in self.entries if e.silent(self.silent_days, at))
        org = self.console.organization
        if not self.roster.count and self.study is not None and org is not None:
            self.query_one("#roster-summary", Static).update(
                f"No patient is enrolled in {self.study.name} yet. + enrolls patients of {org.name}."
            )
            return
        which = "showing only those" if self.only_silent else "q shows only those"
        self.query_one("#roster-summary", Static).update(
            f"Roster page {self.roster.page}: {silent} of {counted(len(self.entries), 'patient')} silent for more "
            f"than {counted(self.silent_days, 'day')} ({which}). Enter opens a patient, b their observations."
        )

    @on(Input.Changed, "#silent-days")
    def _silent_days_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text.isdigit() and 0 < int(text) <= 3650 and int(text) != self.silent_days:
            self.silent_days = int(text)
            if self.entries:
                self._show_roster()

    @on(Input.Submitted, "#silent-days")
    def _silent_days_done(self) -> None:
        self.roster.data_table.focus()

    def action_only_silent(self) -> None:
        self.only_silent = not self.only_silent
        self._show_roster()

    def action_reload(self) -> None:
        if self.study is not None:
            self._open_study(self.study)
        elif self.console.organization is not None:
            self.load_studies(self.console.organization)
        else:
            self.load_session()

    # --- actions on the roster --------------------------------------------------------------------

    @on(PagedTable.Opened, "#roster")
    def _open_patient(self, event: PagedTable.Opened) -> None:
        org = self.console.organization
        assert org is not None

        def closed(changed: bool | None) -> None:
            if changed:
                self.load_roster()

        self.app.push_screen(patient_record(self.console.client, event.item.id, org), closed)

    def action_observations(self) -> None:
        patient, study = self.roster.cursor_item, self.study
        if patient is not None and study is not None:
            self.post_message(ShowObservations(study.id, patient.id))

    def _chosen(self) -> list[Patient]:
        if self.roster.selected:
            return list(self.roster.selected.values())
        item = self.roster.cursor_item
        return [item] if item is not None else []

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_enroll(self) -> None:
        study, org = self.study, self.console.organization
        if study is None or org is None:
            return
        client = self.console.client
        outcome = {}

        async def enroll(patients: list[Patient]) -> None:
            outcome["result"] = await client.enroll_patients(study.id, [p.id for p in patients])

        chosen = await self.app.push_screen_wait(
            PatientPickerModal(
                client,
                org,
                title=f"Enroll in {study.name}",
                intro=f"Enroll patients of {org.name} in {study.name} (study {study.id}). "
                "They are then asked to consent to each data type the study requests.",
                verb="enrolls",
                apply=enroll,
                exclude_study=study.id,
            )
        )
        if chosen is None:
            return
        result = outcome["result"]
        already = f"; {len(result.already_enrolled)} already were" if result.already_enrolled else ""
        self.notify(f"Enrolled {len(result.enrolled)} in {study.name}{already}.", markup=False)
        self.load_roster()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_unenroll(self) -> None:
        study, patients = self.study, self._chosen()
        if study is None or not patients:
            return
        if not await remove_from_study(self, self.console.client, patients, study):
            return
        self.roster.selected.clear()
        self.load_roster()
