"""The roster's triage is a job: the same answers as asking every scope of every patient, in
order, with a bounded number of requests in flight."""

from __future__ import annotations

import asyncio

import httpx

from jhe_tui.api import ASGITransport
from jhe_tui.jobs.triage import roster_entries
from tests.jobs.conftest import ORG, STUDY


class Counting(httpx.AsyncBaseTransport):
    """Counts requests by path and the most that were in flight at once. Each request waits for
    the next turn of the event loop, so requests made together really overlap."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []
        self.in_flight = self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0)
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


async def test_roster_entries_match_asking_every_scope_with_bounded_requests(make_client, backend):
    counting = Counting(ASGITransport(app=backend.app))
    client = make_client(counting)
    patients = (await client.patients(ORG, STUDY, page=1, page_size=100)).items
    scopes = [request.scope_code for request in await client.study_scope_requests(STUDY)]
    assert len(patients) > 5 and len(scopes) > 1
    counting.paths.clear()

    entries = await roster_entries(client, patients, STUDY, scopes, concurrency=3)

    assert [e.id for e in entries] == [p.id for p in patients]
    assert counting.most <= 3
    assert len(counting.paths) == len(patients) * (1 + len(scopes))
    # The answers are those of asking every scope of every patient, one at a time.
    for entry, patient in zip(entries, patients, strict=True):
        assert entry.consents == {s.key: (await client.consents(patient.id)).scope(STUDY, *s.key) for s in scopes}
        for scope in scopes:
            page = await client.fhir_observations(patient_id=entry.id, study_id=STUDY, code=scope.key, count=1)
            newest = page.items[0].last_updated if page.items else None
            assert entry.last_data[scope.key] == newest, (entry.id, scope.key)
