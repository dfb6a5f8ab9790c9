"""The import job: every valid row onboarded once, whatever fails or dies on the way.

Per row (``steps``): look the e-mail up; already in the organization -> skipped; in another
organization -> added to this one; otherwise created. Where the server refuses a known e-mail with
a clear answer (v0.0.13, the demo), the organization's patients are listed once instead and a new
e-mail is created straight away, looked up only when refused. Then, with a study, enrolled (after
checking that the patient can join the study's organization and is not enrolled yet), and with
``invite`` an invitation link generated (``invites``: never a second e-mail on guesswork).

Pace (``pace``): up to ``concurrency`` rows do network work at once, as many as the server serves
without slowing down (``jhe_tui.jobs.pacing``); enrolments wait up to ``ENROL_LINGER`` to go out
together (``enroller``) while the other rows go on. When rows keep
failing because the server does not answer, the job stops instead of retrying every remaining row;
the rows left are reported "not finished" and a rerun completes them. ``stop`` ends a run early the
same way, except that the rows already started finish.

The job knows nothing of the command line or the console, nor of files: ``run`` opens the journal
and writes the report around it for both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from jhe_tui.api import Forbidden, JheClient, JheError, NotFound, Patient, RetryPolicy, Unauthenticated

from .enroller import ENROL_BATCH, Enroller
from .invites import Inviter
from .journal import Journal, JournalError
from .options import ImportOptions, PreflightError
from .outcomes import Outcome, RowResult, Summary
from .pace import Pace, SignedOut, Stopped, temporary
from .source import Source, SourceRow
from .steps import Checkpoint, RowRefused, Steps, no_checkpoint

MEMBERS_LISTED = 5000  # organizations up to this size (or twice the rows) are listed at the start
STEP_RETRIES = 4  # a step that may work later is tried up to five times
STOPPED = "the import was stopped"


class ImportJob:
    def __init__(
        self,
        client: JheClient,
        source: Source,
        options: ImportOptions,
        journal: Journal | None = None,
        *,
        on_row: Callable[[RowResult], None] | None = None,
        retry: RetryPolicy | None = None,
        checkpoint: Checkpoint = no_checkpoint,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.source = source
        self.options = options
        self.journal = None if options.dry_run else journal  # a dry run writes nothing, not even the journal
        self.earlier = journal if options.dry_run else None  # ... but reads what earlier runs recorded
        self.on_row = on_row or (lambda result: None)
        self.checkpoint = checkpoint
        self.pace = Pace(options.concurrency, retry or RetryPolicy(max_retries=STEP_RETRIES), clock=clock)
        self.summary: Summary | None = None  # set once run ends, also when it is interrupted
        self._inviter: Inviter | None = None  # from here on, what the preflight found
        self._members: dict[str, Patient] | None = None  # the organization's patients by e-mail
        self._holders: dict[str, Patient] | None = None  # the organization's patients by external id
        self._study_org: int | None = None
        self._enroller: Enroller | None = None
        self._unreachable = 0  # rows failed in a row on network or server errors

    def stop(self, why: str = STOPPED) -> None:
        """Start no further row; the rows already started finish, and ``run`` returns."""
        self.pace.stop(why)
        if self._enroller is not None:
            self._enroller.recount()  # the rows it waits for may now never come

    # --- preflight ------------------------------------------------------------------------------

    async def preflight(self) -> None:
        """Check the organization, the caller's role and the study before touching any row."""
        options = self.options
        adapter = await self.client.adapter()
        organizations = await self.client.my_organizations()
        org = next((o for o in organizations if o.id == options.organization_id), None)
        if org is None:
            raise PreflightError(f"You have no role in organization {options.organization_id}; "
                                 "`jhe-tui whoami` lists yours.")
        if not org.can_write and not options.dry_run:
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
        listed = None
        if (not options.dry_run and adapter.create_refuses_known_email) or any(
                row.external_id for row in self.source.valid_rows):
            listed = await self._list_members()
        if listed is not None:
            if not options.dry_run and adapter.create_refuses_known_email:
                self._members = {p.telecom_email.lower(): p for p in listed if p.telecom_email}
            self._holders = {i.value: p for p in listed for i in p.identifiers}
        practitioner = (await self.client.profile()).email or "" if options.invite and not options.dry_run else ""
        self._inviter = Inviter(self.client, adapter, send_email=options.send_email, reinvite=options.reinvite,
                                retrying=self.pace.retrying, checkpoint=self.checkpoint, practitioner=practitioner)

    async def _list_members(self) -> list[Patient] | None:
        """The organization's patients, when there are few enough to list.

        With them at hand a row needs no look-up: a listed e-mail is skipped, any other is
        created straight away, and looked up only if the server refuses it as known (a patient
        of another organization, to be added). That saves a request per new patient. Their
        external ids tell a row whose id another patient holds (the dry run too). An
        organization much larger than the file is not listed: per-row look-ups cost less there,
        and the server itself refuses a taken id when the row is created.
        """
        organization_id = self.options.organization_id
        limit = max(MEMBERS_LISTED, 2 * len(self.source.valid_rows))
        try:
            first = await self.client.patients(organization_id, page_size=1)
            if first.count > limit:
                return None
            return [p async for p in self.client.iter_patients(organization_id)]
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
        if self._inviter is None:
            await self.preflight()
        assert self._inviter is not None
        steps = Steps(self.client, self.options, self.pace, self.journal, self._members, self._study_org,
                      self._inviter, holders=self._holders, checkpoint=self.checkpoint, earlier=self.earlier)
        rows, valid = self.source.rows, self.source.valid_rows
        results: dict[int, RowResult] = {}
        for row in rows:
            if not row.valid:
                result = RowResult(row.number, row.email, Outcome.INVALID, message=row.reason)
                results[row.number] = result
                self.on_row(result)
        options = self.options
        # ``concurrency`` rows do network work at once; rows parked until their batch of
        # enrolments is sent do none, so up to one batch more of them may wait meanwhile.
        slots = asyncio.Semaphore(max(1, options.concurrency) + ENROL_BATCH)
        left = queued = len(valid)  # rows not finished; rows not started

        def rows_left() -> int:
            return left - (queued if self.pace.reason is not None else 0)  # once stopping, none starts

        if options.study_id is not None and not options.dry_run:
            self._enroller = steps.enroller = Enroller(self.client, options.study_id, rows_left=rows_left,
                                                       working=self.pace.working)
        tasks: set[asyncio.Task[None]] = set()

        async def one(row: SourceRow) -> None:
            nonlocal left
            try:
                result = await self._row(steps, row)
                results[row.number] = result
                self.on_row(result)
            finally:
                left -= 1
                slots.release()
                if self._enroller is not None:
                    self._enroller.recount()

        interrupted = False
        try:
            for row in valid:
                await slots.acquire()
                if self.pace.reason is not None:
                    slots.release()
                    break
                queued -= 1
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
            why = self.pace.reason or "the import was interrupted"
            final = [results.get(row.number) or RowResult.not_finished(row.number, row.email, why) for row in rows]
            self.summary = Summary(final, time.monotonic() - started, options.dry_run, interrupted=interrupted,
                                   aborted=self.pace.reason)
        if interrupted:
            raise asyncio.CancelledError
        return self.summary

    async def _row(self, steps: Steps, row: SourceRow) -> RowResult:
        if self.pace.reason is not None:
            return RowResult.not_finished(row.number, row.email, self.pace.reason)
        try:
            result = await (steps.dry_row(row) if self.options.dry_run else steps.row(row))
            self._unreachable = 0
            return result
        except Stopped as exc:
            return RowResult.not_finished(row.number, row.email, str(exc))
        except RowRefused as exc:
            return RowResult(row.number, row.email, Outcome.INVALID, message=str(exc))
        except (SignedOut, JournalError) as exc:
            # Without the sign-in or the journal no further step may start: stop taking rows.
            self.pace.halt(str(exc))
            return RowResult(row.number, row.email, Outcome.FAILED, message=str(exc))
        except JheError as exc:
            if temporary(exc):
                # Rows failing one after the other on a server that does not answer: stop rather
                # than spend minutes of retries on every remaining row; a rerun finishes the job.
                self._unreachable += 1
                if self._unreachable >= max(6, 2 * self.options.concurrency):
                    self.pace.halt(f"the server stopped answering ({exc.message})")
            return RowResult(row.number, row.email, Outcome.FAILED, message=exc.message)
        except Exception as exc:  # a bug must not hide the other rows' outcomes
            return RowResult(row.number, row.email, Outcome.FAILED,
                             message=f"unexpected {type(exc).__name__}; the rest of the import went on")
