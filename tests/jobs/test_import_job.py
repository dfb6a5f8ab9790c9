"""The import job against the embedded backend in process: happy path, mixed file, faults."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import os
import random
import stat

import httpx
import pytest

from jhe_tui.api import ASGITransport, Generation
from jhe_tui.api.generation import ADAPTERS
from jhe_tui.api import RetryPolicy
from jhe_tui.jobs.imports import ImportJob, ImportOptions, Journal, Outcome, PreflightError, read_source, write_report

from .conftest import ORG, OTHER_ORG_STUDY, STUDY, step_retry

IN_ORG = "aisha.brown@example.org"  # seeded patient of ORG


async def run_job(client, path, options, journal_path=None, **kwargs):
    source = read_source(path)
    journal = Journal.open(journal_path, options.organization_id, options.study_id) if journal_path else None
    kwargs.setdefault("retry", step_retry())
    async with client:
        job = ImportJob(client, source, options, journal, **kwargs)
        try:
            return await job.run()
        finally:
            if journal:
                journal.close()


def new_rows(n: int, prefix: str = "new") -> list[str]:
    return [f"{prefix}{i}@example.org,Family{i},Given{i},1980-02-{1 + i % 28:02d},555-{i:04d},MRN-{prefix}{i}"
            for i in range(n)]


async def other_org_patient(make_client) -> tuple[int, str]:
    async with make_client() as client:
        async for patient in client.iter_patients():
            if ORG not in patient.organization_ids:
                return patient.id, patient.telecom_email
    raise AssertionError("no patient outside the organization in the seed")


async def test_happy_path_creates_enrolls_and_invites(make_client, write_csv, server, tmp_path):
    path = write_csv(new_rows(12))
    seen = []
    summary = await run_job(make_client(), path, ImportOptions(ORG, STUDY, invite=True, concurrency=4),
                            tmp_path / "j.jsonl", on_row=seen.append)
    assert summary.exit_code == 0
    assert [r.outcome for r in summary.results] == [Outcome.CREATED] * 12
    assert len(seen) == 12
    for result in summary.results:
        assert server.patients_with_email(result.email) == [result.patient_id]
        assert server.organizations_of(result.patient_id) == {ORG}
        assert server.enrolments(result.patient_id) == [STUDY]
        assert result.enrolled == "yes"
        assert "cloud_sharing=" in result.link and not result.emailed
    row = server.rows("SELECT identifier, telecom_phone, birth_date FROM patient WHERE id = ?",
                      summary.results[3].patient_id)[0]
    assert row == ("MRN-new3", "555-0003", "1980-02-04")
    assert server.rows("SELECT count(*) FROM invitation")[0][0] >= 12


async def test_send_email_goes_through_the_server_outbox(make_client, write_csv, server, backend):
    path = write_csv(new_rows(2, "mail"))
    before = server.rows("SELECT count(*) FROM invitation WHERE emailed = 1")[0][0]
    summary = await run_job(make_client(), path, ImportOptions(ORG, send_email=True))
    assert summary.exit_code == 0
    assert all(r.emailed and r.link for r in summary.results)
    assert [r[5] for r in [x.report_line() for x in summary.results]] == ["", ""]  # links not in the report
    assert server.rows("SELECT count(*) FROM invitation WHERE emailed = 1")[0][0] == before + 2


async def test_mixed_file(make_client, write_csv, server, tmp_path):
    other_id, other_email = await other_org_patient(make_client)
    lines = [
        *new_rows(2, "mix"),
        "not-an-email,Doe,Jane,1980-01-01,,",  # 4: invalid e-mail
        "nodob@example.org,Doe,Jane,,,",  # 5: no birth date
        "feb30@example.org,Doe,Jane,1980-02-30,,",  # 6: no such date
        "future@example.org,Doe,Jane,2999-01-01,,",  # 7: in the future
        "noname@example.org,,Jane,1980-01-01,,",  # 8: no last name
        "MIX0@example.org,Again,Same,1980-01-01,,",  # 9: duplicate of row 2 (case differs)
        f"{IN_ORG},Brown,Aisha,1980-01-01,,",  # 10: already in the organization
        f"{other_email},Other,Org,1980-01-01,,",  # 11: in another organization
    ]
    path = write_csv(lines)
    summary = await run_job(make_client(), path, ImportOptions(ORG, STUDY, invite=True), tmp_path / "j.jsonl")
    by_row = {r.number: r for r in summary.results}
    assert [by_row[n].outcome for n in range(2, 12)] == [
        *[Outcome.CREATED] * 2, *[Outcome.INVALID] * 6, Outcome.SKIPPED, Outcome.ADDED]
    assert "e-mail" in by_row[4].message
    assert "missing" in by_row[5].message
    assert "real date" in by_row[6].message
    assert "future" in by_row[7].message
    assert "family name" in by_row[8].message
    assert "row 2" in by_row[9].message
    assert "already in organization" in by_row[10].message and by_row[10].link == ""
    assert by_row[11].patient_id == other_id and ORG in server.organizations_of(other_id)
    assert STUDY in server.enrolments(other_id) and by_row[11].link
    assert server.patients_with_email("mix0@example.org") == [by_row[2].patient_id]
    assert STUDY in server.enrolments(by_row[10].patient_id)
    assert summary.exit_code == 1


async def test_dry_run_changes_nothing(make_client, write_csv, server, tmp_path):
    _other_id, other_email = await other_org_patient(make_client)
    path = write_csv([*new_rows(2, "dry"), f"{IN_ORG},B,A,1980-01-01,,", f"{other_email},O,O,1980-01-01,,",
                      "bad,x,y,1980-01-01,,"])
    before = server.rows("SELECT count(*) FROM patient_organization")[0][0]
    summary = await run_job(make_client(), path, ImportOptions(ORG, STUDY, invite=True, dry_run=True),
                            tmp_path / "dry.jsonl")
    assert [r.outcome for r in summary.results] == [Outcome.WOULD_CREATE, Outcome.WOULD_CREATE, Outcome.SKIPPED,
                                                    Outcome.WOULD_ADD, Outcome.INVALID]
    assert server.rows("SELECT count(*) FROM patient_organization")[0][0] == before
    assert server.patients_with_email("dry0@example.org") == []
    assert summary.exit_code == 1


async def test_study_of_another_organization_is_refused_before_any_row(make_client, write_csv, server):
    path = write_csv(new_rows(1, "x"))
    with pytest.raises(PreflightError, match="belongs to organization 20004"):
        await run_job(make_client(), path, ImportOptions(ORG, OTHER_ORG_STUDY))
    assert server.patients_with_email("x0@example.org") == []


async def test_viewer_cannot_import(make_client, write_csv):
    path = write_csv(new_rows(1, "v"))
    with pytest.raises(PreflightError, match="needs member or manager"):
        await run_job(make_client(role="viewer"), path, ImportOptions(ORG))


async def test_rerun_with_the_journal_does_nothing_twice(make_client, write_csv, server, tmp_path):
    path = write_csv(new_rows(5, "again"))
    options = ImportOptions(ORG, STUDY, invite=True)
    first = await run_job(make_client(), path, options, tmp_path / "j.jsonl")
    invitations = server.rows("SELECT count(*) FROM invitation")[0][0]
    second = await run_job(make_client(), path, options, tmp_path / "j.jsonl")
    assert [r.outcome for r in second.results] == [Outcome.CREATED] * 5
    assert [r.link for r in second.results] == [r.link for r in first.results]
    assert server.rows("SELECT count(*) FROM invitation")[0][0] == invitations
    # Without the journal the same file is recognised as already there.
    third = await run_job(make_client(), path, options, tmp_path / "other.jsonl")
    assert [r.outcome for r in third.results] == [Outcome.SKIPPED] * 5
    assert all(r.enrolled == "already" for r in third.results)


class FaultyTransport(httpx.AsyncBaseTransport):
    """The backend behind a bad network: random 500s and 503s (some with Retry-After), dropped
    connections before and after the server acted, and slow replies."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seed: int, rate: float = 0.3) -> None:
        self.inner, self.random, self.rate = inner, random.Random(seed), rate
        self.faults: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        roll, slow = self.random.random(), self.random.random()
        if slow < 0.15:
            self._count("slow")
            await asyncio.sleep(0.03)
        if roll < self.rate * 0.2:
            self._count("drop before")
            raise httpx.ConnectError("connection refused", request=request)
        if roll < self.rate * 0.35:
            self._count("503 before")
            return httpx.Response(503, headers={"Retry-After": "0"}, text="busy")
        if roll < self.rate * 0.5:
            self._count("500 before")
            return httpx.Response(500, headers={"content-type": "text/html"}, text="<html>boom</html>")
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if roll < self.rate * 0.6:
            return response
        if roll < self.rate * 0.8:
            self._count("drop after")  # the server acted, the answer is lost
            raise httpx.ReadError("connection reset", request=request)
        if roll < self.rate:
            self._count("500 after")  # the server acted, then failed to answer
            return httpx.Response(500, headers={"content-type": "text/html"}, text="<html>boom</html>")
        return response


async def test_faults_leave_every_row_definite_and_none_duplicated(make_client, write_csv, server, backend, tmp_path):
    rows = 40
    path = write_csv(new_rows(rows, "flaky"))
    options = ImportOptions(ORG, STUDY, invite=True, concurrency=6)
    transport = FaultyTransport(ASGITransport(app=backend.app), seed=6)
    summary = await run_job(make_client(transport), path, options, tmp_path / "j.jsonl", retry=step_retry(3))
    assert sum(transport.faults.values()) > 25, transport.faults
    assert {"drop after", "500 after", "503 before", "slow"} <= set(transport.faults)
    for result in summary.results:
        ids = server.patients_with_email(result.email)
        assert len(ids) <= 1 and server.users_with_email(result.email) <= 1
        if result.outcome == Outcome.CREATED:
            assert ids == [result.patient_id] and server.enrolments(result.patient_id) == [STUDY] and result.link
        else:
            assert result.outcome == Outcome.FAILED and result.message
    # Finish on a healthy network with the same journal: every row ends created, exactly once.
    again = await run_job(make_client(), path, options, tmp_path / "j.jsonl")
    assert [r.outcome for r in again.results] == [Outcome.CREATED] * rows
    for result in again.results:
        assert server.patients_with_email(result.email) == [result.patient_id]
        assert server.enrolments(result.patient_id) == [STUDY]


async def test_retry_after_is_honoured(make_client, write_csv, backend):
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    class Busy(httpx.AsyncBaseTransport):
        def __init__(self):
            self.inner, self.calls = ASGITransport(app=backend.app), 0

        async def handle_async_request(self, request):
            if request.method == "POST" and self.calls == 0:
                self.calls += 1
                return httpx.Response(503, headers={"Retry-After": "7"}, text="busy")
            return await self.inner.handle_async_request(request)

    path = write_csv(new_rows(1, "ra"))
    source = read_source(path)
    async with make_client(Busy()) as client:
        job = ImportJob(client, source, ImportOptions(ORG), retry=RetryPolicy(sleep=record_sleep))
        summary = await job.run()
    assert summary.results[0].outcome == Outcome.CREATED
    assert len(waits) == 1 and 7 <= waits[0] < 7.5


async def test_a_refused_enrolment_batch_falls_back_to_one_patient_at_a_time(make_client, write_csv, server,
                                                                              backend, tmp_path):
    class RefuseBatches(httpx.AsyncBaseTransport):
        def __init__(self):
            self.inner, self.batches = ASGITransport(app=backend.app), 0

        async def handle_async_request(self, request):
            if request.method == "POST" and "/studies/" in request.url.path and b"," in request.content:
                self.batches += 1
                response = await self.inner.handle_async_request(request)  # enrols them, then
                await response.aread()
                return httpx.Response(500, text="<html>boom</html>", headers={"content-type": "text/html"})
            return await self.inner.handle_async_request(request)

    transport = RefuseBatches()
    path = write_csv(new_rows(20, "batch"))
    summary = await run_job(make_client(transport), path, ImportOptions(ORG, STUDY, concurrency=8),
                            tmp_path / "j.jsonl")
    assert transport.batches >= 1
    assert [r.outcome for r in summary.results] == [Outcome.CREATED] * 20
    assert all(server.enrolments(r.patient_id) == [STUDY] and r.enrolled == "yes" for r in summary.results)


async def test_a_server_gone_mid_run_stops_the_job_and_a_rerun_finishes(make_client, write_csv, server, backend,
                                                                        tmp_path):
    class GoesDown(httpx.AsyncBaseTransport):
        def __init__(self):
            self.inner, self.calls = ASGITransport(app=backend.app), 0

        async def handle_async_request(self, request):
            self.calls += 1
            if self.calls > 40:
                raise httpx.ConnectError("connection refused", request=request)
            return await self.inner.handle_async_request(request)

    path = write_csv(new_rows(60, "gone"))
    options = ImportOptions(ORG, STUDY, invite=True)
    transport = GoesDown()
    first = await run_job(make_client(transport), path, options, tmp_path / "j.jsonl")
    assert first.aborted and "stopped answering" in first.aborted
    assert first.count(Outcome.FAILED) + first.count(Outcome.CREATED) == 60
    assert first.unfinished > 30  # the rest was not tried for minutes each
    assert transport.calls < 400  # without stopping: about 20 tries for each of the 60 rows
    again = await run_job(make_client(), path, options, tmp_path / "j.jsonl")
    assert [r.outcome for r in again.results] == [Outcome.CREATED] * 60
    for result in again.results:
        assert server.patients_with_email(result.email) == [result.patient_id]
        assert server.enrolments(result.patient_id) == [STUDY]


def test_report_is_private_and_neutralized(tmp_path):
    path = tmp_path / "out" / "report.csv"
    write_report(path, [[2, "=x@example.org", "failed", "", "", "", "+1 broke"], [3, "@a", "-", "", "", "", "ok"]])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rows = list(csv.reader(path.open()))
    assert rows[1][1] == "'=x@example.org" and rows[1][6] == "'+1 broke"
    assert rows[2][1] == "'@a" and rows[2][2] == "'-"


async def test_journal_is_private_and_holds_no_patient_data(make_client, write_csv, tmp_path):
    path = write_csv(new_rows(3, "secret"))
    journal = tmp_path / "j.jsonl"
    await run_job(make_client(), path, ImportOptions(ORG, STUDY), journal)
    assert stat.S_IMODE(os.stat(journal).st_mode) == 0o600
    text = journal.read_text()
    assert "secret" not in text and "Family" not in text and "@" not in text


async def test_torn_last_journal_line_is_ignored(make_client, write_csv, tmp_path):
    path = write_csv(new_rows(2, "torn"))
    journal = tmp_path / "j.jsonl"
    await run_job(make_client(), path, ImportOptions(ORG), journal)
    with journal.open("a") as handle:
        handle.write('{"k":"abc","s":"pat')
    summary = await run_job(make_client(), path, ImportOptions(ORG), journal)
    assert [r.outcome for r in summary.results] == [Outcome.CREATED, Outcome.CREATED]
    assert journal.read_text().count("\n") >= 5


class CountingTransport(httpx.AsyncBaseTransport):
    """The backend in process, counting requests by method and path template."""

    def __init__(self, app) -> None:
        self.inner = ASGITransport(app=app)
        self.calls: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = "/".join("{id}" if part.isdigit() else part for part in request.url.path.split("/"))
        key = f"{request.method} {path}"
        self.calls[key] = self.calls.get(key, 0) + 1
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("refuses_known", [True, False])
async def test_new_patients_are_created_without_a_look_up_where_the_server_refuses_known_e_mails(
        make_client, write_csv, server, backend, tmp_path, monkeypatch, refuses_known):
    # The demo refuses a known e-mail clearly, like v0.0.13; v0.0.7 answers a 500, so there every
    # row is looked up first. Only the job's choice of requests is under test.
    demo = ADAPTERS[Generation.DEMO]
    monkeypatch.setitem(ADAPTERS, Generation.DEMO, dataclasses.replace(demo, create_refuses_known_email=refuses_known))
    other_id, other_email = await other_org_patient(make_client)
    path = write_csv([*new_rows(10), f"{IN_ORG},Brown,Aisha,1990-01-01,,", f"{other_email},Other,Patient,1970-01-01,,"])
    transport = CountingTransport(backend.app)
    summary = await run_job(make_client(transport), path, ImportOptions(ORG, STUDY, invite=True), tmp_path / "j.jsonl")
    assert [r.outcome for r in summary.results] == [Outcome.CREATED] * 10 + [Outcome.SKIPPED, Outcome.ADDED]
    assert server.organizations_of(other_id) >= {ORG}
    lookups = transport.calls.get("GET /api/v1/patients/global_lookup", 0)
    creates = transport.calls.get("POST /api/v1/patients", 0)
    if refuses_known:
        assert (lookups, creates) == (1, 11)  # one look-up: after the other organization's patient was refused
    else:
        assert (lookups, creates) == (12, 10)  # every row looked up; only the new ones created


async def test_the_last_enrolments_go_out_once_every_row_left_waits_for_them(make_client, write_csv, server,
                                                                              tmp_path, monkeypatch):
    """A batch is sent when it is full or when no other row could still join it, not only after
    the linger (made a minute here): the end of an import does not wait for rows that will not come."""
    from jhe_tui.jobs.imports import enroller

    monkeypatch.setattr(enroller, "ENROL_LINGER", 60.0)
    path = write_csv(new_rows(3))
    summary = await asyncio.wait_for(run_job(make_client(), path, ImportOptions(ORG, STUDY)), timeout=20)
    assert [r.enrolled for r in summary.results] == ["yes"] * 3
    assert all(server.enrolments(r.patient_id) == [STUDY] for r in summary.results)
