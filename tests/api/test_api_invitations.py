"""Invitations as the client sees them: the v0.0.13 list (recorded), the demo's, none at v0.0.7;
and the invitation calls, which issue and may e-mail a link, are never sent twice on guesswork."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from api_fakes import FakeJhe, make_client
from api_recordings import RECORDED_DIR

from jhe_tui.api import Generation, InvalidInput, NetworkFailure
from jhe_tui.api.http import Request, Response, TransportError

ADMIN_RECORDING = RECORDED_DIR / "jhe-v0.0.13-admin.jsonl"


def recorded(label_start: str) -> dict:
    if not ADMIN_RECORDING.exists():
        pytest.skip(f"no recording at {ADMIN_RECORDING}")
    for line in ADMIN_RECORDING.read_text().splitlines():
        exchange = json.loads(line)
        if exchange["label"].startswith(label_start):
            return exchange
    raise AssertionError(label_start)


async def test_the_recorded_v0_0_13_list_gives_a_patients_invitations_newest_first():
    exchange = recorded("invitation list (every invitation")
    assert (exchange["method"], exchange["path"]) == ("GET", "/api/v1/invitation")
    fake = FakeJhe().on("GET", "/api/v1/invitation", Response(200, json=json.loads(exchange["body"])))
    async with make_client(fake, Generation.CURRENT) as client:
        peter = await client.invitations(40001)
        everyone = await client.invitations()
    assert [(i.id, i.status, i.client_id) for i in peter] == [(103, "issued", 3), (102, "issued", 1),
                                                              (101, "reissued", 1)]
    assert {i.patient_id for i in everyone} == {40001, 40002} and len(everyone) == 6


async def test_every_page_of_the_list_is_read():
    def page(request: Request) -> Response:
        number = int(request.url.params.get("page", "1"))
        items = [{"id": 200 - 10 * number - k, "patientId": 7 if k == 0 else 8, "client_id": 1, "status": "issued"}
                 for k in range(2)]
        following = f"http://jhe.test/api/v1/invitation?page={number + 1}" if number < 3 else None
        return Response(200, json={"count": 6, "next": following, "previous": None, "results": items})

    fake = FakeJhe().on("GET", "/api/v1/invitation", page)
    async with make_client(fake, Generation.CURRENT) as client:
        assert [i.id for i in await client.invitations(7)] == [190, 180, 170]
    assert len(fake.requests) == 3


async def test_a_v0_0_7_server_lists_no_invitations_and_says_so():
    async with make_client(FakeJhe(), Generation.LEGACY) as client:
        with pytest.raises(InvalidInput, match=r"^This server \(JHE before v0\.0\.13\) does not list"):
            await client.invitations(40001)


async def test_the_demo_lists_the_invitations_it_issued(client_for):
    async with client_for("manager") as client:
        before = await client.invitations(40001)
        issued = await client.invitation_link(40001)
        after = await client.invitations(40001)
    assert issued.link and after[0].status == "issued" and after[0].id > max((i.id for i in before), default=0)
    # The outstanding one is replaced; a redeemed one stays redeemed (as at v0.0.13).
    assert [i.status for i in after[1:]] == [{"issued": "reissued"}.get(i.status, i.status) for i in before]


@pytest.mark.parametrize("generation", [Generation.LEGACY, Generation.CURRENT])
async def test_an_invitation_whose_answer_was_lost_is_not_sent_again(generation):
    def lost(request: Request) -> Response:
        raise TransportError("server disconnected without sending a response")

    fake = (FakeJhe().on("GET", "/api/v1/patients/5/invitation_link", lost)
            .on("POST", "/api/v1/invitation", lost))
    async with make_client(fake, generation) as client:
        with pytest.raises(NetworkFailure):
            await client.invitation_link(5, send_email=True, client_id=1)
    assert len(fake.requests) == 1


async def test_the_recorded_v0_0_13_history_gives_each_apps_invitations_and_times():
    exchange = recorded("consolidated_clients: redeemed, reissued, cancelled")
    fake = FakeJhe().on("GET", exchange["path"], Response(200, json=json.loads(exchange["body"])))
    async with make_client(fake, Generation.CURRENT) as client:
        history = await client.invitation_history(40001)
    assert [app.name for app in history] == [app["name"] for app in json.loads(exchange["body"])]
    carex = history[0]
    assert [(i.id, i.status) for i in carex.invitations] == [(101, "reissued"), (102, "redeemed")]
    redeemed = carex.invitations[1]
    assert redeemed.redeemed_at == redeemed.last_updated and redeemed.sent_by_email is None
    # v0.0.13 keeps no expiry: its default lifetime from the last change stands in.
    assert redeemed.expires_at - redeemed.issued_at == dt.timedelta(days=7) and not redeemed.expiry_known


async def test_a_v0_0_7_server_keeps_no_history():
    async with make_client(FakeJhe(), Generation.LEGACY) as client:
        assert await client.invitation_history(40001) is None
        assert not await client.keeps_invitations()


async def test_an_unused_link_past_its_expiry_reads_as_expired():
    from jhe_tui.api.invitations import IssuedInvitation

    issued = IssuedInvitation.model_validate({"id": 1, "patientId": 2, "status": "issued",
                                              "lastUpdated": "2026-11-01T00:00:00Z"})
    assert issued.status_at(dt.datetime(2026, 11, 7, 23, tzinfo=dt.UTC)) == "issued"
    assert issued.status_at(dt.datetime(2026, 11, 8, 0, tzinfo=dt.UTC)) == "expired"
