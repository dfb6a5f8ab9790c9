"""The client on real sockets, with httpx's own transport, against a `serve-demo` process through
the fault proxy (tests/faults.py): only the retry policy decides what is sent again."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from jhe_tui.api import JheClient, NetworkFailure, RetryPolicy
from tests.faults import FaultProxy, Faults
from tests.serving import serve_demo

ORG = 20003


async def no_sleep(_delay: float) -> None:
    return None


@pytest.fixture(scope="module")
def served(_seeded, tmp_path_factory):
    data = tmp_path_factory.mktemp("wire") / "demo"
    shutil.copytree(_seeded, data)
    with serve_demo(data, "--workers", "1") as printed:
        yield data / "demo.sqlite3", printed


def client(url: str, token: str) -> JheClient:
    return JheClient(url, token, retry=RetryPolicy(sleep=no_sleep))


def users_with_email(db_path, email: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM jhe_user WHERE email = ?", (email,)).fetchone()[0]


def new_patient(email: str) -> dict:
    return {"telecomEmail": email, "nameFamily": "Wire", "nameGiven": "Test", "birthDate": "1990-01-01",
            "organizationId": ORG}


async def test_a_write_whose_answer_is_lost_is_sent_once_and_reported(served):
    db_path, printed = served
    async with FaultProxy(printed["JHE_URL"], Faults(drop_reused=1.0)) as proxy:
        async with client(proxy.url, printed["JHE_TOKEN"]) as jhe:
            await jhe.request("GET", "/health")  # answered: the connection is now a reused one
            with pytest.raises(NetworkFailure, match="while creating the patient"):
                await jhe.request("POST", "/api/v1/patients", json=new_patient("lost.answer@example.org"),
                                  doing="creating the patient")
    assert proxy.dropped["POST /api/v1/patients"] == 1
    assert proxy.requests["POST /api/v1/patients"] == 1
    assert users_with_email(db_path, "lost.answer@example.org") == 1  # the server did create it


async def test_a_read_whose_answer_is_lost_is_sent_again(served):
    _, printed = served
    async with FaultProxy(printed["JHE_URL"], Faults(drop_reused=1.0)) as proxy:
        async with client(proxy.url, printed["JHE_TOKEN"]) as jhe:
            await jhe.request("GET", "/health")
            profile = await jhe.profile()
    assert profile.email
    assert proxy.requests["GET /api/v1/users/profile"] == 2 and proxy.dropped["GET /api/v1/users/profile"] == 1


async def test_connections_the_server_closed_while_idle_are_not_reused(served):
    db_path, printed = served
    async with FaultProxy(printed["JHE_URL"]) as proxy:
        async with client(proxy.url, printed["JHE_TOKEN"]) as jhe:
            for i in range(3):
                await jhe.request("GET", "/health")
                assert await proxy.close_idle() == 1
                await jhe.request("POST", "/api/v1/patients", json=new_patient(f"after.idle{i}@example.org"))
    assert proxy.closed == 3 and proxy.requests["POST /api/v1/patients"] == 3
    assert proxy.connections == 4  # one per closed connection, and the last one
    assert all(users_with_email(db_path, f"after.idle{i}@example.org") == 1 for i in range(3))


async def test_the_proxy_named_in_the_environment_is_used(served, monkeypatch):
    """httpx's own support for HTTP(S)_PROXY / NO_PROXY: the server name need not even resolve."""
    _, printed = served
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with FaultProxy(printed["JHE_URL"]) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with client("http://jhe.invalid", printed["JHE_TOKEN"]) as jhe:
            assert (await jhe.profile()).email
        monkeypatch.setenv("NO_PROXY", "jhe.invalid")
        async with client("http://jhe.invalid", printed["JHE_TOKEN"]) as jhe:
            with pytest.raises(NetworkFailure):
                await jhe.profile()
    assert proxy.requests["GET /api/v1/users/profile"] == 1
