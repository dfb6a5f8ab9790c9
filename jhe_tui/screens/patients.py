"""The patient list of one organization (optionally one study), a server page at a time.

This is where a coordinator spends the day: pick the organization and study, page,
tick patients, and act on them. Changing the organization always resets the study
and the page, the web console's worst trap (its list could stay filtered by another
organization's study while showing "All Studies").
"""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from jhe_tui.api import JheError, NotFound, Organization, Patient, Study, UserProfile
from jhe_tui.dialogs.add_patient import AddPatientModal
from jhe_tui.screens.navigation import ShowObservations, patient_record
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.dialogs.find_patient import FindPatientModal
from jhe_tui.screens.patient_flows import (
    StudyOf,
    edit_patient,
    enroll_in_a_study,
    remove_from_a_study,
    remove_from_organization,
    studies_to_change,
)
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.page_ahead import PageAhead
from jhe_tui.widgets.page_view import PageView
from jhe_tui.widgets.paged_table import PagedTable
from jhe_tui.widgets.patient_rows import COLUMNS, PageKey, PatientPage, fetch_page, patient_matches
from jhe_tui.widgets.steady_text import set_text

WRITES = frozenset({"add", "edit", "remove", "enroll", "unenroll"})
NEEDS_ROW = frozenset({"edit", "remove", "enroll", "unenroll", "observations"})


class PatientsScreen(ConsoleScreen[None]):
    TITLE = "Patients"
    AUTO_FOCUS = "#rows"  # not the first chooser: the first page may be covered by its indicator at once
    DEFAULT_CSS = """
    PatientsScreen #view-bar { height: auto; margin: 1 1 0 1; display: none; }
    PatientsScreen #view-bar.shown { display: block; }
    PatientsScreen #view-bar > #filter { width: 32; margin-right: 2; }
    PatientsScreen #view-bar > #view { width: 1fr; height: auto; color: $text-accent; }
    PatientsScreen #empty { display: none; margin: 1 1 0 1; }
    PatientsScreen #empty.shown { display: block; }
    """
    BINDINGS = [
        Binding("a", "add", "Add", id="patients.add", tooltip="Look up an e-mail, then add or create the patient"),
        Binding("e", "edit", "Edit", id="patients.edit", tooltip="Edit the patient under the cursor"),
        Binding("d", "remove", "Remove", id="patients.remove", tooltip="Remove the patient from this organization (with a preview)"),
        Binding("plus", "enroll", "Enroll", key_display="+", id="patients.enroll", tooltip="Enroll the ticked patients (or the current one) in a study"),
        Binding("minus", "unenroll", "Leave study", key_display="-", id="patients.unenroll", tooltip="Remove the ticked patients (or the current one) from one of their studies"),
        Binding("slash", "find", "Find", id="patients.find", tooltip="Find a patient by id, e-mail, name or external id"),
        Binding("b", "observations", "Observations", id="patients.observations", tooltip="Open the observations of the patient under the cursor (F4)"),
        Binding("f", "filter", "Filter page", id="patients.filter", tooltip="Type to filter this page by name, e-mail or external id"),
        Binding("greater_than_sign", "sort(1)", "Sort", key_display=">", show=False, id="patients.sort_next", tooltip="Sort this page by the next column (again: reversed)"),
        Binding("less_than_sign", "sort(-1)", "Sort back", key_display="<", show=False, id="patients.sort_previous", tooltip="Sort this page by the previous column"),
        Binding("o", "pick('#organization')", "Organization", id="patients.organization", show=False, tooltip="Choose the organization"),
        Binding("s", "pick('#study')", "Study", id="patients.study", show=False, tooltip="Filter by a study, or All studies"),
        Binding("r", "reload", "Reload", id="patients.reload", show=False, tooltip="Load this page again (also retries after an error)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.study_id: int | None = None
        self.studies: list[Study] = []
        self.view = PageView(COLUMNS, patient_matches, "patient id")
        self._table = PagedTable(COLUMNS, noun="patient", id="patients")  # kept: its keys ask for it at every key
        self._page_done = asyncio.Event()  # a first page of the organization shown (or failed)
        self.ahead: PageAhead[PageKey, PatientPage] = PageAhead(self, lambda key: fetch_page(self.console.client, key))

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="context"):
            yield from self.compose_selectors()
        yield Static("", id="notice", markup=False)
        with Horizontal(id="view-bar"):
            yield Input(placeholder="filter this page: name, e-mail, external id", id="filter", compact=True)
            yield Static("", id="view", markup=False)
        yield Static("", id="empty", markup=False)
        yield self._table
        yield ErrorPanel(id="error")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self._table

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.load_session()

    # --- what is allowed -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITES and not self.console.can_write:
            return None
        if action in NEEDS_ROW and self.is_mounted:  # asked for every binding at every key: no DOM query
            table = self.table
            if table.cursor_item is None and not table.selected:
                return None
        return True

    def disabled_reason(self, action: str) -> str | None:
        if action in WRITES and not self.console.can_write:
            return self.console.read_only_reason
        if action in NEEDS_ROW:
            return "there is no patient on this page"
        return None

    def _show_role(self) -> None:
        notice = self.query_one("#notice", Static)
        read_only = self.console.organization is not None and not self.console.can_write
        notice.update(
            f"Read only: {self.console.read_only_reason}. Adding, editing, removing, enrolling, "
            "consent changes and invitations are switched off."
            if read_only
            else ""
        )
        notice.set_class(read_only, "shown")

    # --- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="session", exit_on_error=False)
    async def load_session(self) -> None:
        current = self.console.organization

        def first_page_early(user: UserProfile) -> None:
            """The remembered organization's first page, fetched while the organization list comes."""
            remembered = current.id if current else user.settings.get("currentOrganizationId")
            if isinstance(remembered, int):
                self.ahead.start(PageKey(remembered, None, 1, self.table.page_size))

        chosen = await self.load_organizations(current.id if current else None, first_page_early)
        if chosen is None:
            self.table.display = False
            return
        self.take_organization(chosen)

    def show_organization(self, org: Organization) -> None:
        self.study_id = None
        self.studies = []
        study_select = self.query_one("#study", Select)
        study_select.set_options([])
        study_select.prompt = "All studies"
        self.table.reset()
        self._show_role()
        self._page_done.clear()
        self.load_studies(org)
        self.load_patients(moved=True)  # its first page may be on its way already

    @work(exclusive=True, group="studies", exit_on_error=False)
    async def load_studies(self, org: Organization) -> None:
        """After the first page: the page is what the user waits for, the study list can follow."""
        await self._page_done.wait()
        try:
            studies = await self.console.client.studies(org.id)
        except JheError as failure:
            self.notify(f"The study list could not be loaded: {failure.message}", severity="warning", markup=False)
            return
        if self.console.organization != org:
            return
        self.studies = studies
        self.query_one("#study", Select).set_options([(f"{s.name} ({s.id})", s.id) for s in studies])

    @on(Select.Changed, "#study")
    def _study_changed(self, event: Select.Changed) -> None:
        study_id = event.value if isinstance(event.value, int) else None
        if study_id != self.study_id:
            self.study_id = study_id
            self.table.reset()
            self.load_patients()

    @on(Select.Changed, "#organization, #study")
    def _back_to_rows(self, event: Select.Changed) -> None:
        """A choice made from the keyboard lands back on the rows, where the next key acts."""
        if event.select.has_focus_within:
            # After the Select has taken focus back from its closing overlay.
            self.call_after_refresh(self.table.data_table.focus)

    @on(PagedTable.PageRequested)
    def _page_requested(self) -> None:
        self.load_patients(moved=True)

    @on(PagedTable.StopRequested)
    def _stop_loading(self) -> None:
        self.workers.cancel_group(self, "patients")
        self.ahead.drop()
        self.table.stopped()
        self.notify("Stopped loading that page; the rows on show are as they were (r loads again).")

    def key_escape(self) -> None:
        """Escape away from the table (under the loading indicator) stops the page; or leaves the filter."""
        if self.table.loading_page:
            self.table.action_back()
            return
        box = self.query_one("#filter", Input)
        if box.has_focus:
            box.value = ""
            box.display = False
            self._show_page()
            self.table.data_table.focus()

    def on_screen_suspend(self) -> None:
        self.ahead.drop()  # the user went elsewhere: by the time they are back it may be stale

    def _page_key(self) -> PageKey | None:
        org = self.console.organization
        return None if org is None else PageKey(org.id, self.study_id, self.table.page, self.table.page_size)

    @work(exclusive=True, group="patients", exit_on_error=False)
    async def load_patients(self, moved: bool = False) -> None:
        """``moved``: the user moved to another page or page size, which may have been fetched
        ahead; any other load (a reload, after a change) fetches afresh."""
        try:
            await self._load_patients(moved)
        finally:
            self._page_done.set()

    async def _load_patients(self, moved: bool) -> None:
        org, key = self.console.organization, self._page_key()
        if org is None or key is None:
            return
        table, error = self.table, self.query_one("#error", ErrorPanel)
        error.hide()
        table.display = True
        try:
            with table.waiting():
                fetched = await self.ahead.take(key) if moved else None
                if fetched is None:
                    self.ahead.drop()
                    fetched = await fetch_page(self.console.client, key)
        except JheError as failure:
            if isinstance(failure, NotFound) and table.page > 1:
                table.reset()  # v0.0.13 answers 404 past the last page, e.g. after removals
                self.load_patients()
                return
            table.display = False
            error.show("Loading patients", failure.message)
            return
        page = fetched.page
        if not page.items and page.count and table.page > 1:
            table.page = page.page_count  # the last page emptied under us: show the new last page
            self.load_patients()
            return
        self.view.rows = fetched.rows
        self._show_page(page.count)
        if key.page < table.pages:
            self.ahead.start(key.next())
        empty = self.query_one("#empty", Static)
        if page.count:
            set_text(empty, "")
        elif self.study_id is None:
            set_text(empty, f"No patients in {org.name}. a adds one.")
        else:
            set_text(empty, "No patient of this organization is in this study. + enrolls ticked patients; s shows All studies.")
        empty.set_class(not page.count, "shown")

    # --- this page's view: filter and sort ---------------------------------------------------

    def _show_page(self, count: int | None = None) -> None:
        shown = self.view.shown()
        headers = [self.view.header(index) for index in range(len(COLUMNS))]
        self.table.show_rows(shown, self.table.count if count is None else count, headers)
        described = self.view.describe(len(shown))
        set_text(self.query_one("#view", Static), described)
        box = self.query_one("#filter", Input)
        self.query_one("#view-bar").set_class(bool(described) or box.display, "shown")

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        self.query_one("#view-bar").add_class("shown")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.view.filter_text = event.value
        self._show_page()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.data_table.focus()

    def action_sort(self, step: int) -> None:
        self.view.step_sort(step)
        self._show_page()

    def action_reload(self) -> None:
        if self.console.session is None:
            self.load_session()
        else:
            self.load_patients()

    # --- actions ----------------------------------------------------------------------------

    def _chosen(self) -> list[Patient]:
        """The ticked patients, or the one under the cursor when none is ticked."""
        if self.table.selected:
            return list(self.table.selected.values())
        item = self.table.cursor_item
        return [item] if item is not None else []

    def open_patient(self, patient_id: int) -> None:
        org = self.console.organization
        assert org is not None

        def closed(changed: bool | None) -> None:
            if changed:
                self.load_patients()

        self.app.push_screen(patient_record(self.console.client, patient_id, org), closed)

    @on(PagedTable.Opened)
    def _row_opened(self, event: PagedTable.Opened) -> None:
        self.open_patient(event.item.id)

    def action_observations(self) -> None:
        patient = self.table.cursor_item
        if patient is not None:
            self.post_message(ShowObservations(self.study_id, patient.id))  # type: ignore[arg-type]  # None: every study

    def action_find(self) -> None:
        org = self.console.organization
        assert org is not None

        def found(patient: Patient | None) -> None:
            if patient is not None:
                self.open_patient(patient.id)

        self.app.push_screen(FindPatientModal(self.console.client, org, self.study_id), found)

    def action_add(self) -> None:
        org = self.console.organization
        assert org is not None

        def added(patient: Patient | None) -> None:
            if patient is not None:
                self.notify(f"Patient {patient.id} is in {org.name}.", markup=False)
                self.load_patients()
                self.open_patient(patient.id)

        self.app.push_screen(AddPatientModal(self.console.client, org), added)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_edit(self) -> None:
        patient, org = self.table.cursor_item, self.console.organization
        if patient is not None and org is not None and await edit_patient(self, self.console.client, patient, org):
            self.load_patients()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_remove(self) -> None:
        patient, org = self.table.cursor_item, self.console.organization
        if (
            patient is not None
            and org is not None
            and await remove_from_organization(self, self.console.client, patient.id, org)
        ):
            self.table.selected.pop(str(patient.id), None)
            self.load_patients()

    async def _studies_of_mine(self) -> list[StudyOf] | None:
        session, current = self.console.session, self.console.organization
        assert session is not None and current is not None
        return await studies_to_change(self, self.console.client, session.organizations, current, self.studies)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_enroll(self) -> None:
        patients = self._chosen()
        if not patients or (studies := await self._studies_of_mine()) is None:
            return
        if await enroll_in_a_study(self, self.console.client, patients, studies):
            self.table.selected.clear()  # done with them; the page stays where the user is
            self.load_patients()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_unenroll(self) -> None:
        patients = self._chosen()
        if not patients or (studies := await self._studies_of_mine()) is None:
            return
        if await remove_from_a_study(self, self.console.client, patients, studies, preferred=self.study_id):
            self.table.selected.clear()
            self.load_patients()
