"""Timeouts that fit the request: a read (a page of a large search) waits long, a write and a
connection briefly; ``--timeout`` sets the read's. And the exchanges a job watches: every attempt,
retries included, is reported in the watching context and nowhere else."""

from __future__ import annotations

import httpx
import pytest
from api_fakes import FakeJhe, make_client, page_json

from jhe_tui.api.http import Request, Response
from jhe_tui.api.timeouts import Timeouts
from jhe_tui.api.watch import Outcome, watching

PATIENTS = "/api/v1/patients"


def timeouts_of(request: Request) -> dict[str, float]:
    return request.extensions["timeout"]


def patient_answer(request: Request) -> Response:
    return Response(201, json={"id": 40100, "jheUserId": 100, "telecomEmail": "a@example.org",
                               "nameFamily": "A", "nameGiven": "B", "birthDate": "1980-01-01", "identifiers": []})


async def test_reads_wait_long_writes_and_connections_briefly():
    fake = FakeJhe().json("GET", PATIENTS, page_json([])).on("POST", PATIENTS, patient_answer)
    async with make_client(fake) as client:
        await client.patients(20003)
        await client.request("POST", PATIENTS, json={"telecomEmail": "a@example.org"})
    read, write = (timeouts_of(r) for r in fake.requests)
    assert read == {"connect": 10.0, "read": 120.0, "write": 120.0, "pool": 120.0}
    assert write == {"connect": 10.0, "read": 20.0, "write": 20.0, "pool": 20.0}


async def test_a_given_timeout_is_the_reads_and_no_write_waits_longer():
    fake = FakeJhe().json("GET", PATIENTS, page_json([])).on("POST", PATIENTS, patient_answer)
    async with make_client(fake, timeout=300) as client:
        await client.patients(20003)
        await client.request("POST", PATIENTS, json={})
    assert [timeouts_of(r)["read"] for r in fake.requests] == [300.0, 20.0]
    assert Timeouts.of(5) == Timeouts(read=5.0, write=5.0, connect=5.0)
    with pytest.raises(ValueError):
        Timeouts(read=0)


async def test_every_attempt_is_reported_to_the_watcher_of_its_context_only():
    def lost(request: Request) -> Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake = FakeJhe().on("GET", PATIENTS, lost, Response(503), Response(200, json=page_json([])),
                        Response(200, json=page_json([])))
    heard: list[tuple[str, Outcome]] = []

    def watcher(method: str):
        return lambda outcome: heard.append((method, outcome))

    async with make_client(fake) as client:
        with watching(watcher):
            await client.patients(20003)
        await client.patients(20003)  # outside the context: not reported
    assert heard == [("GET", Outcome(None, timed_out=True)), ("GET", Outcome(503)), ("GET", Outcome(200))]
    assert [o.overloaded for _, o in heard] == [True, True, False]
