"""Observations: what data arrived, for whom, filtered, readable, charted and exported.

The web console printed raw JSON with only organization and study filters. Here every row reads
like a chart entry ("120/80 mmHg", "98 mg/dL"), filters cover patient, data type and dates, the
detail pane shows the decoded fields next to the raw Open mHealth JSON, one patient's numeric data
type can be charted, and whatever is filtered can be exported without leaving the screen.

Where the server cannot filter (JHE before v0.0.13 knows only organization, study and patient),
pages are filtered here and the screen says so (see ``jhe_tui.jobs.observations``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable, Input, Label, Select, Static

from jhe_tui import privacy
from jhe_tui.api import CodeableConcept, FhirObservation, JheError, NotFound, OmhValue, Organization, Study
from jhe_tui.jobs.export import ExportFailed, ExportRefused, export_observations
from jhe_tui.jobs.observations import ObservationQuery, Plan, matching, plan_for, screen_page
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.dialogs.export import ExportModal, ExportRequest
from jhe_tui.dialogs.chart import ChartModal, Series
from jhe_tui.widgets.clock import now, utc_text
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.loading import loading_after
from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.paged_table import PagedTable, Row

# Who and when first: at 80 columns the patient and both dates are on screen, the rest scrolls.
COLUMNS = ("Patient", "Effective (UTC)", "Received (UTC)", "Data type", "Value", "ID")
DATE_PRESETS = (None, 7, 30, 90)  # "l" cycles: all dates, then the last N days
CHART_LIMIT = 20_000


class ShowObservations(Message):
    """Open the Observations screen filtered to one patient in one study (from a study roster)."""

    def __init__(self, study_id: int, patient_id: int) -> None:
        super().__init__()
        self.study_id = study_id
        self.patient_id = patient_id


def patient_label(pid: int | None, names: dict[int, str], unnamed: str = "{}") -> str | Sensitive:
    """The patient's name (masked in privacy mode) with their id, or only the id until the name is known."""
    if pid in names:
        return Sensitive(names[pid], "name", f" ({pid})")
    return unnamed.format(pid) if pid else ""


def observation_row(o: FhirObservation, names: dict[int, str], types: dict[tuple[str, str], str]) -> Row:
    who = patient_label(o.subject_patient_id, names)
    kind = types.get((o.coding_system or "", o.coding_code or "")) or o.coding_display or o.coding_code or ""
    value = o.value.text if o.value and o.value.text else "(unreadable payload)"
    return Row(
        key=o.id,
        item=o,
        cells=(who, utc_text(o.effective_time), utc_text(o.last_updated), kind, value, o.id),
    )


def parse_day(text: str) -> date | None:
    """'' -> None; raises ValueError for anything but YYYY-MM-DD."""
    text = text.strip()
    return date.fromisoformat(text) if text else None


def detail_renderable(o: FhirObservation, patient: str, kind: str) -> Group:
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    value = o.value
    rows = [
        ("Observation", o.id),
        ("Patient", patient),
        ("Data type", f"{kind} ({o.coding_system or '?'} | {o.coding_code or '?'})"),
        ("Value", value.text if value and value.text else "the OMH payload could not be read; raw data below"),
    ]
    if value:
        rows += [(name.replace("_", " "), f"{number:g}") for name, number in value.values.items()]
        if value.unit:
            rows.append(("Unit", value.unit))
    if o.effective_end:
        rows.append(("Effective", f"{utc_text(o.effective_start)} → {utc_text(o.effective_end)} UTC"))
    else:
        rows.append(("Effective", f"{utc_text(o.effective_time)} UTC"))
    rows.append(("Received", f"{utc_text(o.last_updated)} UTC"))
    header = o.payload.get("header") if isinstance(o.payload, dict) else None
    if isinstance(header, dict):
        for key in ("modality", "uuid"):
            if isinstance(header.get(key), str):
                rows.append((key.capitalize(), header[key]))
    for name, text in rows:
        fields.add_row(Text(name), Text(str(text)))
    if o.payload is not None:
        raw = json.dumps(o.payload, indent=2, ensure_ascii=False)
    else:
        raw = json.dumps(o.resource.get("valueAttachment", {}), indent=2)
    return Group(fields, Text(""), Text("Raw Open mHealth JSON", style="bold"),
                 Syntax(raw, "json", theme="ansi_dark", word_wrap=True, background_color="default"))


class ObservationsScreen(ConsoleScreen[None]):
    TITLE = "Observations"
    DEFAULT_CSS = """
    ObservationsScreen #filters { height: 1; margin: 1 1 0 1; }
    ObservationsScreen #filters > .context-label { padding: 0 1 0 0; text-style: bold; }
    ObservationsScreen #filters > Input { width: 12; margin-right: 2; background: $boost; }
    ObservationsScreen #filters > #patient { width: 9; }
    ObservationsScreen #filters > Select { width: 1fr; margin-right: 2; }
    ObservationsScreen #filters SelectCurrent { border: none; height: 1; padding: 0 1; }
    ObservationsScreen #observations { margin-top: 1; }
    ObservationsScreen #observation-detail {
        display: none; height: 45%; border-top: solid $primary; padding: 0 1;
    }
    ObservationsScreen #observation-detail.shown { display: block; }
    """
    BINDINGS = [
        Binding("v", "toggle_detail", "Detail", id="observations.detail",
                tooltip="Show or hide the decoded fields and raw JSON of the row under the cursor"),
        Binding("c", "chart", "Chart", id="observations.chart",
                tooltip="Chart the values of the chosen patient and data type over the date range"),
        Binding("x", "export", "Export", id="observations.export",
                tooltip="Export every observation matching the filters (CSV, NDJSON or FHIR Bundle)"),
        Binding("l", "next_range", "Last N days", id="observations.range",
                tooltip="Cycle the date range: all, last 7, 30, 90 days"),
        Binding("o", "pick('#organization')", "Organization", show=False, id="observations.organization",
                tooltip="Choose the organization"),
        Binding("s", "pick('#study')", "Study", show=False, id="observations.study", tooltip="Filter by a study"),
        Binding("w", "focus('#patient')", "Patient", show=False, id="observations.patient",
                tooltip="Filter by a patient id (type it, then Enter)"),
        Binding("t", "pick('#code')", "Data type", show=False, id="observations.code",
                tooltip="Filter by a data type"),
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
        self.detail: Group | None = None
        self._exporting = False
        self._pending: tuple[int | None, int | None] | None = None  # (study, patient) from show_for

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="context"):
            yield from self.compose_selectors()
        with Horizontal(id="filters"):
            yield Label("Patient", classes="context-label")
            yield Input(placeholder="id", id="patient", type="integer", compact=True)
            yield Label("Data type", classes="context-label")
            yield Select[str]([], prompt="All data types", allow_blank=True, id="code")
            yield Label("From", classes="context-label")
            yield Input(placeholder="YYYY-MM-DD", id="since", compact=True)
            yield Label("To", classes="context-label")
            yield Input(placeholder="YYYY-MM-DD", id="until", compact=True)
        yield Static("", id="notice", markup=False)
        yield PagedTable(COLUMNS, noun="observation", id="observations")
        with VerticalScroll(id="observation-detail"):
            yield Static("", id="detail-body")
        yield ErrorPanel(id="error")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#observations", PagedTable)

    @property
    def types(self) -> dict[tuple[str, str], str]:
        return {c.key: c.display for c in self.concepts}

    def on_mount(self) -> None:
        self.table.data_table.focus()
        self.load_session()

    def privacy_changed(self, masked: bool) -> None:
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("chart", "export") and (self.query_ is None or self.refused):
            return None
        return True

    def disabled_reason(self, action: str) -> str | None:
        if action in ("chart", "export") and self.refused:
            return self.refused
        return None

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
        self.query_one("#code", Select).set_options([(f"{c.display}", "|".join(c.key)) for c in concepts])
        self.take_organization(chosen)

    def show_organization(self, org: Organization) -> None:
        self.studies = []
        study = self.query_one("#study", Select)
        study.set_options([])
        pending = self._pending
        if pending is None:
            self.query_one("#patient", Input).value = ""  # patient ids belong to an organization
        self.query_ = ObservationQuery(org.id)
        self._apply_filters()
        self.load_studies(org, pending)

    @work(exclusive=True, group="studies", exit_on_error=False)
    async def load_studies(self, org: Organization, pending: tuple[int | None, int | None] | None) -> None:
        try:
            studies = await self.console.client.studies(org.id)
        except JheError as failure:
            self.notify(f"The study list could not be loaded: {failure.message}", severity="warning", markup=False)
            return
        self.studies = studies
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
        self.query_one("#patient", Input).value = str(patient_id) if patient_id else ""
        if code is not None:
            with self.prevent(Select.Changed):
                self.query_one("#code", Select).value = code
        org = self.console.organization
        if self.query_ is None or org is None:
            return  # still signing in: load_session picks the organization up
        with self.prevent(Select.Changed):
            self.query_one("#organization", Select).value = org.id
        self.take_organization(org)

    # --- filters ------------------------------------------------------------------------------

    @on(Select.Changed, "#study")
    @on(Select.Changed, "#code")
    def _select_filter_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._apply_filters()

    @on(Input.Submitted, "#patient, #since, #until")
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_filters()
        self.table.data_table.focus()

    @on(Input.Blurred, "#patient, #since, #until")
    def _input_left(self, event: Input.Blurred) -> None:
        self._apply_filters()

    def _read_filters(self) -> ObservationQuery:
        """The query the widgets describe; ValueError with a readable reason when one is wrong."""
        assert self.query_ is not None
        study = self.query_one("#study", Select).value
        code = self.query_one("#code", Select).value
        patient_text = self.query_one("#patient", Input).value.strip()
        if patient_text and not patient_text.isdigit():
            raise ValueError("The patient filter takes a patient id (digits only).")
        try:
            since = parse_day(self.query_one("#since", Input).value)
        except ValueError:
            raise ValueError("From must be a date like 2026-01-31.") from None
        try:
            until = parse_day(self.query_one("#until", Input).value)
        except ValueError:
            raise ValueError("To must be a date like 2026-01-31.") from None
        if since and until and since > until:
            raise ValueError(f"The date range starts after it ends ({since} is after {until}).")
        pending = self._pending
        return ObservationQuery(
            organization_id=self.query_.organization_id,
            study_id=pending[0] if pending else (study if isinstance(study, int) else None),
            patient_id=int(patient_text) if patient_text else None,
            code=None if code is Select.NULL else str(code),
            since=since,
            until=until,
        )

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
        self.query_one("#since", Input).value = (today - timedelta(days=days - 1)).isoformat() if days else ""
        self.query_one("#until", Input).value = today.isoformat() if days else ""
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
        patients = await asyncio.gather(*(self.console.client.patient(i) for i in ids), return_exceptions=True)
        found = {p.id: p.display_name for p in patients if not isinstance(p, BaseException)}
        if not found:
            return
        self.names.update(found)
        self.table.update_rows(
            replace(row, cells=(patient_label(row.item.subject_patient_id, self.names), *row.cells[1:]))
            for row in self.table.shown_rows if row.item.subject_patient_id in found)

    # --- detail pane ----------------------------------------------------------------------------

    def action_toggle_detail(self) -> None:
        pane = self.query_one("#observation-detail")
        pane.toggle_class("shown")
        self._show_detail()

    @on(PagedTable.Opened)
    def _opened(self, event: PagedTable.Opened) -> None:
        self.query_one("#observation-detail").add_class("shown")
        self._show_detail()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        pane = self.query_one("#observation-detail")
        if not pane.has_class("shown"):
            return
        body = self.query_one("#detail-body", Static)
        item: FhirObservation | None = self.table.cursor_item
        if item is None:
            body.update("No observation under the cursor.")
            return
        who = privacy.shown(patient_label(item.subject_patient_id, self.names), privacy.is_on(self))
        kind = self.types.get((item.coding_system or "", item.coding_code or "")) or item.coding_code or ""
        self.detail = detail_renderable(item, who, kind)
        body.update(self.detail)
        pane.scroll_home(animate=False)

    # --- chart ----------------------------------------------------------------------------------

    @work(exclusive=True, group="chart", exit_on_error=False)
    async def action_chart(self) -> None:
        query = self.query_
        if query is None:
            return
        if query.patient_id is None or query.code is None:
            self.notify("Choose one patient (w) and one data type (t) to draw a chart.", severity="warning")
            return
        readings: list[tuple[datetime, OmhValue]] = []
        try:
            with loading_after(self.table.data_table):
                async for items, _ in matching(self.console.client, query):
                    for o in items:
                        when = o.effective_time
                        if o.value and o.value.values and when:
                            readings.append((when, o.value))
                    if len(readings) >= CHART_LIMIT:
                        break
        except JheError as failure:
            self.notify(failure.message, title="No chart", severity="error", markup=False)
            return
        readings.sort(key=lambda reading: reading[0])
        kind = self.types.get(tuple(query.code.split("|", 1)) if "|" in query.code else ("", query.code), query.code)
        unit = next((value.unit for _, value in readings if value.unit), "") or ""
        keys = list(dict.fromkeys(key for _, value in readings for key in value.values))
        series = [
            Series(key.replace("_", " "), unit, [(when, value.values[key]) for when, value in readings if key in value.values])
            for key in keys
        ]
        who = privacy.shown(patient_label(query.patient_id, self.names, "patient {}"), privacy.is_on(self))
        span = (f"From {query.since or 'the first reading'} to {query.until or 'the last reading'}."
                + (f" Only the newest {CHART_LIMIT:,} readings are drawn." if len(readings) >= CHART_LIMIT else ""))
        start = datetime.combine(query.since, datetime.min.time(), UTC) if query.since else None
        end = datetime.combine(query.until, datetime.max.time(), UTC) if query.until else None
        await self.app.push_screen_wait(ChartModal(f"{kind} · {who}", series, span, start, end))

    # --- export ---------------------------------------------------------------------------------

    def describe_query(self) -> str:
        q = self.query_
        assert q is not None
        parts = [f"organization {q.organization_id}"]
        if q.study_id:
            parts.append(f"study {q.study_id}")
        if q.patient_id:
            parts.append(f"patient {q.patient_id}")
        if q.code:
            parts.append(f"data type {q.code.rsplit('|', 1)[-1]}")
        if q.since or q.until:
            parts.append(f"dates {q.since or '…'} to {q.until or '…'}")
        return "Observations of " + ", ".join(parts) + f" ({self.table.count:,} found)."

    @work(group="export", exit_on_error=False)
    async def action_export(self) -> None:
        query = self.query_
        if query is None:
            return
        if self._exporting:
            self.notify("An export is already running; its progress is shown above the table.", severity="warning")
            return
        stem = f"observations-{query.organization_id}" + (f"-study{query.study_id}" if query.study_id else "")
        request: ExportRequest | None = await self.app.push_screen_wait(ExportModal(self.describe_query(), stem))
        if request is None:
            return
        notice = self.query_one("#notice", Static)
        notice.add_class("shown")

        def progress(done: int, total: int | None) -> None:
            notice.update(f"Exporting to {request.path.name}: {done:,}" + (f" of {total:,}" if total else ""))

        progress(0, None)
        self._exporting = True
        try:
            result = await export_observations(
                self.console.client, query, request.fmt, request.path, force=request.force, progress=progress
            )
        except (ExportFailed, ExportRefused) as failure:
            notice.update(f"⚠ {failure}")
            self.notify(str(failure), title="Export failed", severity="error", markup=False)
            return
        except JheError as failure:
            notice.update(f"⚠ {failure.message}")
            self.notify(failure.message, title="Export failed", severity="error", markup=False)
            return
        finally:
            self._exporting = False
        done = f"Exported {result.count:,} observations to {result.path}."
        notice.update(done)
        self.notify(done, title="Export finished", markup=False)
