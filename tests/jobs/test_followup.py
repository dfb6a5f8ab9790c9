"""The follow-up desk's job against the embedded backend: invitations in every status, redeemed
and expired ones, a server that keeps invitations (v0.0.13, the demo) and one that does not
(v0.0.7, where this workstation's log stands in), and few requests, bounded."""

from __future__ import annotations

import datetime as dt
import sqlite3

import httpx
import pytest

from jhe_tui.api import ASGITransport
from jhe_tui.backend.db import timestamp
from jhe_tui.jobs.followup import Queue, Rules, follow_up
from jhe_tui.jobs.triage import roster_entries
from jhe_tui.local.invitation_log import LoggedInvitation
from tests.jobs.conftest import ORG, STUDY
from tests.jobs.test_triage import Counting


class GuideEra(httpx.AsyncBaseTransport):
    """The demo as a v0.0.7 server looks: no /health, no invitation list, no consolidated_clients."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/health" or path.startswith("/api/v1/invitation") or path.endswith("/consolidated_clients"):
            return httpx.Response(404, html="<h1>Page not found</h1>")
        return await self.inner.handle_async_request(request)


def seeded_now(db_path) -> dt.datetime:
    """The moment the demo was seeded (its newest reading): the desk's clock in these tests."""
    conn = sqlite3.connect(db_path)
    try:
        newest = conn.execute("SELECT max(last_updated) FROM observation").fetchone()[0]
    finally:
        conn.close()
    return dt.datetime.fromisoformat(newest.replace("Z", "+00:00"))


class Cohort:
    """Patients made for one test in the lab's study, with invitations written as a server keeps them."""

    def __init__(self, client, db_path, now: dt.datetime) -> None:
        self.client, self.db_path, self.now = client, db_path, now
        self.ids: dict[str, int] = {}

    async def add(self, name: str, *invitations: tuple[str, float, float, str | None]) -> int:
        """``invitations``: (status, issued hours ago, expires in hours, redeemed hours ago or None)."""
        draft = {"email": f"{name}@followup.example", "family": name.title(), "given": "Test",
                 "birth_date": "1980-01-01"}
        patient = (await self.client.create_patient(ORG, draft)).patient
        await self.client.enroll_patients(STUDY, [patient.id])
        conn = sqlite3.connect(self.db_path)
        with conn:
            for n, (status, issued, expires, redeemed) in enumerate(invitations):
                hours = dt.timedelta(hours=1)
                conn.execute(
                    "INSERT INTO invitation (patient_id, code_hash, created, expires, emailed, status, redeemed)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (patient.id, f"{patient.id:032x}{n:032x}", timestamp(self.now - issued * hours),
                     timestamp(self.now + expires * hours), int(n % 2 == 0), status,
                     timestamp(self.now - float(redeemed) * hours) if redeemed is not None else None))
        conn.close()
        self.ids[name] = patient.id
        return patient.id


def rows_of(desk, queue: Queue, ids) -> dict[int, str]:
    return {row.id: row.reason for row in desk.queues[queue] if row.id in set(ids)}


async def test_every_queue_holds_the_right_patients_with_reasons(make_client, backend):
    client = make_client()
    now = seeded_now(backend.db_path)
    cohort = Cohort(client, backend.db_path, now)
    await cohort.add("fresh", ("issued", 20, 300, None))
    await cohort.add("waiting", ("issued", 60, 276, None))
    await cohort.add("expiring", ("issued", 300, 24, None))
    await cohort.add("expired", ("issued", 384, -48, None))
    await cohort.add("redeemed", ("redeemed", 100, 236, 99))
    await cohort.add("reissued", ("redeemed", 200, 136, 199), ("issued", 60, 276, None))
    await cohort.add("cancelled", ("cancelled", 90, 246, None))
    await cohort.add("never")
    ours = cohort.ids.values()

    desk = await follow_up(client, ORG, STUDY, now=now)

    ids = cohort.ids
    assert rows_of(desk, Queue.NOT_CONNECTED, ours) == {
        ids["waiting"]: "invited 60 hours ago (e-mailed), not redeemed",
        ids["expiring"]: "invited 12 days ago (e-mailed), not redeemed",
        ids["expired"]: "invited 16 days ago (e-mailed), link expired",
        ids["cancelled"]: "invited 3 days ago (e-mailed), link cancelled",
    }
    # Oldest first.
    mine = [row.id for row in desk.queues[Queue.NOT_CONNECTED] if row.id in set(ours)]
    assert mine == [ids["expired"], ids["expiring"], ids["cancelled"], ids["waiting"]]
    assert rows_of(desk, Queue.EXPIRING, ours) == {ids["expiring"]: "link expires in 24 hours"}
    assert rows_of(desk, Queue.NEVER, ours) == {ids["never"]: "never invited"}
    # Connected (a link was redeemed, even an older one), every data type still unanswered.
    scopes = len(await client.study_scope_requests(STUDY))
    assert rows_of(desk, Queue.PENDING, ours) == {
        ids["redeemed"]: f"{scopes} data types unanswered, waiting 4 days",
        ids["reissued"]: f"{scopes} data types unanswered, waiting 8 days",
    }
    assert not rows_of(desk, Queue.QUIET, ours)
    assert not desk.notes and not desk.empty  # the demo gives every link's expiry


async def test_went_quiet_is_the_roster_rule_with_last_data_per_type(make_client, backend):
    client = make_client()
    now = seeded_now(backend.db_path)
    desk = await follow_up(client, ORG, STUDY, now=now, rules=Rules(days=3))
    patients = [p async for p in client.iter_patients(ORG, STUDY)]
    scopes = [request.scope_code for request in await client.study_scope_requests(STUDY)]
    entries = await roster_entries(client, patients, STUDY, scopes)
    silent = {e.id for e in entries if e.silent(3, now)}
    assert silent and {row.id for row in desk.queues[Queue.QUIET]} == silent
    by_id = {e.id: e for e in entries}
    for row in desk.queues[Queue.QUIET]:
        expected = {s.text or s.coding_code: by_id[row.id].last_data[s.key] for s in scopes
                    if (c := by_id[row.id].consents[s.key]) is not None and c.consented}
        assert row.last_data == expected
        assert row.reason.startswith("last data " if by_id[row.id].latest else "no data since consenting")


async def test_a_redeemed_link_moves_the_patient_out_of_not_connected(make_client, backend):
    client = make_client()
    now = seeded_now(backend.db_path)
    draft = {"email": "redeems@followup.example", "family": "Redeems", "given": "Test", "birth_date": "1980-01-01"}
    patient_id = (await client.create_patient(ORG, draft)).patient.id
    issued = await client.invitation_link(patient_id)
    later = now + dt.timedelta(days=3)
    await client.enroll_patients(STUDY, [patient_id])
    before = await follow_up(client, ORG, STUDY, now=later)
    assert patient_id in {row.id for row in before.queues[Queue.NOT_CONNECTED]}

    code = issued.link.rpartition("%7C")[2]
    async with httpx.AsyncClient(transport=ASGITransport(app=backend.app), base_url=backend.site_url) as app:
        assert (await app.post(f"/api/v1/invitation/{code}")).status_code == 200

    after = await follow_up(client, ORG, STUDY, now=later)
    assert patient_id not in {row.id for queue in (Queue.NOT_CONNECTED, Queue.NEVER, Queue.EXPIRING)
                              for row in after.queues[queue]}
    assert patient_id in {row.id for row in after.queues[Queue.PENDING]}


async def test_a_v0_0_7_server_uses_this_workstations_log_and_says_so(make_client, backend):
    client = make_client(GuideEra(ASGITransport(app=backend.app)))
    now = seeded_now(backend.db_path)
    made = []
    for name in ("logged", "unlogged", "fresh"):
        draft = {"email": f"{name}@v7.example", "family": name.title(), "given": "Test", "birth_date": "1980-01-01"}
        made.append((await client.create_patient(ORG, draft)).patient.id)
    await client.enroll_patients(STUDY, made)
    logged, unlogged, fresh = made
    server = backend.site_url
    log = [LoggedInvitation(now - dt.timedelta(hours=50), "mary@example.org", server, logged, "", emailed=False),
           LoggedInvitation(now - dt.timedelta(hours=5), "mary@example.org", server, fresh, "", emailed=True)]

    desk = await follow_up(client, ORG, STUDY, now=now, local_log=log)

    assert rows_of(desk, Queue.NOT_CONNECTED, made) == {
        logged: "invited 50 hours ago (copied), no answer, no data, recorded on this workstation"}
    assert rows_of(desk, Queue.NEVER, made) == {unlogged: "never invited (recorded on this workstation)"}
    assert not rows_of(desk, Queue.EXPIRING, made)  # 14 days at v0.0.7
    assert {Queue.NOT_CONNECTED, Queue.EXPIRING, Queue.NEVER} <= desk.notes.keys()
    assert all("JHE before v0.0.13" in note for note in desk.notes.values())
    # A seeded patient who answered a consent was invited, though from elsewhere: not "never invited".
    answered = {row.id for row in desk.queues[Queue.QUIET]} | {row.id for row in desk.queues[Queue.PENDING]}
    assert answered and not answered & {row.id for row in desk.queues[Queue.NEVER]}


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_requests_are_few_and_bounded(make_client, backend, concurrency):
    counting = Counting(ASGITransport(app=backend.app))
    client = make_client(counting)
    now = seeded_now(backend.db_path)
    await client.server_info()
    counting.paths.clear()

    desk = await follow_up(client, ORG, now=now, concurrency=concurrency)

    assert counting.most <= concurrency + 3  # the three whole-list reads start together
    per_patient = [p for p in counting.paths if p.startswith("/api/v1/patients/")]
    assert len(per_patient) == desk.patients  # one consents read each
    searches = [p for p in counting.paths if p.lower().startswith("/fhir")]
    quiet_types = sum(len(row.last_data) for row in desk.queues[Queue.QUIET])
    sweeps = [p for p in counting.paths if p == "/api/v1/observations"]
    # The newest observations are read in pages of 1,000; searches only for what those left open,
    # never more than the quiet patients' data types.
    assert sweeps and len(searches) <= quiet_types
    assert len(counting.paths) == 3 + len(per_patient) + len(sweeps) + len(searches)
