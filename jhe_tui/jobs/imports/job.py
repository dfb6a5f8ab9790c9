"""The import job: every valid row onboarded once, whatever fails or dies on the way.

Per row: look the e-mail up; already in the organization -> skipped; in another organization ->
added to this one; otherwise created. Where the server refuses a known e-mail with a clear answer
(v0.0.13, the demo), the organization's patients are listed once instead and a new e-mail is
created straight away, looked up only when refused. Then, with a study, enrolled (after checking
that the patient can join the study's organization and is not enrolled yet), and with ``invite`` an
invitation link generated through the client's generation adapters (``invites``: never a second
e-mail on guesswork). Skipped patients are enrolled too when a study is given, but not invited:
they already have an account here, and a new link would cancel the one they were given.

Exactly once: each completed step is in the journal (fsynced) before the next one starts. Before
a create or an add-to-organization the job journals the intent, so after a crash the rerun tells
"we created it" from "it was there already". A create is never repeated on guesswork: after an
unclear failure (dropped connection, 5xx, 429) the e-mail is looked up again and the create is
sent again only if the patient is still absent; a lost enrolment is checked in the study's
patients, a lost invitation in the server's list of them (``invites``).

Pace: ``concurrency`` rows do network work at once; enrolments wait up to ``ENROL_LINGER`` to go
out together (one request per ``ENROL_BATCH`` patients) while the other rows go on. When rows keep
failing because the server does not answer, the job stops instead of retrying every remaining row;
the rows left are reported "not finished" and a rerun completes them.

The job knows nothing of the command line or the console: both give it a client, a source, the
options and a callback, and read the results.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from jhe_tui.api import (
    Conflict,
    Forbidden,
    InvalidInput,
    JheClient,
    JheError,
    NetworkFailure,
    NotFound,
    Patient,
    PatientDraft,
    ServerFailure,
    Unauthenticated,
)
from jhe_tui.api.generation import ADAPTERS, Adapter

from .invites import Inviter
from .journal import Journal, JournalError, RowState
from .source import Source, SourceRow

T = TypeVar("T")
WRITE_ROLES = frozenset({"manager", "member", "super_user"})

CREATED, ADDED, SKIPPED, FAILED, INVALID = "created", "added", "skipped", "failed", "invalid"
WOULD_CREATE, WOULD_ADD = "would create", "would add"
NOT_FINISHED = "not finished"
ENROL_BATCH = 50  # patients per enrolment request
ENROL_LINGER = 0.1  # seconds a batch waits for more patients before it is sent
MEMBERS_LISTED = 5000  # organizations up to this size (or twice the rows) are listed at the start


class PreflightError(Exception):
    """The import cannot start (unknown organization or study, no permission): exit 2."""


@dataclass
class ImportOptions:
    organization_id: int
    study_id: int | None = None
    invite: bool = False
    send_email: bool = False
    reinvite: bool = False  # send again the invitations a server cannot say were sent
    dry_run: bool = False
    concurrency: int = 4
    attempts: int = 5  # per step, for failures that may be temporary
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.send_email:
            self.invite = True


@dataclass
class RowResult:
    number: int
    email: str
    outcome: str
    patient_id: int | None = None
    enrolled: str = ""  # yes, already, no, "" (no study)
    link: str = ""
    emailed: bool = False
    message: str = ""
    invite_unsure: bool = False  # an invitation may already have been sent; not sent again

    @property
    def ok(self) -> bool:
        return self.outcome not in (FAILED, INVALID) and not self.invite_unsure

    def report_line(self) -> list[object]:
        return [self.number, self.email, self.outcome, self.patient_id or "", self.enrolled,
                "" if self.emailed else self.link, self.message]


@dataclass
class Summary:
    results: list[RowResult]
    elapsed: float
    dry_run: bool
    interrupted: bool = False
    aborted: str | None = None  # why the job stopped early (signed out…)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def invalid(self) -> int:
        return self.count(INVALID)

    @property
    def exit_code(self) -> int:
        return 0 if all(r.ok for r in self.results) and not self.interrupted else 1

    @property
    def unfinished(self) -> int:
        return sum(1 for r in self.results if r.outcome == FAILED and r.message.startswith(NOT_FINISHED))

    def describe(self) -> str:
        parts = []
        for outcome in (CREATED, ADDED, WOULD_CREATE, WOULD_ADD, SKIPPED, FAILED, INVALID):
            n = self.count(outcome) - (self.unfinished if outcome == FAILED else 0)
            if n:
                parts.append(f"{n} {outcome}")
        if self.unfinished:
            parts.append(f"{self.unfinished} not finished")
        if self.invites_unsure:
            parts.append(f"{self.invites_unsure} maybe invited already")
        return ", ".join(parts) or "nothing to do"

    @property
    def invites_unsure(self) -> int:
        return sum(1 for r in self.results if r.invite_unsure)


def _temporary(exc: BaseException) -> bool:
    """A failure after which the request may or may not have taken effect, and may work later."""
    if isinstance(exc, NetworkFailure):
        return True
    if isinstance(exc, ServerFailure):
        return True
    return isinstance(exc, JheError) and exc.status == 429


class _SignedOut(Exception):
    pass


class _Stopped(Exception):
    """The job stopped taking new steps (signed out, server gone, journal broken)."""


class _CrashPoint:
    """A testing aid for the kill-and-resume tests: ``JHE_TUI_IMPORT_CRASH=after-create:3`` kills
    the process with SIGKILL the third time it passes that point (points: after-intent,
    after-create, after-patient, after-enroll, after-invite-intent, after-invite). Unset, it does
    nothing."""

    def __init__(self) -> None:
        point, _, count = os.environ.get("JHE_TUI_IMPORT_CRASH", "").partition(":")
        self.point, self.left = point, int(count or 1)

    def __call__(self, point: str) -> None:
        if point == self.point:
            self.left -= 1
            if self.left <= 0:
                os.kill(os.getpid(), signal.SIGKILL)


class _Enroller:
    """Collects the patients ready for enrolment and enrols them in one request per batch
    (``ENROL_BATCH`` at most, sent ``ENROL_LINGER`` seconds after the first one arrived, or as
    soon as the batch is full or holds every row not finished). A failed batch fails each waiting
    row's call, and each row then enrols its patient alone: the per-patient path knows how to
    check and retry."""

    def __init__(self, job: ImportJob, study_id: int, rows_left: Callable[[], int]) -> None:
        self.job = job
        self.study_id = study_id
        self.rows_left = rows_left  # rows not finished yet: when all of them wait here, none will join
        self._queue: list[tuple[int, asyncio.Future[None]]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def enroll(self, patient_id: int) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((patient_id, done))
        if len(self._queue) >= min(ENROL_BATCH, self.rows_left()):
            self._full.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send_batches())
        await done

    async def _send_batches(self) -> None:
        while self._queue:
            try:
                await asyncio.wait_for(self._full.wait(), ENROL_LINGER)
            except TimeoutError:
                pass
            self._full.clear()
            batch, self._queue = self._queue[:ENROL_BATCH], self._queue[ENROL_BATCH:]
            waiting = [(pid, done) for pid, done in batch if not done.done()]
            if not waiting:
                continue
            try:
                async with self.job._working():
                    await self.job.client.request(
                        "POST", f"/api/v1/studies/{self.study_id}/patients",
                        json={"patient_ids": [pid for pid, _ in waiting]},
                        doing="enrolling patients in the study",
                    )
            except Exception as exc:  # each waiting row deals with it (JheError: alone; _Stopped: stops)
                for _, done in waiting:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in waiting:
                    if not done.done():
                        done.set_result(None)

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


class ImportJob:
    def __init__(
        self,
        client: JheClient,
        source: Source,
        options: ImportOptions,
        journal: Journal | None = None,
        *,
        on_row: Callable[[RowResult], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if options.dry_run:
            journal = None  # a dry run writes nothing, not even the journal
        self.client = client
        self.source = source
        self.options = options
        self.journal = journal
        self.on_row = on_row or (lambda result: None)
        self._sleep = sleep
        self._adapter: Adapter | None = None
        self._study_org: int | None = None
        self._stop: str | None = None
        self._crash = _CrashPoint()
        self._active = asyncio.Semaphore(max(1, options.concurrency))
        self._enroller: _Enroller | None = None
        self._members: dict[str, Patient] | None = None  # the organization's patients by e-mail
        self._inviter: Inviter | None = None
        self._unreachable = 0  # rows failed in a row on network or server errors

    # --- preflight ------------------------------------------------------------------------------

    async def preflight(self) -> None:
        """Check the organization, the caller's role and the study before touching any row."""
        options = self.options
        self._adapter = ADAPTERS[(await self.client.server_info()).generation]
        organizations = await self.client.my_organizations()
        org = next((o for o in organizations if o.id == options.organization_id), None)
        if org is None:
            raise PreflightError(f"You have no role in organization {options.organization_id}; "
                                 "`jhe-tui whoami` lists yours.")
        if org.current_user_role not in WRITE_ROLES and not options.dry_run:
            raise PreflightError(f"Your role in {org.name} ({org.id}) is {org.current_user_role}; "
                                 "importing patients needs member or manager.")
        if options.study_id is not None:
            try:
                study = await self.client.study(options.study_id)
            except (NotFound, Forbidden):
                raise PreflightError(f"Study {options.study_id} does not exist or is not visible to you. "
                                     f"{await self._studies_of(org.id, org.name)}") from None
            if study.organization_id != options.organization_id:
                raise PreflightError(
                    f"Study {study.id} belongs to organization {study.organization_id}, not "
                    f"{options.organization_id}; a patient can only join a study of their organization. "
                    f"{await self._studies_of(org.id, org.name)}"
                )
            self._study_org = study.organization_id
        if not options.dry_run and self._adapter.create_refuses_known_email:
            self._members = await self._list_members()
        self._inviter = Inviter(self.client, self._adapter, send_email=options.send_email, reinvite=options.reinvite,
                                retrying=self._retrying, crash=self._crash)

    async def _list_members(self) -> dict[str, Patient] | None:
        """The organization's patients by lower-cased e-mail, when there are few enough to list.

        With them at hand a row needs no look-up: a listed e-mail is skipped, any other is
        created straight away, and looked up only if the server refuses it as known (a patient
        of another organization, to be added). That saves a request per new patient. An
        organization much larger than the file is not listed: per-row look-ups cost less there.
        """
        organization_id = self.options.organization_id
        limit = max(MEMBERS_LISTED, 2 * len(self.source.valid_rows))
        try:
            first = await self.client.patients(organization_id, page_size=1)
            if first.count > limit:
                return None
            return {p.telecom_email.lower(): p async for p in self.client.iter_patients(organization_id)
                    if p.telecom_email}
        except Unauthenticated:
            raise
        except JheError:
            return None  # the rows look their e-mails up instead

    async def _studies_of(self, organization_id: int, name: str) -> str:
        try:
            studies = await self.client.studies(organization_id)
        except JheError:
            return ""
        if not studies:
            return f"{name} has no studies."
        return f"Studies of {name}: " + ", ".join(f"{s.id} ({s.name})" for s in studies) + "."

    # --- the run ------------------------------------------------------------------------------------

    async def run(self) -> Summary:
        started = time.monotonic()
        if self._adapter is None:
            await self.preflight()
        rows = self.source.rows
        results: dict[int, RowResult] = {}
        for row in rows:
            if not row.valid:
                result = RowResult(row.number, row.email, INVALID, message=row.reason)
                results[row.number] = result
                self.on_row(result)
        options = self.options
        # ``concurrency`` rows do network work at once; rows parked until their batch of
        # enrolments is sent do none, so up to one batch more of them may wait meanwhile.
        self._active = asyncio.Semaphore(max(1, options.concurrency))
        slots = asyncio.Semaphore(max(1, options.concurrency) + ENROL_BATCH)
        left = len(self.source.valid_rows)
        if options.study_id is not None and not options.dry_run:
            self._enroller = _Enroller(self, options.study_id, lambda: left)
        tasks: set[asyncio.Task[None]] = set()

        async def one(row: SourceRow) -> None:
            nonlocal left
            try:
                result = await self._row(row)
                results[row.number] = result
                self.on_row(result)
            finally:
                left -= 1
                slots.release()

        interrupted = False
        try:
            for row in self.source.valid_rows:
                await slots.acquire()
                if self._stop is not None:
                    slots.release()
                    break
                task = asyncio.create_task(one(row))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            while tasks:
                await asyncio.gather(*list(tasks))
        except asyncio.CancelledError:
            interrupted = True
            pending = list(tasks)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        finally:
            if self._enroller is not None:
                self._enroller.close()
            final = []
            for row in rows:
                result = results.get(row.number)
                if result is None:
                    why = self._stop or "the import was interrupted"
                    result = RowResult(row.number, row.email, FAILED, message=f"{NOT_FINISHED}: {why}; run the same "
                                       "import again to finish it")
                final.append(result)
            self.summary = Summary(final, time.monotonic() - started, self.options.dry_run,
                                   interrupted=interrupted, aborted=self._stop)
        if interrupted:
            raise asyncio.CancelledError
        return self.summary

    async def _row(self, row: SourceRow) -> RowResult:
        if self._stop is not None:
            return RowResult(row.number, row.email, FAILED, message=f"{NOT_FINISHED}: {self._stop}; run the same "
                             "import again to finish it")
        try:
            if self.options.dry_run:
                result = await self._dry_row(row)
            else:
                result = await self._real_row(row)
            self._unreachable = 0
            return result
        except _SignedOut as exc:
            self._stop = str(exc)
            return RowResult(row.number, row.email, FAILED, message=str(exc))
        except _Stopped as exc:
            return RowResult(row.number, row.email, FAILED, message=f"{NOT_FINISHED}: {exc}; run the same "
                             "import again to finish it")
        except JournalError as exc:
            # Without the journal no further step may start: stop taking rows.
            self._stop = str(exc)
            return RowResult(row.number, row.email, FAILED, message=str(exc))
        except JheError as exc:
            if _temporary(exc):
                # Rows failing one after the other on a server that does not answer: stop rather
                # than spend minutes of retries on every remaining row; a rerun finishes the job.
                self._unreachable += 1
                if self._unreachable >= max(6, 2 * self.options.concurrency):
                    self._stop = f"the server stopped answering ({exc.message})"
            return RowResult(row.number, row.email, FAILED, message=exc.message)
        except Exception as exc:  # a bug must not hide the other rows' outcomes
            return RowResult(row.number, row.email, FAILED,
                             message=f"unexpected {type(exc).__name__}; the rest of the import went on")

    # --- steps ------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _working(self) -> AsyncIterator[None]:
        """One of the ``concurrency`` slots for network work; refused once the job has stopped."""
        async with self._active:
            if self._stop is not None:
                raise _Stopped(self._stop)
            yield

    async def _retrying(self, doing: Callable[[], Awaitable[T]], *, verify: Callable[[], Awaitable[Any]] | None = None) -> T:
        """Run a step; after a temporary failure wait (Retry-After or backoff with jitter), ask
        ``verify`` whether the step took effect after all (its non-None answer is returned), and
        only then try again. A 429 needs no asking: the server did nothing."""
        attempt = 0
        while True:
            try:
                return await doing()
            except Unauthenticated as exc:
                raise _SignedOut(exc.message) from None
            except JheError as exc:
                attempt += 1
                if not _temporary(exc) or attempt >= self.options.attempts or self._stop is not None:
                    raise
                wait = exc.retry_after
                if wait is None or wait > self.options.max_delay:
                    ceiling = min(self.options.max_delay, self.options.base_delay * 2 ** (attempt - 1))
                    wait = random.uniform(ceiling / 2, ceiling)
                else:
                    wait += random.uniform(0, self.options.base_delay / 2)  # do not all return at once
                await self._sleep(wait)
                if verify is not None and exc.status != 429:
                    done = await self._retrying(verify)
                    if done is not None:
                        return done

    async def _lookup(self, email: str) -> Patient | None:
        return await self._retrying(lambda: self.client.find_patient_by_email(email))

    def _in_org(self, patient: Patient | None) -> bool:
        return patient is not None and self.options.organization_id in patient.organization_ids

    async def _create(self, row: SourceRow) -> Patient:
        adapter = self._adapter
        assert adapter is not None
        draft = PatientDraft(email=row.email, family=row.family, given=row.given, birth_date=row.birth_date,
                             phone=row.phone or None, external_id=row.external_id or None)
        body = draft.wire_body(identifier_list=adapter.identifier_list, only_set=False)
        body["organizationId"] = self.options.organization_id

        async def post() -> Patient:
            data = await self.client.request("POST", "/api/v1/patients", json=body, doing="creating the patient")
            return Patient.model_validate(data)

        async def created_after_all() -> Patient | None:
            found = await self.client.find_patient_by_email(row.email)
            return found if self._in_org(found) else None

        return await self._retrying(post, verify=created_after_all)

    async def _add(self, row: SourceRow, patient: Patient) -> Patient:
        adapter = self._adapter
        assert adapter is not None
        query = adapter.query("patient_in_organization", {"organization_id": self.options.organization_id})
        path = f"/api/v1/patients/{patient.id}/global_add_organization"

        async def patch() -> Patient:
            data = await self.client.request("PATCH", path, params=query, doing="adding the patient to the organization")
            return Patient.model_validate(data)

        async def added_after_all() -> Patient | None:
            found = await self.client.patient(patient.id)
            return found if self._in_org(found) else None

        return await self._retrying(patch, verify=added_after_all)

    async def _is_enrolled(self, patient_id: int) -> bool:
        adapter = self._adapter
        assert adapter is not None and self.options.study_id is not None
        query = adapter.query("patients", {"organization_id": self.options.organization_id,
                                           "study_id": self.options.study_id, "patient_id": patient_id})

        async def check() -> bool:
            data = await self.client.request("GET", "/api/v1/patients", params=query,
                                             doing="checking the patient's enrolment")
            results = data.get("results", []) if isinstance(data, dict) else (data or [])
            return any(isinstance(item, dict) and item.get("id") == patient_id for item in results)

        return await self._retrying(check)

    async def _enroll(self, patient_id: int) -> None:
        study_id = self.options.study_id

        async def post() -> bool:
            await self.client.request("POST", f"/api/v1/studies/{study_id}/patients",
                                      json={"patient_ids": [patient_id]}, doing="enrolling the patient in the study")
            return True

        async def enrolled_after_all() -> bool | None:
            return True if await self._is_enrolled(patient_id) else None

        await self._retrying(post, verify=enrolled_after_all)

    async def _enroll_batched(self, patient_id: int) -> None:
        """Enrol with the other patients waiting in the same batch; if that batch fails for any
        reason, this patient alone, after checking whether the batch enrolled them after all."""
        if self._enroller is not None:
            try:
                await self._enroller.enroll(patient_id)
                return
            except JheError:
                pass
        async with self._working():
            if not await self._is_enrolled(patient_id):
                await self._enroll(patient_id)

    # --- one row, for real --------------------------------------------------------------------------

    async def _real_row(self, row: SourceRow) -> RowResult:
        journal = self.journal
        options = self.options
        state = journal.state(row.key) if journal else RowState()
        notes: list[str] = []
        patient: Patient | None = None
        fresh = False  # created by this very process: cannot be enrolled yet

        async def record(kind: str, **values: Any) -> None:
            if journal is not None:
                await journal.commit(row.key, kind, **values)

        async with self._working():
            if state.outcome is None:
                listed = state.intent is None and self._members is not None
                patient = self._members.get(row.email.lower()) if listed else await self._lookup(row.email)
                if listed and patient is not None:
                    outcome = SKIPPED  # listed in the organization before this import touched it
                elif state.intent is not None and self._in_org(patient):
                    # An earlier run sent the request and died before journaling the answer.
                    outcome = CREATED if state.intent == "create" else ADDED
                elif patient is None:
                    await record("creating")
                    self._crash("after-intent")
                    try:
                        patient = await self._create(row)
                        self._crash("after-create")
                        outcome, fresh = CREATED, True
                    except Conflict:
                        # The e-mail is taken: by a patient of another organization (not looked
                        # up first), or by one created since our look-up or listing.
                        await record("refused")
                        patient = await self._lookup(row.email)
                        if patient is None:
                            raise
                        if self._in_org(patient):
                            outcome = SKIPPED
                        else:
                            await record("adding")
                            patient = await self._add(row, patient)
                            outcome = ADDED
                elif self._in_org(patient):
                    outcome = SKIPPED
                else:
                    await record("adding")
                    patient = await self._add(row, patient)
                    outcome = ADDED
                await record("patient", outcome=outcome, id=patient.id)
                self._crash("after-patient")
                state.outcome, state.patient_id = outcome, patient.id
        outcome, patient_id = state.outcome, state.patient_id
        assert patient_id is not None
        if outcome == SKIPPED:
            notes.append(f"already in organization {options.organization_id}")

        enrolled = ""
        if options.study_id is not None:
            if state.enrolled:
                enrolled = "already" if state.already_enrolled else "yes"
            else:
                if patient is not None and self._study_org not in patient.organization_ids:
                    # The pre-check of the guide: enrolling across organizations is a 500 at JHE.
                    raise InvalidInput(f"Patient {patient_id} is not in organization {self._study_org}, "
                                       f"so cannot join study {options.study_id}.")
                if fresh:
                    already = False
                else:
                    async with self._working():
                        already = await self._is_enrolled(patient_id)
                if not already:
                    await self._enroll_batched(patient_id)
                    self._crash("after-enroll")
                # A patient we created or added and find enrolled was enrolled by an earlier run.
                already = already and outcome == SKIPPED
                await record("enrolled", already=already)
                enrolled = "already" if already else "yes"
            notes.append(f"{'already enrolled' if enrolled == 'already' else 'enrolled'} in study {options.study_id}")

        link, emailed, unsure = "", False, False
        if options.invite:
            if outcome == SKIPPED and not state.invited:
                notes.append("not invited: already a patient of this organization (a new link would cancel theirs)")
            elif state.invited:
                link, emailed = state.link or "", state.emailed
                notes.append("invitation e-mailed" if emailed else "invitation link in this report")
            else:
                assert self._inviter is not None
                async with self._working():
                    invited = await self._inviter.invite(patient_id, state, created=outcome == CREATED,
                                                         record=record)
                link, emailed, unsure = invited.link, invited.emailed, invited.unsure
                notes.append(invited.note)
        return RowResult(row.number, row.email, outcome, patient_id, enrolled, link, emailed, "; ".join(notes),
                         invite_unsure=unsure)

    # --- one row, dry run ---------------------------------------------------------------------------

    async def _dry_row(self, row: SourceRow) -> RowResult:
        async with self._working():
            return await self._dry_row_checks(row)

    async def _dry_row_checks(self, row: SourceRow) -> RowResult:
        options = self.options
        patient = await self._lookup(row.email)
        notes: list[str] = []
        enrolled = ""
        if patient is None:
            outcome = WOULD_CREATE
        elif self._in_org(patient):
            outcome = SKIPPED
            notes.append(f"already in organization {options.organization_id}")
        else:
            outcome = WOULD_ADD
            notes.append("exists in another organization")
        if options.study_id is not None:
            already = outcome == SKIPPED and patient is not None and await self._is_enrolled(patient.id)
            enrolled = "already" if already else "no"
            notes.append(f"already enrolled in study {options.study_id}" if already
                         else f"would enroll in study {options.study_id}")
        if options.invite and outcome != SKIPPED:
            notes.append("would e-mail an invitation" if options.send_email else "would generate an invitation link")
        elif options.invite:
            notes.append("would not invite: already a patient of this organization")
        return RowResult(row.number, row.email, outcome, patient.id if patient else None, enrolled,
                         message="; ".join(notes))
