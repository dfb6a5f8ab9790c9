"""`GET /api/v1/invitation` as v0.0.13 answers it (contract section 9.4, recorded exchange 117):
every invitation, newest first, with the same keys, the replaced ones `reissued`, no token."""

from __future__ import annotations

import json
import sqlite3

from tests.api.api_recordings import RECORDED_DIR

RECORDED = RECORDED_DIR / "jhe-v0.0.13-admin.jsonl"
DEMO_EXTRAS = ("created", "expires", "redeemed", "sentByEmail")


def recorded_body(label_start: str) -> dict | list:
    for line in RECORDED.read_text().splitlines():
        exchange = json.loads(line)
        if exchange["label"].startswith(label_start):
            return json.loads(exchange["body"])
    raise AssertionError(f"no recorded {label_start}")


def recorded_listing() -> dict:
    for line in RECORDED.read_text().splitlines():
        exchange = json.loads(line)
        if exchange["method"] == "GET" and exchange["path"] == "/api/v1/invitation" and exchange["actor"] == "mary":
            return json.loads(exchange["body"])
    raise AssertionError("no recorded invitation list")


async def test_the_invitation_list_has_v0_0_13_shape_newest_first(api) -> None:
    created = await api.create_patient("listed@example.org")
    path = f"/api/v1/patients/{created['id']}/invitation_link"
    assert (await api.get(path)).status_code == 200
    assert (await api.get(f"{path}?send_email=true")).status_code == 200

    listing = (await api.get("/api/v1/invitation", role="viewer")).json()
    recorded = recorded_listing()
    assert listing.keys() == recorded.keys()
    # v0.0.13's keys, plus the times and the e-mail flag a real server does not keep.
    assert {tuple(item) for item in listing["results"]} == {(*recorded["results"][0], *DEMO_EXTRAS)}
    assert listing["count"] == api.value("SELECT count(*) FROM invitation") and listing["next"] is None
    newest, previous = listing["results"][:2]
    assert (newest["patientId"], newest["status"], newest["token"]) == (created["id"], "issued", None)
    assert (previous["patientId"], previous["status"]) == (created["id"], "reissued")
    ids = [item["id"] for item in listing["results"]]
    assert ids == sorted(ids, reverse=True)


async def test_the_invitation_list_pages_by_a_thousand_and_needs_a_token(api) -> None:
    assert (await api.get("/api/v1/invitation", role=None)).status_code == 401
    conn = sqlite3.connect(api.backend.db_path)
    with conn:
        conn.executemany("INSERT INTO invitation (patient_id, code_hash, created, expires) VALUES (40001, ?, '', '')",
                         [(f"{i:064x}",) for i in range(1000)])
    conn.close()
    count = api.value("SELECT count(*) FROM invitation")
    first = (await api.get("/api/v1/invitation?page_size=5")).json()  # JHE reads no page size here
    assert first["count"] == count and len(first["results"]) == 1000 and first["next"].endswith("page=2")
    second = (await api.get(first["next"])).json()
    assert len(second["results"]) == count - 1000 and second["next"] is None
    assert {i["id"] for i in first["results"]} | {i["id"] for i in second["results"]} == {
        r[0] for r in api.rows("SELECT id FROM invitation")}


async def issue(api, email: str) -> tuple[int, str]:
    created = await api.create_patient(email)
    link = (await api.get(f"/api/v1/patients/{created['id']}/invitation_link")).json()["invitationLink"]
    return created["id"], link.rpartition("%7C")[2]


async def test_a_link_is_redeemed_once_with_v0_0_13s_answers(api) -> None:
    patient_id, first = await issue(api, "redeem@example.org")
    second = (await api.get(f"/api/v1/patients/{patient_id}/invitation_link")).json()["invitationLink"]
    code = second.rpartition("%7C")[2]
    assert (await api.post(f"/api/v1/invitation/{first}", role=None)).json() == {
        "detail": "Invitation has already been used."}  # 409: a newer link replaced it
    answer = await api.post(f"/api/v1/invitation/{code}", role=None)
    assert answer.status_code == 200
    assert api.rows("SELECT status FROM invitation WHERE patient_id = ? ORDER BY id", patient_id) == [
        ("reissued",), ("redeemed",)]
    assert (await api.post(f"/api/v1/invitation/{code}", role=None)).status_code == 200  # again within 12 h
    unknown = await api.post("/api/v1/invitation/" + "x" * 30, role=None)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Invitation not found or already used."})


async def test_an_expired_or_cancelled_link_is_refused_and_an_expired_one_marked(api) -> None:
    patient_id, code = await issue(api, "late@example.org")
    conn = sqlite3.connect(api.backend.db_path)
    with conn:
        conn.execute("UPDATE invitation SET expires = '2000-01-01T00:00:00.000000Z' WHERE patient_id = ?",
                     (patient_id,))
    conn.close()
    refused = await api.post(f"/api/v1/invitation/{code}", role=None)
    assert (refused.status_code, refused.json()) == (410, {"detail": "Invitation has expired."})
    assert api.value("SELECT status FROM invitation WHERE patient_id = ?", patient_id) == "expired"
    other, cancelled = await issue(api, "cancelled@example.org")
    conn = sqlite3.connect(api.backend.db_path)
    with conn:
        conn.execute("UPDATE invitation SET status = 'cancelled' WHERE patient_id = ?", (other,))
    conn.close()
    assert (await api.post(f"/api/v1/invitation/{cancelled}", role=None)).status_code == 403


async def test_a_patients_history_has_consolidated_clients_shape(api) -> None:
    patient_id, code = await issue(api, "history@example.org")
    await api.get(f"/api/v1/patients/{patient_id}/invitation_link?send_email=true")
    await api.post(f"/api/v1/invitation/{code}", role=None)  # the older link: already replaced
    answer = await api.get(f"/api/v1/patients/{patient_id}/consolidated_clients", role="viewer")
    recorded = recorded_body("consolidated_clients: issued and reissued")
    assert answer.status_code == 200
    (app,) = answer.json()
    assert app.keys() == recorded[0].keys()
    assert [tuple(i) for i in app["patientInvitations"]] == [(*recorded[0]["patientInvitations"][0], *DEMO_EXTRAS)] * 2
    assert [(i["status"], i["sentByEmail"]) for i in app["patientInvitations"]] == [("issued", True),
                                                                                  ("reissued", False)]
    assert (await api.get("/api/v1/patients/40001/consolidated_clients", role=None)).status_code == 401
