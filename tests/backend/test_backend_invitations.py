"""`GET /api/v1/invitation` as v0.0.13 answers it (contract section 9.4, recorded exchange 117):
every invitation, newest first, with the same keys, the replaced ones `reissued`, no token."""

from __future__ import annotations

import json
import sqlite3

from tests.api.api_recordings import RECORDED_DIR

RECORDED = RECORDED_DIR / "jhe-v0.0.13-admin.jsonl"


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
    assert {tuple(item) for item in listing["results"]} == {tuple(recorded["results"][0])}
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
