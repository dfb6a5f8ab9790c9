"""An import that dies (or loses an answer) between journaling an invitation and learning its
result sends no second e-mail: where the server lists invitations (v0.0.13, the embedded backend)
the one issued is found and recorded; where it does not (v0.0.7, played here by the embedded
backend with the listing switched off in the client's adapter) the row says so and the e-mail goes
again only with ``reinvite``.

The run is killed in process: the transport cancels it at the invitation call, after or before
the server handled that call, the way SIGKILL leaves a journal (test_import_resume kills real
processes)."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from jhe_tui.api import ASGITransport, Generation
from jhe_tui.api.generation import ADAPTERS
from jhe_tui.backend.tokens import digest
from jhe_tui.jobs.imports import ImportJob, ImportOptions, Journal, Outcome, read_source

from .conftest import ORG, step_retry

ROWS = 3
CRASHED = 1  # index of the row whose invitation call the crash hits


class DiesAtAnInvitation(httpx.AsyncBaseTransport):
    """The backend, until the ``nth`` invitation call: then the run is cancelled, once the server
    has handled that call (``served``) or before it reaches the server."""

    def __init__(self, app, nth: int, *, served: bool) -> None:
        self.inner, self.nth, self.served = ASGITransport(app=app), nth, served
        self.calls = 0
        self.victim: asyncio.Task | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/invitation_link"):
            self.calls += 1
            if self.calls == self.nth:
                if self.served:
                    await (await self.inner.handle_async_request(request)).aread()
                assert self.victim is not None
                self.victim.cancel()
                await asyncio.Event().wait()
        return await self.inner.handle_async_request(request)


class LosesAnInvitationAnswer(httpx.AsyncBaseTransport):
    """The backend; the answer to the first invitation call is lost after the server acted."""

    def __init__(self, app) -> None:
        self.inner, self.lost = ASGITransport(app=app), 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/invitation_link") and not self.lost:
            await response.aread()
            self.lost += 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return response


@pytest.fixture
def without_listing(monkeypatch):
    """The v0.0.7 behaviour: the client knows of no invitation list."""
    demo = ADAPTERS[Generation.DEMO]
    monkeypatch.setitem(ADAPTERS, Generation.DEMO, dataclasses.replace(demo, lists_invitations=False))


def cohort(write_csv, prefix: str):
    return write_csv([f"{prefix}{i}@example.org,Family{i},Given{i},1980-02-0{1 + i},," for i in range(ROWS)])


async def run(client, path, journal_path, **options):
    journal = Journal.open(journal_path, ORG, None)
    try:
        async with client:
            job = ImportJob(client, read_source(path), ImportOptions(ORG, concurrency=1, **options), journal,
                            retry=step_retry())
            return await job.run()
    finally:
        journal.close()


async def killed(make_client, backend, path, journal_path, *, served: bool, **options) -> None:
    transport = DiesAtAnInvitation(backend.app, CRASHED + 1, served=served)
    task = asyncio.create_task(run(make_client(transport), path, journal_path, **options))
    transport.victim = task
    with pytest.raises(asyncio.CancelledError):
        await task


def mails(server, email: str) -> int:
    return server.rows("SELECT count(*) FROM outbox WHERE to_address = ?", email)[0][0]


@pytest.mark.parametrize("served", [True, False], ids=["after-the-server-mailed", "before-the-call"])
async def test_a_resumed_import_finds_the_invitation_on_the_server_and_mails_each_patient_once(
        make_client, write_csv, server, backend, tmp_path, served):
    path, journal = cohort(write_csv, "resume"), tmp_path / "j.jsonl"
    await killed(make_client, backend, path, journal, served=served, send_email=True)
    assert mails(server, f"resume{CRASHED}@example.org") == int(served)

    summary = await run(make_client(), path, journal, send_email=True)
    assert summary.exit_code == 0 and [r.outcome for r in summary.results] == [Outcome.CREATED] * ROWS
    assert all(r.emailed for r in summary.results)
    for i, result in enumerate(summary.results):
        assert mails(server, result.email) == 1
        assert server.rows("SELECT count(*) FROM invitation WHERE patient_id = ?", result.patient_id)[0][0] == 1
    crashed = summary.results[CRASHED].message
    assert ("found on the server" in crashed) is served, crashed
    # A further rerun reads it all from the journal.
    again = await run(make_client(), path, journal, send_email=True)
    assert [r.message for r in again.results][CRASHED].startswith("invitation e-mailed")
    assert sum(mails(server, r.email) for r in again.results) == ROWS


@pytest.mark.parametrize("served", [True, False], ids=["after-the-server-mailed", "before-the-call"])
async def test_where_the_server_lists_no_invitations_an_interrupted_one_is_reported_and_resent_only_on_request(
        make_client, write_csv, server, backend, tmp_path, without_listing, served):
    path, journal = cohort(write_csv, "legacy"), tmp_path / "j.jsonl"
    await killed(make_client, backend, path, journal, served=served, send_email=True)
    email = f"legacy{CRASHED}@example.org"

    summary = await run(make_client(), path, journal, send_email=True)
    crashed = summary.results[CRASHED]
    assert crashed.outcome == Outcome.CREATED and crashed.invite_unsure and not crashed.emailed
    assert "an invitation may already have been sent" in crashed.message and "--reinvite" in crashed.message
    assert summary.exit_code == 1 and "1 maybe invited already" in summary.describe()
    assert mails(server, email) == int(served)
    assert all(mails(server, r.email) == 1 for i, r in enumerate(summary.results) if i != CRASHED)

    still = await run(make_client(), path, journal, send_email=True)  # no second e-mail without asking
    assert still.results[CRASHED].invite_unsure and mails(server, email) == int(served)

    asked = await run(make_client(), path, journal, send_email=True, reinvite=True)
    assert asked.exit_code == 0 and asked.results[CRASHED].emailed
    assert mails(server, email) == int(served) + 1
    assert all(mails(server, r.email) == 1 for i, r in enumerate(asked.results) if i != CRASHED)


async def test_an_interrupted_link_without_e_mail_is_issued_again_and_said_so(make_client, write_csv, server,
                                                                             backend, tmp_path):
    path, journal = cohort(write_csv, "link"), tmp_path / "j.jsonl"
    await killed(make_client, backend, path, journal, served=True, invite=True)
    summary = await run(make_client(), path, journal, invite=True)
    assert summary.exit_code == 0
    crashed = summary.results[CRASHED]
    assert "issued again" in crashed.message and crashed.link
    (current,) = server.rows("SELECT code_hash FROM invitation WHERE patient_id = ? AND status = 'issued'",
                             crashed.patient_id)
    assert digest(crashed.link.rsplit("%7C", 1)[1]) == current[0]
    assert server.rows("SELECT count(*) FROM outbox")[0][0] == 0


@pytest.mark.parametrize("listing", [True, False], ids=["server-lists", "server-does-not-list"])
async def test_a_lost_answer_to_an_invitation_is_checked_before_any_second_e_mail(
        make_client, write_csv, server, backend, tmp_path, monkeypatch, listing):
    if not listing:
        demo = ADAPTERS[Generation.DEMO]
        monkeypatch.setitem(ADAPTERS, Generation.DEMO, dataclasses.replace(demo, lists_invitations=False))
    path = cohort(write_csv, "lost")
    transport = LosesAnInvitationAnswer(backend.app)
    summary = await run(make_client(transport), path, tmp_path / "j.jsonl", send_email=True)
    assert transport.lost == 1
    assert all(mails(server, r.email) == 1 for r in summary.results)
    first = summary.results[0]
    assert first.outcome == Outcome.CREATED and first.emailed is listing and first.invite_unsure is not listing
    assert summary.exit_code == (0 if listing else 1)
