"""Retries: reads survive transient failures; writes are never repeated on guesswork."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from api_fakes import FakeJhe, make_client, page_json

from jhe_tui.api import JheError, NetworkFailure, RetryPolicy, ServerFailure
from jhe_tui.api.http import Request, Response, TransportError
from jhe_tui.api.retry import parse_retry_after


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def busy(status: int, retry_after: str | None = None) -> Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Response(status, headers=headers, text="<html>busy</html>")


async def test_get_is_retried_on_503_honouring_retry_after():
    sleeps = Sleeps()
    fake = FakeJhe().on("GET", "/api/v1/patients", busy(503, "2"), Response(200, json=page_json([])))
    async with make_client(fake, retry=RetryPolicy(sleep=sleeps)) as client:
        page = await client.patients(organization_id=1)
    assert page.count == 0
    assert len(fake.requests) == 2 and sleeps.delays == [2.0]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_get_is_retried_with_growing_backoff_then_gives_up(status):
    sleeps = Sleeps()
    fake = FakeJhe().on("GET", "/api/v1/patients", busy(status))
    async with make_client(fake, retry=RetryPolicy(max_retries=3, base_delay=1.0, sleep=sleeps)) as client:
        with pytest.raises(JheError) as caught:
            await client.patients()
    assert caught.value.status == status and "<" not in caught.value.message
    assert len(fake.requests) == 4
    assert [0.5 <= sleeps.delays[0] <= 1.0, 1.0 <= sleeps.delays[1] <= 2.0, 2.0 <= sleeps.delays[2] <= 4.0] == [
        True
    ] * 3


async def test_get_is_retried_after_a_network_error():
    calls = []

    def flaky(request: Request) -> Response:
        calls.append(request)
        if len(calls) == 1:
            raise TransportError("connection reset")
        return Response(200, json={"id": 1, "email": "x@y.org"})

    fake = FakeJhe().on("GET", "/api/v1/users/profile", flaky)
    async with make_client(fake) as client:
        assert (await client.profile()).id == 1
    assert len(calls) == 2


async def test_post_is_not_retried_on_503():
    sleeps = Sleeps()
    fake = FakeJhe().on("POST", "/api/v1/studies/5/patients", busy(503, "1"))
    async with make_client(fake, retry=RetryPolicy(sleep=sleeps)) as client:
        with pytest.raises(ServerFailure):
            await client.request("POST", "/api/v1/studies/5/patients", json={"patient_ids": [1]})
    assert len(fake.requests) == 1 and sleeps.delays == []


async def test_post_is_not_retried_on_a_network_error():
    def down(request: Request) -> Response:
        raise TransportError("connection reset")

    fake = FakeJhe().on("DELETE", "/api/v1/studies/5/patients", down)
    async with make_client(fake) as client:
        with pytest.raises(NetworkFailure):
            await client.unenroll_patients(5, [1])
    assert len(fake.requests) == 1


async def test_post_is_retried_on_429_with_retry_after_only():
    sleeps = Sleeps()
    fake = FakeJhe().on("POST", "/api/v1/studies/5/patients", busy(429, "0"), Response(201, json={"studyPatients": []}))
    async with make_client(fake, retry=RetryPolicy(sleep=sleeps)) as client:
        await client.request("POST", "/api/v1/studies/5/patients", json={"patient_ids": [1]})
    assert len(fake.requests) == 2 and sleeps.delays == [0.0]

    fake = FakeJhe().on("POST", "/api/v1/studies/5/patients", busy(429))
    async with make_client(fake) as client:
        with pytest.raises(JheError) as caught:
            await client.request("POST", "/api/v1/studies/5/patients", json={"patient_ids": [1]})
    assert caught.value.status == 429 and len(fake.requests) == 1


async def test_a_retry_after_longer_than_the_cap_is_reported_not_waited_for():
    sleeps = Sleeps()
    fake = FakeJhe().on("GET", "/api/v1/patients", busy(503, "3600"))
    async with make_client(fake, retry=RetryPolicy(max_delay=30, sleep=sleeps)) as client:
        with pytest.raises(ServerFailure):
            await client.patients()
    assert len(fake.requests) == 1 and sleeps.delays == []


async def test_500_is_not_retried():
    fake = FakeJhe().on("GET", "/api/v1/patients", busy(500))
    async with make_client(fake) as client:
        with pytest.raises(ServerFailure):
            await client.patients()
    assert len(fake.requests) == 1


def test_retry_after_parses_seconds_and_http_dates():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
