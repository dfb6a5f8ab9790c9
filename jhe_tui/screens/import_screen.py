"""Bulk import in the console: choose a CSV, check every row, dry-run, run, read the results.

The same run as `jhe-tui import` (``jhe_tui.jobs.imports.ImportRun``) with the same journal and
report locations, so an import started on the command line can be finished here and the reverse.
The preview shows each row's own check before anything is sent; the file is read in a thread, the
run happens in a worker with a progress bar, and the table then shows the report's lines. A run
can be stopped (the rows in flight finish, the report is written), and quitting mid-run asks first.
The organization is the console's, as on every screen; where the role cannot write, only the dry
run is offered.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Checkbox, Input, Label, ProgressBar, Select, Static

from jhe_tui import privacy
from jhe_tui.api import JheError, Organization, Study
from jhe_tui.api.text import counted, visible
from jhe_tui.jobs.imports import (
    ImportOptions,
    ImportRun,
    JournalError,
    Outcome,
    PreflightError,
    RowResult,
    Source,
    SourceError,
    Summary,
    read_source,
)
from jhe_tui.privacy import Sensitive
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.path_suggester import PathInput
from jhe_tui.widgets.state_checkbox import StateCheckbox
from jhe_tui.widgets.row_table import RowTable

PREVIEW_COLUMNS = ("Row", "Check", "E-mail", "Last name", "First name", "Birth date")
RESULT_COLUMNS = ("Row", "Outcome", "E-mail", "Patient", "Enrolled", "Message")
NEEDS_FILE = frozenset({"dry_run", "run"})
MAX_COLUMN_WIDTH = 60
REINVITE_TIP = ("Send again the invitations an interrupted run may already have sent, where the server cannot "
                "tell (JHE before v0.0.13); each new link cancels the earlier one")
STOP_LINES = ("The rows already started finish; no further row starts.",
              "The report lists every row; running the same import again finishes the rest.")


def _cells(*values: object) -> tuple[object, ...]:
    """One row's values; wrap names, e-mails and birth dates in ``Sensitive`` for privacy mode."""
    return tuple("" if v is None else v for v in values)


def _texts(values: tuple[object, ...], masked: bool) -> tuple[str, ...]:
    """The cells as shown, masked when asked."""
    return tuple(privacy.shown(v, masked) for v in values)


def _read(value: str) -> Source:
    return read_source(Path(value).expanduser().resolve())


class ImportScreen(ConsoleScreen[None]):
    TITLE = "Import"
    DEFAULT_CSS = """
    ImportScreen .import-row { height: 1; margin: 1 1 0 1; }
    ImportScreen .context-label { padding: 0 1 0 0; text-style: bold; }
    ImportScreen #import-file { width: 1fr; border: none; height: 1; padding: 0 1; background: $boost; }
    ImportScreen #import-file:focus { background: $primary-muted; }
    ImportScreen #import-options > Select { width: 1fr; margin-right: 2; }
    ImportScreen #import-options SelectCurrent { border: none; height: 1; padding: 0 1; }
    ImportScreen #import-switches { margin-top: 0; }
    ImportScreen #import-summary { margin: 1 1 0 1; height: auto; }
    ImportScreen #import-table { margin-top: 1; height: 1fr; }
    ImportScreen #import-detail { margin: 0 1; height: 1; color: $text-muted; }
    ImportScreen #import-progress-row { height: 1; margin: 0 1; }
    ImportScreen #import-report { margin: 0 1; height: auto; color: $text-accent; }
    """
    BINDINGS = [
        Binding("f", "focus_file", "File", id="import.file", tooltip="Type the path of the CSV file to import"),
        Binding("k", "dry_run", "Check (dry run)", id="import.dry_run",
                tooltip="Look up every row and show what would happen; changes nothing"),
        Binding("R", "run", "Run import", id="import.run",
                tooltip="Create or add, enroll and invite every valid row (resumes an interrupted import)"),
        Binding("escape", "stop", "Stop", id="import.stop",
                tooltip="Stop the run: the rows already started finish and the report is written"),
        Binding("y", "copy_report", "Copy report path", id="import.copy_report",
                tooltip="Copy where the report CSV was written"),
        Binding("o", "pick('#organization')", "Organization", show=False, id="import.organization",
                tooltip="Choose the organization"),
        Binding("r", "reload", "Reload", show=False, id="import.reload",
                tooltip="Load the organizations and studies again (also retries after an error)"),
    ]

    # What the keys depend on: the checked file, the report written, the run in progress.
    source: var[Source | None] = var(None, bindings=True)
    report_path: var[Path | None] = var(None, bindings=True)
    import_run: var[ImportRun | None] = var(None, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.studies: list[Study] = []
        self.summary: Summary | None = None
        self.concurrency = 4
        self._done = 0
        self._failed = 0
        self._started = 0.0
        self.clock = time.monotonic  # the progress line's rate and ETA (a fixed clock for snapshots)
        # The table's columns, raw values and details, to mask or unmask on F9 without a re-run.
        self._shown: tuple[tuple[str, ...], list[tuple[object, ...]], list[str] | None] | None = None
        self._details: list[str] = []

    @property
    def running(self) -> bool:
        return self.import_run is not None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="import-file-row", classes="import-row"):
            yield Label("CSV file", classes="context-label")
            yield PathInput(placeholder="path/to/patients.csv (Tab completes, Enter checks it)", id="import-file")
        with Horizontal(id="import-options", classes="import-row"):
            yield from self.compose_organization()
            yield Label("Study", classes="context-label")
            yield Select[int]([], prompt="No study", allow_blank=True, id="import-study")
        with Horizontal(id="import-switches", classes="import-row"):  # own row: the choosers keep their width
            yield StateCheckbox("Invite", id="import-invite")
            yield StateCheckbox("E-mail", id="import-email")
            yield StateCheckbox("Re-invite", id="import-reinvite", tooltip=REINVITE_TIP)
        yield Static("Choose a CSV file with the columns email, last_name, first_name, dob (YYYY-MM-DD) and "
                     "optionally phone and external_id.", id="import-summary", markup=False)
        yield ErrorPanel(retry_key="r", id="error")
        # Widths from the data, capped: the row under the cursor shows any cut text in full below.
        yield RowTable((), zebra_stripes=True, max_width=MAX_COLUMN_WIDTH, id="import-table")
        yield Static("", id="import-detail", markup=False)
        with Horizontal(id="import-progress-row"):
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Label("", id="import-progress-text", markup=False)
        yield Static("", id="import-report", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#import-progress-row").display = False
        self.query_one("#import-file", Input).focus()
        self.load_session()

    def privacy_changed(self, masked: bool) -> None:
        if self._shown is not None:
            cursor = self.query_one("#import-table", RowTable).cursor_row
            self._table(*self._shown, cursor=cursor)

    # --- what is allowed ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.running
        if self.running and action in ("dry_run", "run", "focus_file"):
            return None
        if action in NEEDS_FILE and (self.source is None or self.console.organization is None):
            return None
        if action == "run" and not self.console.can_write:
            return None
        if action == "copy_report" and self.report_path is None:
            return None
        return True

    def disabled_reason(self, action: str) -> str | None:
        if action == "stop":
            return "no import is running"
        if self.running:
            return "an import is running"
        if action in NEEDS_FILE and self.source is None:
            return "choose a CSV file first"
        if action in NEEDS_FILE and self.console.organization is None:
            return "choose an organization first"
        if action == "run":
            return "importing needs the member or manager role in the organization"
        if action == "copy_report":
            return "no report yet: run a dry run or an import"
        return None

    def quit_warning(self) -> str | None:
        if self.import_run is None or self.import_run.options.dry_run:
            return None  # a dry run changes nothing
        return ("An import is running: quitting interrupts it where it is. The report lists what was done, and "
                "running the same import again finishes it without repeating anything.")

    # --- organization and study ------------------------------------------------------------------

    @work(exclusive=True, group="import-session", exit_on_error=False)
    async def load_session(self) -> None:
        current = self.console.organization
        chosen = await self.load_organizations(current.id if current else None)
        if chosen is not None:
            self.take_organization(chosen)

    def action_reload(self) -> None:
        self.load_session()

    def show_organization(self, org: Organization) -> None:
        self.query_one("#import-study", Select).set_options([])
        self.studies = []
        self.load_studies(org)

    @work(exclusive=True, group="import-studies", exit_on_error=False)
    async def load_studies(self, org: Organization) -> None:
        try:
            studies = await self.console.client.studies(org.id)
        except JheError as failure:
            self.notify(f"The study list could not be loaded: {failure.message}", severity="warning", markup=False)
            return
        if self.console.organization != org:
            return
        self.studies = studies
        self.query_one("#import-study", Select).set_options([(f"{s.name} ({s.id})", s.id) for s in studies])

    @on(Checkbox.Changed, "#import-email")
    def _email_changed(self, event: Checkbox.Changed) -> None:
        if event.value:
            self.query_one("#import-invite", Checkbox).value = True  # e-mailing is inviting

    @on(Checkbox.Changed, "#import-invite")
    def _invite_changed(self, event: Checkbox.Changed) -> None:
        if not event.value:
            self.query_one("#import-email", Checkbox).value = False

    # --- the file and its preview ----------------------------------------------------------------

    def action_focus_file(self) -> None:
        self.query_one("#import-file", Input).focus()

    @on(Input.Submitted, "#import-file")
    def _file_chosen(self, event: Input.Submitted) -> None:
        self.load_file(event.value.strip())

    @work(exclusive=True, group="import-file", exit_on_error=False)
    async def load_file(self, value: str) -> None:
        """Read and check the file in a thread: a large one takes a while, and the console must
        keep answering meanwhile."""
        self.source, self.summary, self.report_path = None, None, None
        # The last run's bar and figures belong to the last file.
        self.query_one("#import-progress-row").display = False
        self.query_one("#import-progress", ProgressBar).update(progress=0)
        self.query_one("#import-progress-text", Label).update("")
        if not value:
            self._say("Type the path of a CSV file.")
            return
        try:
            source = await asyncio.to_thread(_read, value)
        except SourceError as problem:
            self._table(PREVIEW_COLUMNS, [])
            self._say(str(problem))
            return
        self.source = source
        invalid, blank = len(source.invalid_rows), len(source.blank_lines)
        ignored = f" · ignored columns: {', '.join(source.ignored_columns)}" if source.ignored_columns else ""
        skipped = f" · {counted(blank, 'blank line')} skipped" if blank else ""
        self._say(f"{source.path.name}: {counted(len(source.rows), 'row')} · {len(source.valid_rows):,} ready · "
                  f"{invalid:,} invalid"
                  f"{skipped}{ignored}. k: check (dry run) · R: run the import")
        self._table(PREVIEW_COLUMNS, [
            _cells(row.number, "ok" if row.valid else row.reason, Sensitive(row.email or "", "email"),
                   Sensitive(row.family or "", "name"), Sensitive(row.given or "", "name"),
                   Sensitive(str(row.birth_date or ""), "birth_date"))
            for row in source.rows
        ], [f"Row {row.number}: {'ready to import' if row.valid else row.reason}" for row in source.rows])
        self.query_one("#import-report", Static).update("")
        self.query_one("#import-table", RowTable).focus()

    def _table(self, columns: tuple[str, ...], values: list[tuple[object, ...]], details: list[str] | None = None,
               cursor: int = 0) -> None:
        self._shown = (columns, values, details)
        masked = privacy.is_on(self)
        self._details = details or []
        table = self.query_one("#import-table", RowTable)
        table.set_rows([(str(index), _texts(row, masked)) for index, row in enumerate(values)], cursor, columns)
        self.query_one("#import-detail", Static).update(self._details[table.cursor_row] if self._details else "")

    @on(RowTable.RowHighlighted, "#import-table")
    def _row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        """The whole check or message of the row under the cursor: the table cuts long ones."""
        if 0 <= event.cursor_row < len(self._details):
            self.query_one("#import-detail", Static).update(self._details[event.cursor_row])

    def _say(self, text: str) -> None:
        self.query_one("#import-summary", Static).update(visible(text))  # it quotes file names

    # --- running ----------------------------------------------------------------------------------

    def _options(self, dry_run: bool) -> ImportOptions:
        org = self.console.organization
        assert org is not None
        study = self.query_one("#import-study", Select).value
        return ImportOptions(
            org.id,
            None if study is Select.NULL else int(study),  # type: ignore[arg-type]
            invite=self.query_one("#import-invite", Checkbox).value,
            send_email=self.query_one("#import-email", Checkbox).value,
            reinvite=self.query_one("#import-reinvite", Checkbox).value,
            dry_run=dry_run,
            concurrency=self.concurrency,
        )

    def action_dry_run(self) -> None:
        self.start(self._options(dry_run=True))

    @work(exclusive=True, group="import-confirm", exit_on_error=False)
    async def action_run(self) -> None:
        options = self._options(dry_run=False)
        source, org = self.source, self.console.organization
        assert source is not None and org is not None
        study = next((s for s in self.studies if s.id == options.study_id), None)
        lines = [f"{len(source.valid_rows)} patients from {visible(source.path.name)} into {org.name}."]
        if study:
            lines.append(f"Each is enrolled in {study.name} (study {study.id}).")
        if options.invite:
            lines.append("Each new patient gets an invitation, e-mailed by the server." if options.send_email
                         else "Each new patient gets an invitation link, listed in the report.")
        lines.append("Patients already in the organization are skipped; rerunning resumes, never duplicates.")
        if options.reinvite and options.invite:
            lines.append("Invitations an interrupted run may already have sent are sent again.")
        answer = await self.app.push_screen_wait(ConfirmModal("Run the import?", lines, confirm_label="Import"))
        if answer is not None:
            self.start(options)

    @work(exclusive=True, group="import-stop", exit_on_error=False)
    async def action_stop(self) -> None:
        answer = await self.app.push_screen_wait(ConfirmModal("Stop the import?", STOP_LINES,
                                                              confirm_label="Stop import", danger=True))
        if answer is not None and self.import_run is not None:
            self.import_run.stop()
            self._say("Stopping: the rows already started finish, then the report is written.")

    def start(self, options: ImportOptions) -> None:
        source = self.source
        if source is None:
            return
        self._done = self._failed = 0
        self._started = self.clock()
        progress = self.query_one("#import-progress", ProgressBar)
        progress.update(total=len(source.rows), progress=0)
        self.query_one("#import-progress-row").display = True
        self._table(RESULT_COLUMNS, [])
        self.import_run = ImportRun(self.console.client, source, options, on_row=self._row_done)
        self.run_job(self.import_run, source)

    def _row_done(self, result: RowResult) -> None:
        self._done += 1
        self._failed += result.outcome in (Outcome.FAILED, Outcome.INVALID)
        self.query_one("#import-progress", ProgressBar).advance(1)
        elapsed = max(self.clock() - self._started, 1e-6)
        total = len(self.source.rows) if self.source else self._done
        rate = self._done / elapsed
        eta = (total - self._done) / rate if rate else 0
        self.query_one("#import-progress-text", Label).update(
            f" {self._done}/{total} · {rate:.1f}/s · ETA {eta:.0f} s · {self._failed} failed or invalid")

    @work(exclusive=True, group="import-run", exit_on_error=False)
    async def run_job(self, run: ImportRun, source: Source) -> None:
        summary: Summary | None = None
        try:
            summary = await run.run()
        except (PreflightError, JournalError) as problem:
            self._say(str(problem))
        except JheError as failure:
            self._say(f"The import could not start: {failure.message}")
        finally:
            self.import_run = None
        if summary is not None:
            self.show_results(run, source, summary)

    def show_results(self, run: ImportRun, source: Source, summary: Summary) -> None:
        self.summary = summary
        self.report_path = None if run.report_problem else run.report_path
        self.query_one("#import-report", Static).update(
            visible(run.report_problem or f"Report: {run.report_path} (only you can read it) · y copies the path"))
        verb = "Dry run" if summary.dry_run else "Import"
        ended = f"ended early ({summary.aborted})" if summary.aborted else "finished"
        self._say(f"{verb} of {source.path.name} {ended}: {summary.describe()}.")
        self._table(RESULT_COLUMNS, [
            _cells(r.number, r.outcome.value, Sensitive(r.email or "", "email"), r.patient_id or "", r.enrolled,
                   r.message)
            for r in summary.results
        ], [f"Row {r.number}: {r.outcome.value}{' - ' + r.message if r.message else ''}" for r in summary.results])
        self.query_one("#import-table", RowTable).focus()

    def action_copy_report(self) -> None:
        if self.report_path is not None:
            self.app.copy_to_clipboard(str(self.report_path))
            self.notify(f"Copied: {self.report_path}", markup=False)
