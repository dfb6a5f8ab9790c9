"""The follow-up desk (F7): the day's follow-up work for one organization (optionally one study).

Five queues, each a tab with its count (`jobs.followup`): not connected, consent pending, went
quiet, expiring soon, never invited. Tick rows (space) and act on them all: re-issue their
invitations (e-mailed, or the new links collected into a private file for another channel),
enroll them in a study, open a record, copy their e-mail addresses, or export the queue as CSV for phone follow-up.
The hours and days after which a patient counts as not connected or quiet
(`h`, `d`) are those of `jhe-tui followup --hours/--days`; a change computes the queues again.
Every action that writes asks first and follows the organization's role. Where the server keeps
no invitations (v0.0.7), the queues say they rely on this workstation's log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static, Tab, Tabs

from jhe_tui import privacy
from jhe_tui.api import JheError, Organization, Study
from jhe_tui.api.text import counted
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.jobs.followup import Desk, Queue, Row as DeskRow, Rules, follow_up, rule_text
from jhe_tui.jobs.followup_files import write_csv
from jhe_tui.jobs.imports.report import write_safe_csv
from jhe_tui.jobs.invitation_issue import issue_invitation
from jhe_tui.local import paths
from jhe_tui.local.invitation_log import invitations_for
from jhe_tui.privacy import Sensitive
from jhe_tui.screens.navigation import patient_record
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.screens.patient_flows import enroll_in_a_study, writable_studies
from jhe_tui.widgets.clock import ago, now
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.invitation_history import outstanding_of_many
from jhe_tui.widgets.loading import loading_after
from jhe_tui.widgets.paged_table import PagedTable, Row

WRITES = frozenset({"reissue", "enroll"})
ON_ROWS = frozenset({"reissue", "enroll", "copy_emails", "export_queue"})
# Short, so the five tabs fit 80 columns; the line under them gives the queue's full name.
TAB_NAMES = {Queue.NOT_CONNECTED: "Not connected", Queue.PENDING: "Pending", Queue.QUIET: "Quiet",
             Queue.EXPIRING: "Expiring", Queue.NEVER: "Never invited"}
# The thresholds a coordinator may change, by Rules field (and field id): their name, their largest value.
THRESHOLDS = {"hours": ("Hours", 8760), "days": ("Days", 3650)}


def threshold_problem(text: str, unit: str, largest: int) -> str | None:
    """Why ``text`` is no threshold, in a sentence; None when it is one."""
    value = text.strip()
    if value.isdigit() and 1 <= int(value) <= largest:
        return None
    return f"{unit}: a whole number from 1 to {largest}."


def last_data(row: DeskRow, at: datetime) -> str:
    """For one who went quiet after sending data, the last data per type ("never" for a type that
    never came): it tells a device that stopped from a patient who did."""
    if not any(row.last_data.values()):
        return ""
    return ", ".join(f"{name} {ago(moment, at)}" for name, moment in row.last_data.items())


def export_dir() -> Path:
    return paths.private_dir(paths.data_dir() / "follow-up")


class FollowUpScreen(ConsoleScreen[None]):
    TITLE = "Follow-up"
    DEFAULT_CSS = """
    FollowUpScreen #queues { margin: 0 1; }
    FollowUpScreen #queue-note { margin: 0 1; height: auto; color: $text-accent; }
    FollowUpScreen #rules { height: auto; margin: 0 1; }
    FollowUpScreen #rules > Label { padding: 0 1 0 0; }
    FollowUpScreen #rules > .rule-name { text-style: bold; }
    FollowUpScreen #rules > Input { width: 6; margin-right: 1; background: $boost; }
    FollowUpScreen #rules > #rules-problem { width: 1fr; color: $text-error; }
    """
    BINDINGS = [
        Binding("i", "reissue", "Re-issue", id="desk.reissue", tooltip="Issue new invitations to the ticked patients (or the one under the cursor): e-mailed, or the links collected into a private file"),
        Binding("plus", "enroll", "Enroll", key_display="+", id="desk.enroll", tooltip="Enroll the ticked patients (or the one under the cursor) in a study of the organization"),
        Binding("y", "copy_emails", "Copy e-mails", id="desk.copy", tooltip="Copy the e-mail addresses of the ticked patients (or the whole queue)"),
        Binding("x", "export_queue", "Export CSV", id="desk.export", tooltip="Export this queue (or the ticked rows) as CSV for phone follow-up (mode 0600)"),
        Binding("left_square_bracket", "queue(-1)", "Previous queue", key_display="[", show=False, id="desk.previous", tooltip="The queue to the left"),
        Binding("right_square_bracket", "queue(1)", "Next queue", key_display="]", show=False, id="desk.next", tooltip="The queue to the right"),
        Binding("o", "pick('#organization')", "Organization", show=False, id="desk.organization", tooltip="Choose the organization"),
        Binding("s", "pick('#study')", "Study", show=False, id="desk.study", tooltip="Only the patients of one study"),
        Binding("h", "focus('#hours')", "Hours", show=False, id="desk.hours", tooltip="Change after how many hours an invited patient who has not connected is listed (default 48)"),
        Binding("d", "focus('#days')", "Days", show=False, id="desk.days", tooltip="Change after how many days without data a consented patient has gone quiet (default 3)"),
        Binding("r", "reload", "Reload", show=False, id="desk.reload", tooltip="Compute the queues again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.desk: Desk | None = None
        self.queue = Queue.NOT_CONNECTED
        self.studies: list[Study] = []
        self.rules = Rules()

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="context"):
            yield from self.compose_selectors()
        with Horizontal(id="rules"):
            yield Label("Not connected after", classes="rule-name")
            yield Input(str(self.rules.hours), id="hours", type="integer", compact=True, max_length=4)
            yield Label("h ·")
            yield Label("quiet after", classes="rule-name")
            yield Input(str(self.rules.days), id="days", type="integer", compact=True, max_length=4)
            yield Label("d")
            yield Static("", id="rules-problem", markup=False)
        yield Tabs(*(Tab(f"{TAB_NAMES[q]} (…)", id=f"queue-{q.value}") for q in Queue), id="queues")
        yield Static("", id="queue-note", markup=False)
        yield PagedTable(("ID", "Patient", "Why", "E-mail", "Last data"), noun="patient", id="desk")
        yield ErrorPanel(id="error")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#desk", PagedTable)

    def on_mount(self) -> None:
        self.table.data_table.focus()
        self.load_session()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITES and not self.console.can_write:
            return None
        if action in ON_ROWS and not self._chosen(whole_queue=action not in WRITES):
            return None
        return True

    def disabled_reason(self, action: str) -> str | None:
        if action in WRITES and not self.console.can_write:
            return self.console.read_only_reason
        return "this queue is empty"

    # --- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="session", exit_on_error=False)
    async def load_session(self) -> None:
        current = self.console.organization
        chosen = await self.load_organizations(current.id if current else None)
        if chosen is not None:
            self.take_organization(chosen)

    def show_organization(self, org: Organization) -> None:
        self.load_studies(org)

    @work(exclusive=True, group="studies", exit_on_error=False)
    async def load_studies(self, org: Organization) -> None:
        select = self.query_one("#study", Select)
        try:
            studies = await self.console.client.studies(org.id)
        except JheError as failure:
            self.query_one("#error", ErrorPanel).show("Loading studies", failure.message)
            return
        self.studies = studies
        with self.prevent(Select.Changed):
            select.set_options([(s.name or f"Study {s.id}", s.id) for s in studies])
        self.fill()

    @on(Select.Changed, "#study")
    def _study_chosen(self) -> None:
        self.fill()

    def action_reload(self) -> None:
        self.fill()

    @work(exclusive=True, group="desk", exit_on_error=False)
    async def fill(self) -> None:
        org = self.console.organization
        if org is None:
            return
        study = self.query_one("#study", Select).value
        study_id = study if isinstance(study, int) else None
        client, error = self.console.client, self.query_one("#error", ErrorPanel)
        error.hide()
        try:
            with loading_after(self.table.data_table):
                log = [] if await client.keeps_invitations() else invitations_for(client.server_url)
                desk = await follow_up(client, org.id, study_id, now=now(), rules=self.rules, local_log=log)
        except JheError as failure:
            error.show("Filling the follow-up desk", failure.message)
            return
        self.desk = desk
        tabs = self.query_one("#queues", Tabs)
        for queue in Queue:
            tabs.query_one(f"#queue-{queue.value}", Tab).label = f"{TAB_NAMES[queue]} ({desk.count(queue)})"
        self.table.selected.clear()
        self.show_queue()

    @on(Input.Changed, "#hours, #days")
    def _threshold_changed(self, event: Input.Changed) -> None:
        """A valid value recomputes the queues; an invalid one is said beside the fields, and the
        queues stay those of the last valid values."""
        name = event.input.id or ""
        unit, largest = THRESHOLDS[name]
        problem = threshold_problem(event.value, unit, largest)
        other = next(n for n in THRESHOLDS if n != name)
        other_problem = threshold_problem(self.query_one(f"#{other}", Input).value, *THRESHOLDS[other])
        self.query_one("#rules-problem", Static).update(problem or other_problem or "")
        if problem is None and int(event.value) != getattr(self.rules, name):
            self.rules = replace(self.rules, **{name: int(event.value)})
            self.fill()

    @on(Input.Submitted, "#hours, #days")
    def _threshold_done(self) -> None:
        self.table.data_table.focus()

    # --- the queue shown --------------------------------------------------------------------------

    @on(Tabs.TabActivated, "#queues")
    def _tab(self, event: Tabs.TabActivated) -> None:
        self.queue = Queue(event.tab.id.removeprefix("queue-"))
        self.table.reset()
        self.table.selected.clear()
        self.show_queue()

    def action_queue(self, step: int) -> None:
        """From the tab last asked for, not the queue shown: a second key pressed before the first
        tab's change arrives moves on again instead of asking for the same tab twice."""
        tabs, order = self.query_one("#queues", Tabs), list(Queue)
        current = Queue(tabs.active.removeprefix("queue-")) if tabs.active else self.queue
        tabs.active = f"queue-{order[(order.index(current) + step) % len(order)].value}"

    @on(PagedTable.PageRequested, "#desk")
    def show_queue(self) -> None:
        desk, table = self.desk, self.table
        if desk is None:
            return
        rows = desk.queues[self.queue]
        start = (table.page - 1) * table.page_size
        table.show_rows([Row(key=str(r.id), item=r.patient, cells=(
            str(r.id), Sensitive(r.patient.display_name, "name"), r.reason,
            Sensitive(r.patient.telecom_email or "", "email"), last_data(r, desk.now))) for r in rows[start:start + table.page_size]], len(rows))
        note = desk.notes.get(self.queue, "")
        summary = (f"{self.queue.title} ({rule_text(self.queue, desk.rules)}): {counted(len(rows), 'patient')} of "
                   f"{desk.patients}. Space ticks, i re-issues, y copies e-mails, x exports.")
        self.query_one("#queue-note", Static).update(summary + (f"\n{note}" if note else ""))
        self.refresh_bindings()

    def _chosen(self, *, whole_queue: bool = False) -> list:
        """The ticked rows' patients; else the queue (``whole_queue``) or the row under the cursor."""
        if self.desk is None:
            return []
        if self.table.selected:
            return list(self.table.selected.values())
        if whole_queue:
            return [row.patient for row in self.desk.queues[self.queue]]
        item = self.table.cursor_item
        return [item] if item is not None else []

    @on(PagedTable.Opened, "#desk")
    def _open(self, event: PagedTable.Opened) -> None:
        org = self.console.organization
        if org is not None:
            self.app.push_screen(patient_record(self.console.client, event.item.id, org),
                                 lambda changed: self.fill() if changed else None)

    # --- bulk actions -----------------------------------------------------------------------------

    def action_copy_emails(self) -> None:
        emails = [p.telecom_email for p in self._chosen(whole_queue=True) if p.telecom_email]
        self.app.copy_to_clipboard(", ".join(emails))
        noun = "e-mail address" if len(emails) == 1 else "e-mail addresses"
        self.notify(f"Copied {len(emails)} {noun}.", markup=False)

    def action_export_queue(self) -> None:
        desk = self.desk
        if desk is None:
            return
        ids = {p.id for p in self._chosen(whole_queue=True)}
        path = export_dir() / f"follow-up-{self.queue.value}-{desk.now.astimezone(UTC):%Y%m%dT%H%M%SZ}.csv"
        try:
            write_csv(path, [row for row in desk.queues[self.queue] if row.id in ids])
        except OSError as problem:
            self.notify(f"Could not write {path}: {problem.strerror or problem}.", severity="error", markup=False)
            return
        self.notify(f"Exported {counted(len(ids), 'row')} to {path} (only you can read it).", markup=False)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_enroll(self) -> None:
        """The record's and the patient list's enrolment: a study of any organization where the
        user may enroll, the desk's organization's first."""
        patients, org, session = self._chosen(), self.console.organization, self.console.session
        if not patients or org is None or session is None:
            return
        client = self.console.client
        try:
            studies = await writable_studies(client, session.organizations, org, self.studies)
        except JheError as failure:
            self.notify(failure.message, severity="error", markup=False)
            return
        if await enroll_in_a_study(self, client, patients, studies):
            self.fill()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_reissue(self) -> None:
        patients, desk = self._chosen(), self.desk
        if not patients or desk is None:
            return
        how = await self.app.push_screen_wait(ChoiceModal(
            "Re-issue invitations", f"New invitation links for {counted(len(patients), 'patient')}. How should they "
            "reach them?", [("E-mail each patient their new link", True),
                            ("Collect the new links into a private file (for another channel)", False)]))
        if how is None:
            return
        rows = {row.id: row for queue in desk.queues.values() for row in queue}
        warning = outstanding_of_many([r.invited for p in patients if (r := rows.get(p.id)) and r.invited])
        lines = [f"{p.display_name} <{p.telecom_email or 'no e-mail'}>" for p in patients[:8]]
        lines += [f"… and {len(patients) - 8} more"] if len(patients) > 8 else []
        if await self.app.push_screen_wait(ConfirmModal(
                "Re-issue invitations", lines, confirm_label="E-mail new links" if how else "Write the links",
                warning=warning)) is None:
            return
        await self._reissue(patients, emailed=how)

    async def _reissue(self, patients: list, *, emailed: bool) -> None:
        client, session = self.console.client, self.console.session
        practitioner = session.user.email or "" if session else ""
        links, failed = [], []
        for patient in patients:
            try:
                invitation = await issue_invitation(client, patient.id, send_email=emailed, practitioner=practitioner,
                                                    clock=now)
            except JheError as failure:
                failed.append(f"{patient.id}: {failure.message}")
                continue
            links.append([patient.id, patient.telecom_email or "", invitation.link])
        done = f"E-mailed new links to {counted(len(links), 'patient')}" if emailed else ""
        if emailed and len(links) == 1 and links[0][1]:  # the one address, as the record says it
            done = f"E-mailed a new link to {privacy.email(links[0][1], privacy.is_on(self))}"
        if not emailed and links:
            path = export_dir() / f"invitation-links-{now().astimezone(UTC):%Y%m%dT%H%M%SZ}.csv"
            write_safe_csv(path, ["patient_id", "email", "invitation_link"], links)
            done = f"Wrote {counted(len(links), 'new link')} to {path} (only you can read it)"
        problems = f"; {len(failed)} failed: {failed[0]}" if failed else ""
        self.notify((done or "No invitation was issued") + problems + ".", markup=False,
                    severity="warning" if failed else "information")
        self.fill()
