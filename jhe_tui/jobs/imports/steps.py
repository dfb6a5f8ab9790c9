"""One row's steps, each done exactly once: ensure the patient, ensure the enrolment, ensure the
invitation (``invites``), and the dry run's look-ups.

Each completed step is in the journal (fsynced) before the next one starts. Before a create or an
add-to-organization the intent is journaled, so after a crash the rerun tells "we created it"
from "it was there already". A create is never repeated on guesswork: after an unclear failure
(dropped connection, 5xx, 429) the e-mail is looked up again and the create is sent again only if
the patient is still absent; a lost enrolment is checked in the study's patients. Skipped patients
are enrolled too when a study is given, but not invited: they already have an account here, and a
new link would cancel the one they were given.

``checkpoint`` is called with a name at each point where a process may die between two durable
effects (``CHECKPOINTS``); shipped runs pass a no-op, and the kill-and-resume tests a launcher that
kills the process there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from jhe_tui import patient_rules
from jhe_tui.api import Conflict, InvalidInput, JheClient, JheError, Patient, PatientDraft

from .enroller import Enroller
from .invites import Invited, Inviter
from .journal import Journal, RowState
from .options import ImportOptions
from .outcomes import Outcome, RowResult
from .pace import Pace
from .source import SourceRow

Checkpoint = Callable[[str], None]
CHECKPOINTS = ("after-intent", "after-create", "after-patient", "after-enroll", "after-invite-intent",
               "after-invite")


class RowRefused(Exception):
    """The row breaks a rule of the organization (an external id another patient holds): the
    file's row is at fault, as for the rules ``source`` checks, and nothing was sent."""


def no_checkpoint(point: str) -> None:
    """Shipped runs go through every checkpoint without stopping."""


@dataclass
class _Row:
    """A row on its way through the steps."""

    source: SourceRow
    state: RowState  # what the journal knew of it when the row started
    record: Callable[..., Awaitable[None]]
    patient: Patient | None = None  # as the server answered this run (None: from the journal)
    fresh: bool = False  # created by this very process: cannot be enrolled yet
    notes: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        assert self.state.outcome is not None
        return Outcome(self.state.outcome)


@dataclass
class Steps:
    client: JheClient
    options: ImportOptions
    pace: Pace
    journal: Journal | None
    members: dict[str, Patient] | None  # the organization's patients by e-mail, where listed
    study_org: int | None
    inviter: Inviter
    enroller: Enroller | None = None
    holders: dict[str, Patient] | None = None  # the organization's patients by external id, where listed
    checkpoint: Checkpoint = no_checkpoint
    earlier: Journal | None = None  # a dry run: what an earlier run of this import recorded (read only)

    def id_taken(self, row: SourceRow) -> str | None:
        """Why the row may not create its patient: another patient of the organization has its id."""
        holder = self.holders.get(row.external_id) if self.holders is not None and row.external_id else None
        if holder is None or (holder.telecom_email or "").casefold() == row.key:
            return None
        return patient_rules.external_id_taken(row.external_id, holder.id)

    async def row(self, source: SourceRow) -> RowResult:
        journal = self.journal
        state = journal.state(source.key) if journal else RowState()

        async def record(kind: str, **values: Any) -> None:
            if journal is not None:
                await journal.commit(source.key, kind, **values)

        row = _Row(source, state, record)
        earlier = state.outcome is not None
        async with self.pace.working(new_row=True):
            await self.ensure_patient(row)
        enrolled = await self.ensure_enrolled(row) if self.options.study_id is not None else ""
        invited = await self.ensure_invited(row) if self.options.invite else Invited("")
        if invited.note:
            row.notes.append(invited.note)
        return RowResult(source.number, source.email, row.outcome, state.patient_id, enrolled, invited.link,
                         invited.emailed, "; ".join(row.notes), invite_unsure=invited.unsure, earlier=earlier)

    # --- the patient ----------------------------------------------------------------------------

    async def ensure_patient(self, row: _Row) -> None:
        """The patient in the organization: found there, added to it, or created."""
        state, email = row.state, row.source.email
        if state.outcome is None:
            members = self.members if state.intent is None else None
            patient = members.get(email.lower()) if members is not None else await self._lookup(email)
            if members is not None and patient is not None:
                outcome = Outcome.SKIPPED  # listed in the organization before this import touched it
            elif state.intent is not None and self._in_org(patient):
                # An earlier run sent the request and died before journaling the answer.
                outcome = Outcome.CREATED if state.intent == "create" else Outcome.ADDED
            elif patient is None:
                outcome, patient = await self._create_or_add(row)
            elif self._in_org(patient):
                outcome = Outcome.SKIPPED
            else:
                await row.record("adding")
                outcome, patient = Outcome.ADDED, await self._add(patient)
            assert patient is not None
            await row.record("patient", outcome=outcome.value, id=patient.id)
            self.checkpoint("after-patient")
            state.outcome, state.patient_id = outcome.value, patient.id
            row.patient = patient
        if row.outcome is Outcome.SKIPPED:
            row.notes.append(f"already in organization {self.options.organization_id}")

    async def _create_or_add(self, row: _Row) -> tuple[Outcome, Patient]:
        taken = self.id_taken(row.source)
        if taken:
            raise RowRefused(taken)
        await row.record("creating")
        self.checkpoint("after-intent")
        try:
            patient = await self._create(row.source)
        except Conflict:
            # The e-mail is taken: by a patient of another organization (not looked up first), or
            # by one created since our look-up or listing.
            await row.record("refused")
            patient = await self._lookup(row.source.email)
            if patient is None:
                raise
            if self._in_org(patient):
                return Outcome.SKIPPED, patient
            await row.record("adding")
            return Outcome.ADDED, await self._add(patient)
        self.checkpoint("after-create")
        row.fresh = True
        return Outcome.CREATED, patient

    async def _lookup(self, email: str) -> Patient | None:
        return await self.pace.retrying(lambda: self.client.find_patient_by_email(email))

    def _in_org(self, patient: Patient | None) -> bool:
        return patient is not None and self.options.organization_id in patient.organization_ids

    async def _create(self, row: SourceRow) -> Patient:
        draft = PatientDraft(email=row.email, family=row.family, given=row.given, birth_date=row.birth_date,
                             phone=row.phone or None, external_id=row.external_id or None)

        async def created_after_all() -> Patient | None:
            found = await self.client.find_patient_by_email(row.email)
            return found if self._in_org(found) else None

        organization_id = self.options.organization_id
        return await self.pace.retrying(lambda: self.client.create_patient_unchecked(organization_id, draft),
                                        verify=created_after_all)

    async def _add(self, patient: Patient) -> Patient:
        organization_id = self.options.organization_id

        async def added_after_all() -> Patient | None:
            found = await self.client.patient(patient.id)
            return found if self._in_org(found) else None

        return await self.pace.retrying(
            lambda: self.client.add_patient_to_organization_unchecked(patient.id, organization_id),
            verify=added_after_all)

    # --- the enrolment --------------------------------------------------------------------------

    async def ensure_enrolled(self, row: _Row) -> str:
        """The patient in the study: "yes", or "already" when enrolled before this import."""
        state, study_id = row.state, self.options.study_id
        assert study_id is not None and state.patient_id is not None
        if state.enrolled:
            enrolled = "already" if state.already_enrolled else "yes"
        else:
            if row.patient is not None and self.study_org not in row.patient.organization_ids:
                # The pre-check of the guide: enrolling across organizations is a 500 at JHE.
                raise InvalidInput(f"Patient {state.patient_id} is not in organization {self.study_org}, "
                                   f"so cannot join study {study_id}.")
            if row.fresh:
                already = False
            else:
                async with self.pace.working():
                    already = await self._is_enrolled(state.patient_id)
            if not already:
                await self._enroll_batched(state.patient_id)
                self.checkpoint("after-enroll")
            # A patient we created or added and find enrolled was enrolled by an earlier run.
            already = already and row.outcome is Outcome.SKIPPED
            await row.record("enrolled", already=already)
            enrolled = "already" if already else "yes"
        row.notes.append(f"{'already enrolled' if enrolled == 'already' else 'enrolled'} in study {study_id}")
        return enrolled

    async def _is_enrolled(self, patient_id: int) -> bool:
        study_id = self.options.study_id
        assert study_id is not None
        return await self.pace.retrying(
            lambda: self.client.is_enrolled(study_id, patient_id, organization_id=self.options.organization_id))

    async def _enroll(self, patient_id: int) -> None:
        study_id = self.options.study_id
        assert study_id is not None

        async def post() -> bool:
            await self.client.enroll_patients_unchecked(study_id, [patient_id])
            return True

        async def enrolled_after_all() -> bool | None:
            return True if await self._is_enrolled(patient_id) else None

        await self.pace.retrying(post, verify=enrolled_after_all)

    async def _enroll_batched(self, patient_id: int) -> None:
        """Enrol with the other patients waiting in the same batch; if that batch fails for any
        reason, this patient alone, after checking whether the batch enrolled them after all."""
        if self.enroller is not None:
            try:
                await self.enroller.enroll(patient_id)
                return
            except JheError:
                pass
        async with self.pace.working():
            if not await self._is_enrolled(patient_id):
                await self._enroll(patient_id)

    # --- the invitation -------------------------------------------------------------------------

    async def ensure_invited(self, row: _Row) -> Invited:
        """One invitation per patient this import brought in, whatever died on the way."""
        state = row.state
        if state.invited:
            return Invited("invitation e-mailed" if state.emailed else "invitation link in this report",
                           state.link or "", emailed=state.emailed)
        if row.outcome is Outcome.SKIPPED:
            return Invited("not invited: already a patient of this organization (a new link would cancel theirs)")
        assert state.patient_id is not None
        async with self.pace.working():
            return await self.inviter.invite(state.patient_id, state, created=row.outcome is Outcome.CREATED,
                                             record=row.record)

    # --- one row, dry run -----------------------------------------------------------------------

    async def dry_row(self, row: SourceRow) -> RowResult:
        state = self.earlier.state(row.key) if self.earlier is not None else RowState()
        if state.outcome is not None:
            return self._dry_after_earlier(row, state)
        async with self.pace.working(new_row=True):
            return await self._dry_checks(row)

    def _dry_after_earlier(self, row: SourceRow, state: RowState) -> RowResult:
        """A row an earlier run of this import got to: what a rerun would still do for it."""
        options, notes, enrolled = self.options, ["done in an earlier run"], ""
        if options.study_id is not None:
            enrolled = ("already" if state.already_enrolled else "yes") if state.enrolled else "no"
            if not state.enrolled:
                notes.append(f"would enroll in study {options.study_id}")
        if options.invite and not state.invited and state.outcome != Outcome.SKIPPED:
            notes.append("would e-mail an invitation" if options.send_email else "would generate an invitation link")
        return RowResult(row.number, row.email, Outcome(state.outcome), state.patient_id, enrolled,
                         message="; ".join(notes), earlier=True)

    async def _dry_checks(self, row: SourceRow) -> RowResult:
        options = self.options
        patient = await self._lookup(row.email)
        notes: list[str] = []
        enrolled = ""
        taken = self.id_taken(row) if patient is None else None
        if taken:
            return RowResult(row.number, row.email, Outcome.INVALID, message=taken)
        if patient is None:
            outcome = Outcome.WOULD_CREATE
        elif self._in_org(patient):
            outcome = Outcome.SKIPPED
            notes.append(f"already in organization {options.organization_id}")
        else:
            outcome = Outcome.WOULD_ADD
            notes.append("exists in another organization")
        if options.study_id is not None:
            already = outcome is Outcome.SKIPPED and patient is not None and await self._is_enrolled(patient.id)
            enrolled = "already" if already else "no"
            notes.append(f"already enrolled in study {options.study_id}" if already
                         else f"would enroll in study {options.study_id}")
        if options.invite and outcome is not Outcome.SKIPPED:
            notes.append("would e-mail an invitation" if options.send_email else "would generate an invitation link")
        elif options.invite:
            notes.append("would not invite: already a patient of this organization")
        return RowResult(row.number, row.email, outcome, patient.id if patient else None, enrolled,
                         message="; ".join(notes))
