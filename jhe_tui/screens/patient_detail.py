"""One patient: who they are, where they belong, what they consented to, and their invitation.

Three ids are in play and are easily confused on the phone with IT: the patient record
id, the login user id and the clinic's own external ids, so each is labelled. Consent is
shown per data type with the answer in words and a symbol, never colour alone, and with
its time (the web console showed neither declined answers nor times). Consent can be
changed here on the patient's behalf, which the web console cannot do; every change asks
who authorized it and is written to the local audit log (jhe_tui.screens.consent_flow). From
here the patient is also enrolled in a study or removed from one (record_studies), and their
observations opened, so the desk need not go back to a list for any of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.reactive import var
from textual.widgets import Button, DataTable, Label, Static, TextArea
from textual.worker import Worker

from jhe_tui import privacy
from jhe_tui.api import (
    InvitationClient,
    JheClient,
    JheError,
    Organization,
    Patient,
    PatientConsents,
)
from jhe_tui.api.invitations import ClientInvitations
from jhe_tui.screens.navigation import ShowObservations
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.screens.consent_flow import ConsentRow, answer_text, consent_on_behalf
from jhe_tui.screens.patient_flows import edit_patient, remove_from_organization
from jhe_tui.screens.record_studies import enroll_from_record, unenroll_from_record
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.jobs.invitation_issue import issue_invitation
from jhe_tui.local.invitation_log import invitations_for
from jhe_tui.widgets.clock import now, utc_text
from jhe_tui.widgets.invitation_history import SessionLink, history_text, outstanding
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.loading import loading_after
from jhe_tui.widgets.patient_form import identifiers_text
from jhe_tui.widgets.table import ConsoleTable

WRITES = frozenset({"edit", "remove", "invite", "consent", "enroll", "unenroll"})
NO_LINK = "No link yet: i generates one."


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


class PatientDetailScreen(ConsoleScreen[bool]):
    """Dismisses with True when something changed, so the list reloads."""

    TITLE = "Patient"
    # Below 90 columns the invitation goes under the identity, full width (jhe_tui.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back", id="detail.back", tooltip="Back to the patient list"),
        Binding("i", "invite", "Invite", id="detail.invite",
                tooltip="Generate a new invitation link (earlier links stop working): copy it, or e-mail it too"),
        Binding("y", "copy", "Copy link", id="detail.copy", tooltip="Copy the invitation link to the clipboard again"),
        # A priority key, so Enter on a consent row chooses an answer instead of only moving there;
        # elsewhere (buttons, the checkbox) check_action hides it and Enter does what it always does.
        Binding("enter", "consent", "Consent", id="detail.consent", priority=True,
                tooltip="On a consent row: Grant, Decline (pending) or Revoke (granted), or grant every scope "
                        "of the study with one attestation, on the patient's behalf"),
        Binding("e", "edit", "Edit", id="detail.edit", tooltip="Edit the patient's details"),
        Binding("d", "remove", "Remove", id="detail.remove", show=False, tooltip="Remove the patient from this organization"),
        Binding("plus", "enroll", "Enroll", id="detail.enroll", key_display="+",
                tooltip="Enroll the patient in a study of their organizations"),
        Binding("minus", "unenroll", "From study", id="detail.unenroll", key_display="-",
                tooltip="Remove the patient from one of their studies (their consent answers for it go)"),
        Binding("b", "observations", "Observations", id="detail.observations",
                tooltip="Open the Observations screen for this patient"),
        Binding("r", "reload", "Reload", id="detail.reload", show=False, tooltip="Load the patient and consents again"),
    ]

    # What the keys need: the patient loaded, their consent rows, an invitation link to copy.
    patient: var[Patient | None] = var(None, bindings=True)
    consent_rows: var[dict[str, ConsentRow]] = var(dict, bindings=True)
    link: var[str | None] = var(None, bindings=True)

    def __init__(self, client: JheClient, patient_id: int, organization: Organization) -> None:
        super().__init__()
        self._client = client
        self.patient_id = patient_id
        self.organization = organization
        self.consents: PatientConsents | None = None
        self.changed = False
        self._consent_table_id = "pending"
        self._loader: Worker[None] | None = None
        self.history: list[ClientInvitations] | None = None  # None: the server keeps none (v0.0.7)
        self.logged: list[LoggedInvitation] = []  # this workstation's invitations of the patient

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(id="detail"):
            yield Static(f"Patient {self.patient_id}", id="detail-title", markup=False)
            yield ErrorPanel(id="error")
            with Horizontal(id="detail-top"):
                yield Static("", id="identity", markup=False)
                with Vertical(id="invitation"):
                    with Horizontal(id="invite-controls"):
                        yield Button("Generate", id="generate", compact=True)
                        yield Button("Copy", id="copy", compact=True)
                    yield TextArea(
                        "", id="link", read_only=True, soft_wrap=True, compact=True, placeholder=NO_LINK
                    )
                    yield Static("", id="invite-status", markup=False)
                    yield Static("", id="invite-history", markup=False)
            yield Label("Studies pending response", classes="section-title")
            pending: ConsoleTable[Text] = ConsoleTable(cursor_type="row", id="pending")
            pending.add_columns("Study", "Data type", "Answer")
            yield pending
            yield Label("Studies responded to", classes="section-title")
            answered: ConsoleTable[Text] = ConsoleTable(cursor_type="row", id="answered")
            answered.add_columns("Study", "Data type", "Answer", "Answered at")
            yield answered
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#invitation").border_title = "Invitation"
        self.load()

    def privacy_changed(self, masked: bool) -> None:
        if self.patient is not None:
            self._show_patient(self.patient)

    # --- what is allowed -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "consent" and (self.focused is None or self.focused.id not in ("pending", "answered")):
            return False
        return None if self.disabled_reason(action) else True

    def disabled_reason(self, action: str) -> str | None:
        if action in WRITES and not self.console.can_write:
            return self.console.read_only_reason
        if action in WRITES and self.patient is None:
            return "the patient is still loading"
        if action == "copy" and self.link is None:
            return "generate a link first (i)"
        if action == "reload" and self.loading_now:
            # Typing during a slow load (a name with an r in it) restarted it at each r: the
            # requests went again, and a busy server still worked through the abandoned ones.
            return "the patient is still loading"
        if action == "consent" and not self.consent_rows:
            return "the patient is in no study that requests data"
        return None

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        """Load the record (again): after a change, the load in progress gives way to a fresh one."""
        self._loader = self._load()

    @property
    def loading_now(self) -> bool:
        return self._loader is not None and not self._loader.is_finished

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._loader:
            self.refresh_bindings()  # r: off while the record loads, on again after

    @work(exclusive=True, group="load", exit_on_error=False)
    async def _load(self) -> None:
        error = self.query_one("#error", ErrorPanel)
        error.hide()
        try:
            with loading_after(self.query_one("#detail")):
                self.patient = await self._client.patient(self.patient_id)
                self.consents = await self._client.consents(self.patient_id)
                await self._load_history()
        except JheError as failure:
            error.show("Loading the patient", failure.message)
            return
        self._show_patient(self.patient)
        self._show_consents(self.consents)
        if self.focused is None or self.focused.id not in ("pending", "answered"):
            # Start where the consent keys act: pending answers first, they need follow-up.
            first = "pending" if any(row.scope.consented is None for row in self.consent_rows.values()) else "answered"
            table = self.query_one(f"#{first}", DataTable)
            table.focus(scroll_visible=False)
            # Brought into view once laid out with what was just shown (the history above it
            # changes its place), not against the layout before.
            self.call_after_refresh(table.scroll_visible, animate=False)

    def _show_patient(self, patient: Patient) -> None:
        masked = privacy.is_on(self)
        self.query_one("#detail-title", Static).update(
            f"Patient {patient.id} · {privacy.name(patient.display_name, masked)}"
        )
        orgs = "\n".join(f"{org.name or 'organization'} ({org.id})" for org in patient.organizations) or "none"
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for label, value in (
            ("Patient ID", f"{patient.id}  (record in JHE)"),
            ("User ID", f"{patient.jhe_user_id if patient.jhe_user_id is not None else '—'}  (login account)"),
            ("External IDs", privacy.identifier(identifiers_text(patient), masked) or "—"),
            ("Family name", privacy.name(patient.name_family, masked) or "—"),
            ("Given name", privacy.name(patient.name_given, masked) or "—"),
            ("Birth date", privacy.birth_date(patient.birth_date, masked) or "—"),
            ("E-mail", privacy.email(patient.telecom_email, masked) or "—"),
            ("Phone", privacy.phone(patient.telecom_phone, masked) or "—"),
            ("Organizations", orgs),
        ):
            grid.add_row(label, Text(value))  # Text: user data is never markup
        self.query_one("#identity", Static).update(grid)

    def _show_consents(self, consents: PatientConsents) -> None:
        rows: dict[str, ConsentRow] = {}
        for table_id, studies in (("pending", consents.pending), ("answered", consents.answered)):
            table = self.query_one(f"#{table_id}", DataTable)
            cursor = table.cursor_row
            table.clear()
            for study in sorted(studies, key=lambda s: (s.name, s.id)):
                for scope in study.scopes:
                    row = ConsentRow(study, scope)
                    rows[row.key] = row
                    cells = [Text(f"{study.name} ({study.id})"), Text(scope.code.display), answer_text(scope)]
                    if table_id == "answered":
                        cells.append(Text(when(scope.consented_time)))
                    table.add_row(*cells, key=row.key)
            if table.row_count:
                table.move_cursor(row=min(max(cursor, 0), table.row_count - 1))
            else:
                table.add_row(Text("none"), key=f"{table_id}-none")
        self.consent_rows = rows

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(self.changed)

    # --- consent on the patient's behalf ------------------------------------------------------

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if event.widget.id in ("pending", "answered"):
            self._consent_table_id = event.widget.id

    def _consent_under_cursor(self) -> ConsentRow | None:
        table = self.query_one(f"#{self._consent_table_id}", DataTable)
        if table.row_count == 0 or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.consent_rows.get(str(key))

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_consent(self) -> None:
        row, patient = self._consent_under_cursor(), self.patient
        if row is None or patient is None:
            self.notify("Move the cursor to a data type in one of the consent tables first.", severity="warning")
            return
        if await consent_on_behalf(self, self._client, patient, row, self.consent_rows.values()):
            self.changed = True
            self.load()

    # --- invitation ---------------------------------------------------------------------------

    @on(Button.Pressed, "#generate")
    def _generate_pressed(self) -> None:
        self.run_action("invite")

    @on(Button.Pressed, "#copy")
    def _copy_pressed(self) -> None:
        self.run_action("copy")

    async def _load_history(self) -> None:
        """The invitations' history (this workstation's log where the server keeps none), and
        the link generated in this session, if any, back in its box."""
        self.history = await self._client.invitation_history(self.patient_id)
        server = self._client.server_url
        self.logged = [e for e in invitations_for(server) if e.patient_id == self.patient_id]
        self.query_one("#invite-history", Static).update(history_text(self.history, self.logged, now()))
        kept = self.console.guard.links.get(self.patient_id)
        if kept is not None and self.link is None:
            self.link = kept.link
            self.query_one("#link", TextArea).text = kept.link
            sent = f", e-mailed to {privacy.email(kept.emailed_to, privacy.is_on(self))}" if kept.emailed_to else ""
            self.query_one("#invite-status", Static).update(
                f"Generated at {utc_text(kept.issued)} in this session{sent}; y copies it again.")

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_invite(self) -> None:
        status = self.query_one("#invite-status", Static)
        dies = outstanding(self.history, self.logged, self.console.guard.links.get(self.patient_id), now())
        if dies is not None and await self.app.push_screen_wait(ConfirmModal(
                "Generate a new invitation link?", ["A patient has one working link at a time."],
                confirm_label="Generate a new link", warning=dies[0].upper() + dies[1:])) is None:
            return
        send = await self._ask_email()
        if send is None:
            return
        try:
            # v0.0.13 issues links per app; when the patient's studies use several, ask which.
            apps = [app for app in await self._client.invitation_clients(self.patient_id) if app.invitation_url]
            client_id = None
            if len(apps) > 1:
                chosen: InvitationClient | None = await self.app.push_screen_wait(
                    ChoiceModal(
                        "Which app is the invitation for?",
                        "This patient's studies use several apps. The link opens the one you choose.",
                        [(f"{app.name} (app {app.id})", app) for app in apps],
                    )
                )
                if chosen is None:
                    return
                client_id = chosen.id
            session = self.console.session
            invitation = await issue_invitation(self._client, self.patient_id, send_email=send, client_id=client_id,
                                                practitioner=session.user.email or "" if session else "", clock=now)
        except JheError as failure:
            status.update(f"⚠ {failure.message}")
            return
        self.link = invitation.link
        self.query_one("#link", TextArea).text = invitation.link
        address = self.patient.telecom_email if invitation.sent_by_email and self.patient else None
        self.console.guard.links[self.patient_id] = SessionLink(invitation.link, now(), address, invitation.client_name)
        app_name = f" for {invitation.client_name}" if invitation.client_name else ""
        mailed = f" and e-mailed to {privacy.email(address, privacy.is_on(self))}" if address else ""
        self.action_copy(f"New link{app_name} generated{mailed}; earlier links no longer work. ")
        try:
            await self._load_history()
        except JheError as failure:
            self.query_one("#invite-history", Static).update(f"⚠ {failure.message}")

    async def _ask_email(self) -> bool | None:
        """Copy the new link only, or have the server e-mail it to the patient too; None: cancelled.
        Asked each time: a standing checkbox was easy to leave on (or off) by mistake."""
        email = self.patient.telecom_email if self.patient else None
        shown = privacy.email(email, privacy.is_on(self)) if email else None
        choices = [("Copy the link (nothing is sent)", False)]
        if shown:
            choices.append((f"E-mail it to {shown} too (and copy it)", True))
        return await self.app.push_screen_wait(ChoiceModal(
            "Invite the patient",
            "A new link replaces every earlier one." + ("" if shown else " The patient has no e-mail address to send it to."),
            choices,
        ))

    def action_copy(self, news: str = "") -> None:
        if self.link is None:
            return
        self.app.copy_to_clipboard(self.link)
        # OSC 52 may be swallowed (tmux without set-clipboard, Apple Terminal): show the text too.
        self.query_one("#invite-status", Static).update(
            f"{news}Copied (y copies it again); if it did not arrive, select the link above."
        )
        self.notify(f"Copied to the clipboard:\n{self.link}", markup=False)

    # --- edit and remove ----------------------------------------------------------------------

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_edit(self) -> None:
        if self.patient is not None and await edit_patient(self, self._client, self.patient, self.organization):
            self.changed = True
            self.load()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_remove(self) -> None:
        if await remove_from_organization(self, self._client, self.patient_id, self.organization):
            self.dismiss(True)

    # --- studies and observations ---------------------------------------------------------------

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_enroll(self) -> None:
        if self.patient is not None and self.consents is not None and await enroll_from_record(
                self, self._client, self.patient, self.consents):
            self.changed = True
            self.load()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_unenroll(self) -> None:
        if self.patient is not None and await unenroll_from_record(self, self._client, self.patient):
            self.changed = True
            self.load()

    def action_observations(self) -> None:
        self.post_message(ShowObservations(None, self.patient_id))
