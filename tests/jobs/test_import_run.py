"""One import run for both faces (``ImportRun``): the journal resumed, the report written when the
run completes, when it is stopped (the rows in flight finish) and when it is interrupted; the
checkpoints a test can inject; a report that cannot be written said in one sentence."""

from __future__ import annotations

import asyncio
import csv
import json
from contextlib import asynccontextmanager

import httpx
import pytest

from jhe_tui.api import ASGITransport, RetryPolicy
from jhe_tui.jobs.imports import CHECKPOINTS, ImportJob, ImportOptions, ImportRun, Journal, Outcome, read_source

from .conftest import ORG, STUDY, step_retry
from .test_import_job import new_rows

ROWS = 12


class HoldsCreates(httpx.AsyncBaseTransport):
    """The backend; from the ``nth`` create on, each answer waits (the server has created the
    patient) until ``release`` is set, and ``held`` is set once the ``nth`` waits. With
    ``concurrency`` 2 no row past the third can start meanwhile: which rows are in flight when
    the test acts does not depend on scheduling."""

    def __init__(self, app, nth: int = 2) -> None:
        self.inner, self.nth = ASGITransport(app=app), nth
        self.creates = 0
        self.held_emails: list[str] = []
        self.held, self.release = asyncio.Event(), asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/patients") and "/studies/" not in request.url.path:
            self.creates += 1
            if self.creates >= self.nth:
                await response.aread()
                self.held_emails.append(json.loads(request.content)["telecomEmail"])
                self.held.set()
                await self.release.wait()
        return response


def report_lines(path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def make_run(client, path, tmp_path, **options) -> ImportRun:
    return ImportRun(client, read_source(path), ImportOptions(ORG, STUDY, invite=True, concurrency=2, **options),
                     journal_path=tmp_path / "j.jsonl", report_path=tmp_path / "report.csv", retry=step_retry())


@asynccontextmanager
async def held_run(make_client, backend, path, tmp_path):
    """A run with rows in flight, their creates waiting for the test to act."""
    transport = HoldsCreates(backend.app)
    async with make_client(transport) as client:
        run = make_run(client, path, tmp_path)
        task = asyncio.create_task(run.run())
        await transport.held.wait()
        yield run, task, transport


async def finish(make_client, path, tmp_path, server) -> None:
    """A plain rerun with the same journal: every row ends created, enrolled and invited, once."""
    async with make_client() as client:
        again = make_run(client, path, tmp_path)
        await again.prepare()
        assert again.journal is not None and again.journal.resumed
        summary = await again.run()
    assert [r.outcome for r in summary.results] == [Outcome.CREATED] * ROWS
    for result in summary.results:
        assert server.patients_with_email(result.email) == [result.patient_id]
        assert server.enrolments(result.patient_id) == [STUDY]
        assert server.rows("SELECT count(*) FROM invitation WHERE patient_id = ?", result.patient_id)[0][0] == 1
    assert [line["outcome"] for line in report_lines(tmp_path / "report.csv")] == ["created"] * ROWS


async def test_a_stopped_run_finishes_the_rows_in_flight_reports_every_row_and_a_rerun_does_the_rest(
        make_client, write_csv, server, backend, tmp_path):
    path = write_csv(new_rows(ROWS, "stop"))
    async with held_run(make_client, backend, path, tmp_path) as (run, task, transport):
        run.stop()
        transport.release.set()
        summary = await task
    assert summary.aborted == "the import was stopped" and not summary.interrupted
    by_email = {r.email: r for r in summary.results}
    for email in transport.held_emails:  # in flight when stopped: finished, every step
        held = by_email[email]
        assert held.outcome is Outcome.CREATED and held.enrolled == "yes" and held.link
    unfinished = [r for r in summary.results if r.unfinished]
    assert len(unfinished) >= ROWS - 3
    assert all(r.message.startswith("not finished: the import was stopped") for r in unfinished)
    assert all(server.patients_with_email(r.email) == [] for r in unfinished)  # never started
    assert all(r.outcome is Outcome.CREATED and r.link for r in summary.results if not r.unfinished)
    assert summary.describe().endswith(f"{len(unfinished)} not finished")
    lines = report_lines(tmp_path / "report.csv")
    assert [(line["email"], line["outcome"]) for line in lines] == [(r.email, r.outcome.value)
                                                                    for r in summary.results]
    await finish(make_client, path, tmp_path, server)


async def test_an_interrupted_run_writes_its_report_and_the_cancellation_goes_on(make_client, write_csv, server,
                                                                                 backend, tmp_path):
    path = write_csv(new_rows(ROWS, "cut"))
    async with held_run(make_client, backend, path, tmp_path) as (run, task, _transport):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert run.summary is not None and run.summary.interrupted and run.summary.exit_code == 1
    lines = report_lines(tmp_path / "report.csv")
    assert len(lines) == ROWS
    assert sum(line["message"].startswith("not finished: the import was interrupted") for line in lines) >= ROWS - 3
    await finish(make_client, path, tmp_path, server)


async def test_a_dry_run_writes_its_report_and_no_journal(make_client, write_csv, server, tmp_path):
    path = write_csv(new_rows(3, "look"))
    async with make_client() as client:
        run = ImportRun(client, read_source(path), ImportOptions(ORG, dry_run=True), journal_path=tmp_path / "j.jsonl")
        summary = await run.run()
    assert [r.outcome for r in summary.results] == [Outcome.WOULD_CREATE] * 3
    assert run.journal_path is None and not (tmp_path / "j.jsonl").exists()
    assert run.report_path == path.with_name("patients-dry-run-report.csv")
    assert [line["outcome"] for line in report_lines(run.report_path)] == ["would create"] * 3
    assert server.patients_with_email("look0@example.org") == []


async def test_a_report_that_cannot_be_written_is_said_in_one_sentence(make_client, write_csv, tmp_path):
    path = write_csv(new_rows(1, "nowhere"))
    (tmp_path / "a-file").write_text("")
    async with make_client() as client:
        run = ImportRun(client, read_source(path), ImportOptions(ORG), journal_path=tmp_path / "j.jsonl",
                        report_path=tmp_path / "a-file" / "report.csv")
        summary = await run.run()
    assert summary.results[0].outcome is Outcome.CREATED
    assert run.report_problem is not None and run.report_problem.startswith("The report ")
    assert "could not be written" in run.report_problem and "\n" not in run.report_problem


async def test_a_row_passes_every_checkpoint_in_order_and_the_launcher_can_hook_in(make_client, write_csv, tmp_path):
    path = write_csv(new_rows(1, "points"))
    passed: list[str] = []
    journal = Journal.open(tmp_path / "j.jsonl", ORG, STUDY)
    async with make_client() as client:
        job = ImportJob(client, read_source(path), ImportOptions(ORG, STUDY, invite=True), journal,
                        retry=step_retry(), checkpoint=passed.append)
        summary = await job.run()
    journal.close()
    assert summary.exit_code == 0
    assert passed == ["after-intent", "after-create", "after-patient", "after-enroll", "after-invite-intent",
                      "after-invite"]
    assert set(passed) == set(CHECKPOINTS)


def test_a_step_waits_the_servers_retry_after_up_to_the_ceiling_and_the_backoff_beyond():
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    assert 3.0 <= policy.step_delay(2, 3.0) <= 3.5  # the server's word, and a little jitter
    assert 0.5 <= policy.step_delay(0, 60.0) <= 1.0
    assert 2.0 <= policy.step_delay(3, 60.0) <= 4.0
    assert 2.0 <= policy.step_delay(2, None) <= 4.0
