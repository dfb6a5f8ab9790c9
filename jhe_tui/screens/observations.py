"""Observations: what data arrived, for whom, filtered, readable, charted and exported.

The web console printed raw JSON with only organization and study filters. Here every row reads
like a chart entry ("120/80 mmHg", "98 mg/dL") and names its data source, filters cover patient
(by id, or chosen by name), data type, data source and dates, the detail pane shows the decoded
fields next to the raw Open mHealth JSON, the type and patient of the row under the cursor can be
charted, and whatever is filtered (or only the ticked rows) can be exported without leaving it.

Where the server cannot filter (JHE before v0.0.13 knows only organization, study and patient; no
server knows the data source), pages are filtered here and the screen says so (see
``jhe_tui.jobs.observations``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from rich.console import RenderableType
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Input, Select, Static

from jhe_tui import privacy
from jhe_tui.api import CodeableConcept, FhirObservation, JheError, NotFound, Organization, Study
from jhe_tui.dialogs.chart import ChartModal
from jhe_tui.dialogs.export import ExportModal, ExportRequest
from jhe_tui.jobs.observations import ObservationQuery, Plan, names_of, plan_for, readings, screen_page, source_of
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.widgets.clock import now
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.loading import loading_after
from jhe_tui.widgets.observation_filters import ObservationFilters
from jhe_tui.widgets.observation_rows import COLUMNS, ObservationDetail, observation_row, patient_label, renamed
from jhe_tui.widgets.paged_table import PagedTable
from jhe_tui.widgets.row_table import RowTable

DATE_PRESETS = (None, 7, 30, 90)  # "l" cycles: all dates, then the last N days
CHART_LIMIT = 20_000


class ObservationsScreen(ConsoleScreen[None]):
    TITLE = "Observations"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (ObservationFilters.NARROW, "-wide")]
    DEFAULT_CSS = "ObservationsScreen #observations { margin-top: 1; }"
    BINDINGS = [
        Binding("v", "toggle_detail", "Detail", id="observations.detail",
                tooltip="Show or hide the decoded fields and raw JSON of the row under the cursor"),
        Binding("c", "chart", "Chart", id="observations.chart",
                tooltip="Chart the data type and patient of the row under the cursor over the date range"),
        Binding("x", "export", "Export", id="observations.export",
                tooltip="Export the ticked rows, or if none every observation matching the filters "
                        "(CSV, NDJSON or FHIR Bundle)"),
        Binding("l", "next_range", "Last N days", id="observations.range",
                tooltip="Cycle the date range: all, last 7, 30, 90 days"),
        Binding("o", "pick('#organization')", "Organization", show=False, id="observations.organization",
                tooltip="Choose the organization"),
        Binding("s", "pick('#study')", "Study", show=False, id="observations.study", tooltip="Filter by a study"),
        Binding("w", "pick_patient", "Patient", show=False, id="observations.patient",
                tooltip="Choose the patient by name, e-mail or id (or type an id in the box, then Enter)"),
        Binding("t", "pick('#code')", "Data type", show=False, id="observations.code",
                tooltip="Filter by a data type"),
        Binding("h", "pick('#source')", "Source", show=False, id="observations.source",
                tooltip="Filter by the data source (the device or app that sent the readings)"),
        Binding("f", "focus('#since')", "Dates", show=False, id="observations.dates",
                tooltip="Type a date range (YYYY-MM-DD), then Enter"),
        Binding("r", "reload", "Reload", show=False, id="observations.reload",
                tooltip="Load this page again (also retries after an error)"),
    ]

    # What the filters describe; chart and export need one.
    query_: var[ObservationQuery | None] = var(None, bindings=True)
    # Why the filters describe no query (a backwards range, a day that is not a date): nothing is
    # listed, charted or exported until it is fixed.
    refused: var[str | None] = var(None, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.studies: list[Study] = []
        self.concepts: list[CodeableConcept] = []
        self.names: dict[int, str] = {}
        self.plan: Plan | None = None
        self._preset = 0
        self._exporting = False
        self._pending: tuple[int | None, int | None] | None = None  # (study, patient) from show_for

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="context"):
            yield from self.compose_selectors()
        yield ObservationFilters(id="filters")
        yield Static("", id="notice", markup=False)
        yield PagedTable(COLUMNS, noun="observation", id="observations")
        yield ObservationDetail(id="observation-detail")
        yield ErrorPanel(id="error")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#observations", PagedTable)

    @property
    def filters(self) -> ObservationFilters:
        return self.query_one("#filters", ObservationFilters)

    @property
    def detail(self) -> RenderableType | None:
        """What the detail pane shows (decoded fields and raw JSON), once it has shown a row."""
        return self.query_one("#observation-detail", ObservationDetail).shown_detail

    @property
    def types(self) -> dict[tuple[str, str], str]:
        return {c.key: c.display for c in self.concepts}

    def on_mount(self) -> None:
        self.table.data_table.focus()
        self.load_session()

    def privacy_changed(self, masked: bool) -> None:
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action in ("chart", "export") and (self.query_ is None or self.refused) else True

    def disabled_reason(self, action: str) -> str | None:
        return self.refused if action in ("chart", "export") else None

    # --- session, organization, studies, data types -----------------------------------------

    @work(exclusive=True, group="session", exit_on_error=False)
    async def load_session(self) -> None:
        current = self.console.organization
        chosen = await self.load_organizations(current.id if current else None)
        if chosen is None:
            self.table.display = False
            return
        try:
            concepts = await self.console.client.codeable_concepts()
        except JheError as failure:
            self.table.display = False
            self.query_one("#error", ErrorPanel).show("Loading the data types", failure.message)
            return
        self.concepts = concepts
        self.filters.set_codes(concepts)
        self.take_organization(chosen)

    def show_organization(self, org: Organization) -> None:
        self.studies = []
        study = self.query_one("#study", Select)
        study.set_options([])
        pending = self._pending
        if pending is None:
            self.filters.set_patient(None)  # patient ids belong to an organization
        self.query_ = ObservationQuery(org.id)
        self._apply_filters()
        self.load_studies(org, pending)

    @work(exclusive=True, group="studies", exit_on_error=False)
    async def load_studies(self, org: Organization, pending: tuple[int | None, int | None] | None) -> None:
        client = self.console.client
        try:
            studies = await client.studies(org.id)
            sources = await asyncio.gather(*(client.study_data_sources(s.id) for s in studies))
        except JheError as failure:
            self.notify(f"The study list could not be loaded: {failure.message}", severity="warning", markup=False)
            return
        self.studies = studies
        self.filters.add_sources(d.name for linked in sources for d in linked)
        select = self.query_one("#study", Select)
        with self.prevent(Select.Changed):
            select.set_options([(f"{s.name} ({s.id})", s.id) for s in studies])
            if pending and pending[0] in {s.id for s in studies}:
                select.value = pending[0]
        if pending:
            self._pending = None
            self._apply_filters()

    def show_for(self, study_id: int | None, patient_id: int | None, code: str | None = None) -> None:
        """Open with filters set (from a study roster of the console's organization): study,
        patient, data type."""
        self._pending = (study_id, patient_id)
        self.filters.set_patient(patient_id)
        if code is not None:
            with self.prevent(Select.Changed):
                self.query_one("#code", Select).value = code
        org = self.console.organization
        if self.query_ is None or org is None:
            return  # still signing in: load_session picks the organization up
        self.choose_in_selector(org)
        self.take_organization(org)

    # --- filters ------------------------------------------------------------------------------

    @on(Select.Changed, "#study")
    @on(Select.Changed, "#code")
    @on(Select.Changed, "#source")
    def _select_filter_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._apply_filters()

    @on(Input.Submitted, "#patient, #since, #until")
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "patient" and self.filters.patient_text and not self.filters.patient_text.isdigit():
            self.action_pick_patient()  # a name or an e-mail: choose among the patients it matches
            return
        self._apply_filters()
        self.table.data_table.focus()

    @work(group="pick", exit_on_error=False)
    async def action_pick_patient(self) -> None:
        organization = self.console.organization
        if self.query_ is None or organization is None:
            return
        patient = await self.filters.pick_patient(self.console.client, organization)
        if patient is None:
            return
        self.names[patient.id] = patient.display_name
        self._apply_filters()
        self.table.data_table.focus()

    @on(Input.Blurred, "#patient, #since, #until")
    def _input_left(self, event: Input.Blurred) -> None:
        self._apply_filters()

    def _read_filters(self) -> ObservationQuery:
        """The query the widgets describe; ValueError with a readable reason when one is wrong."""
        assert self.query_ is not None
        study = self.query_one("#study", Select).value
        pending = self._pending
        study_id = pending[0] if pending else (study if isinstance(study, int) else None)
        return self.filters.read(self.query_.organization_id, study_id)

    def _apply_filters(self, *, force: bool = False) -> None:
        notice = self.query_one("#notice", Static)
        try:
            query = self._read_filters()
        except ValueError as problem:
            self.refused = str(problem)
            notice.update(f"⚠ {problem}")
            notice.add_class("shown")
            # Rows of the last good filter would read as answers to this one.
            self.workers.cancel_group(self, "observations")
            self.plan = None
            self.table.reset()
            self.table.show_rows([], 0)
            return
        self.refused = None
        if query == self.query_ and not force and self.plan is not None:
            return
        self.query_ = query
        self.plan = None
        self.table.reset()
        self.load_page()

    def action_next_range(self) -> None:
        self._preset = (self._preset + 1) % len(DATE_PRESETS)
        days = DATE_PRESETS[self._preset]
        today = now().date()
        self.filters.set_dates(today - timedelta(days=days - 1) if days else None, today if days else None)
        self._apply_filters()

    # --- loading ------------------------------------------------------------------------------

    @on(PagedTable.PageRequested)
    def _page_requested(self) -> None:
        self.load_page()

    def action_reload(self) -> None:
        if self.console.session is None:
            self.load_session()
        else:
            self._apply_filters(force=True)

    @work(exclusive=True, group="observations", exit_on_error=False)
    async def load_page(self) -> None:
        query = self.query_
        if query is None or self.refused:
            return
        table, error, notice = self.table, self.query_one("#error", ErrorPanel), self.query_one("#notice", Static)
        error.hide()
        table.display = True
        client = self.console.client
        try:
            with loading_after(table.data_table):
                if self.plan is None:
                    self.plan = await plan_for(client, query)
                page = await screen_page(client, query, self.plan, table.page, table.page_size, self.names)
        except JheError as failure:
            if isinstance(failure, NotFound) and table.page > 1:
                table.reset()
                self.load_page()
                return
            table.display = False
            error.show("Loading observations", failure.message)
            return
        types = self.types
        table.show_rows([observation_row(o, self.names, types) for o in page.items], page.count)
        self.filters.add_sources(source_of(o.payload) for o in page.items)
        note = self.plan.note()
        if not page.items and page.count == 0:
            note = (note + " " if note else "") + "No observation matches these filters."
        notice.update(note)
        notice.set_class(bool(note), "shown")
        self._show_detail()
        missing = sorted({o.subject_patient_id for o in page.items if o.subject_patient_id} - set(self.names))
        if missing:
            self.load_names(missing)

    @work(group="names", exit_on_error=False)
    async def load_names(self, ids: list[int]) -> None:
        """FHIR observations name only the patient's id; the names follow as they arrive."""
        found = await names_of(self.console.client, ids)
        if not found:
            return
        self.names.update(found)
        self.table.update_rows(renamed(row, self.names) for row in self.table.shown_rows
                               if row.item.subject_patient_id in found)

    # --- detail pane ----------------------------------------------------------------------------

    def action_toggle_detail(self) -> None:
        self.query_one(ObservationDetail).toggle_class("shown")
        self._show_detail()

    @on(PagedTable.Opened)
    def _opened(self) -> None:
        self.query_one(ObservationDetail).add_class("shown")
        self._show_detail()

    @on(RowTable.RowHighlighted)
    def _show_detail(self) -> None:
        pane = self.query_one(ObservationDetail)
        if pane.has_class("shown"):
            pane.show(self.table.cursor_item, self.names, self.types, privacy.is_on(self))

    # --- chart ----------------------------------------------------------------------------------

    @work(exclusive=True, group="chart", exit_on_error=False)
    async def action_chart(self) -> None:
        query = self.query_
        if query is None:
            return
        item: FhirObservation | None = self.table.cursor_item
        if item is not None and item.coding_code:
            query = query.of_type_and_patient(item)  # the row under the cursor's; dates and source stay
        if query.patient_id is None or query.code is None:
            self.notify("No observation under the cursor to chart: choose a patient (w) and a data type (t).",
                        severity="warning")
            return
        try:
            with loading_after(self.table.data_table):
                found = await readings(self.console.client, query, CHART_LIMIT)
        except JheError as failure:
            self.notify(failure.message, title="No chart", severity="error", markup=False)
            return
        system, _, code = query.code.rpartition("|")
        who = privacy.shown(patient_label(query.patient_id, self.names, "patient {}"), privacy.is_on(self))
        title = f"{self.types.get((system, code), code)} · {who}"
        chart = ChartModal.of_readings(title, found, query.since, query.until, len(found) >= CHART_LIMIT)
        await self.app.push_screen_wait(chart)

    # --- export ---------------------------------------------------------------------------------

    @work(group="export", exit_on_error=False)
    async def action_export(self) -> None:
        query = self.query_
        if query is None:
            return
        if self._exporting:
            self.notify("An export is already running; its progress is shown above the table.", severity="warning")
            return
        ticked: list[FhirObservation] = list(self.table.selected.values())
        stem = (f"observations-{query.organization_id}" + (f"-study{query.study_id}" if query.study_id else "")
                + ("-ticked" if ticked else ""))
        summary = (f"Only the {len(ticked):,} ticked observation{'s' if len(ticked) > 1 else ''} "
                   f"(u unticks all to export every match), of {query.describe()}." if ticked else
                   f"Observations of {query.describe()} ({self.table.count:,} found).")
        request: ExportRequest | None = await self.app.push_screen_wait(ExportModal(summary, stem))
        if request is None:
            return
        self._exporting = True
        try:
            ok, said = await request.run(self.console.client, query, self.query_one("#notice", Static), ticked or None)
        finally:
            self._exporting = False
        self.notify(said, title="Export finished" if ok else "Export failed", severity="information" if ok else "error",
                    markup=False)
