"""Enrolment (all or nothing, same organization) and consents (shape, grant, revoke, decline)."""

from __future__ import annotations

OMH = "https://w3id.org/openmhealth"



async def test_cross_organization_enrolment_writes_nothing(api) -> None:
    inside = await api.create_patient("inside@example.org", organization_id=20003)
    outside = await api.create_patient("outside@example.org", organization_id=20004)
    before = api.rows("SELECT * FROM study_patient ORDER BY id")
    response = await api.post("/api/v1/studies/30001/patients", json={"patient_ids": [inside["id"], outside["id"]]})
    assert response.status_code == 400
    assert response.json() == ["Patient and study must share the same organization"]
    assert api.rows("SELECT * FROM study_patient ORDER BY id") == before


async def test_enrolment_is_idempotent_and_shaped_like_jhe(api) -> None:
    created = await api.create_patient("enrol.me@example.org")
    first = await api.post("/api/v1/studies/30001/patients", json={"patientIds": [created["id"]]})
    second = await api.post("/api/v1/studies/30001/patients", json={"patientIds": [created["id"], created["id"]]})
    assert first.status_code == second.status_code == 201
    (item,) = first.json()["studyPatients"]
    assert second.json()["studyPatients"] == [item]
    assert item["study"]["id"] == 30001 and item["study"]["organization"] == 20003
    assert item["patient"]["id"] == created["id"] and item["patient"]["organizations"] == [20003]
    assert item["patient"]["jheUser"] == created["jheUserId"]
    assert api.rows("SELECT COUNT(*) FROM study_patient WHERE patient_id = ?", created["id"]) == [(1,)]
    verify = (await api.get(f"/api/v1/patients?organization_id=20003&study_id=30001&patient_id={created['id']}")).json()
    assert verify["count"] == 1


async def test_unenrol_drops_consents_keeps_observations(api) -> None:
    (pid,) = api.rows("""SELECT sp.patient_id FROM study_patient sp JOIN scope_consent c
        ON c.study_patient_id = sp.id AND c.consented = 1 WHERE sp.study_id = 30001
        AND EXISTS (SELECT 1 FROM observation WHERE subject_patient_id = sp.patient_id) LIMIT 1""")[0]
    observations = api.rows("SELECT COUNT(*) FROM observation WHERE subject_patient_id = ?", pid)
    for _ in range(2):
        response = await api.delete("/api/v1/studies/30001/patients", json={"patientIds": [pid]})
        assert response.status_code == 204 and response.content == b""
    assert api.rows("SELECT COUNT(*) FROM study_patient WHERE patient_id = ? AND study_id = 30001", pid) == [(0,)]
    assert api.rows("SELECT COUNT(*) FROM observation WHERE subject_patient_id = ?", pid) == observations
    consents = (await api.get(f"/api/v1/patients/{pid}/consents")).json()
    assert 30001 not in {s["id"] for s in consents["studies"] + consents["studiesPendingConsent"]}
    in_study = (await api.get(f"/api/v1/observations?study_id=30001&patient_id={pid}")).json()
    assert in_study["count"] == 0


async def test_consents_get_shape(api) -> None:
    created = await api.create_patient("consent.shape@example.org")
    await api.post("/api/v1/studies/30002/patients", json={"patientIds": [created["id"]]})
    await api.post(f"/api/v1/patients/{created['id']}/consents", json=api.consent_body(30002, "omh:heart-rate:2.0"))
    body = (await api.get(f"/api/v1/patients/{created['id']}/consents")).json()
    assert set(body) == {"patient", "consolidatedConsentedScopes", "studiesPendingConsent", "studies"}
    assert body["patient"]["id"] == created["id"]
    assert body["consolidatedConsentedScopes"] == [
        {"id": 50004, "codingSystem": OMH, "codingCode": "omh:heart-rate:2.0", "text": "Heart Rate"}]
    (pending,) = body["studiesPendingConsent"]
    assert set(pending) == {"id", "name", "description", "organization", "iconUrl", "dataSources",
                            "pendingScopeConsents"}
    assert pending["organization"] == {"id": 20003, "name": "Cardiometabolic Research Lab", "type": "laboratory"}
    assert {d["name"] for d in pending["dataSources"]} == {"CareX", "iHealth"}
    assert {"id", "name", "type", "supportedScopes"} == set(pending["dataSources"][0])
    assert [(p["code"]["codingCode"], p["consented"], p["consentedTime"]) for p in pending["pendingScopeConsents"]] == [
        ("omh:blood-pressure:4.0", None, None), ("omh:oxygen-saturation:2.0", None, None)]
    (answered,) = body["studies"]
    (scope,) = answered["scopeConsents"]
    assert scope["code"]["id"] == 50004 and scope["consented"] is True and scope["consentedTime"].endswith("Z")


async def test_grant_revoke_decline_and_forget(api) -> None:
    created = await api.create_patient("consent.flow@example.org")
    pid = created["id"]
    await api.post("/api/v1/studies/30001/patients", json={"patientIds": [pid]})
    path = f"/api/v1/patients/{pid}/consents"

    granted = await api.post(path, json=api.consent_body(30001, "omh:blood-glucose:4.0", True))
    assert granted.status_code == 201
    (item,) = granted.json()["studyScopeConsents"]
    assert item["studyPatient"]["study"] == 30001 and item["studyPatient"]["patient"] == pid
    assert item["scopeCode"]["codingCode"] == "omh:blood-glucose:4.0" and item["consented"] is True

    revoked = await api.post(path, json=api.consent_body(30001, "omh:blood-glucose:4.0", False))
    assert revoked.status_code == 201 and revoked.json()["studyScopeConsents"][0]["id"] == item["id"]
    declined = await api.patch(path, json=api.consent_body(30001, "omh:blood-pressure:4.0", False))
    assert declined.status_code == 200
    body = (await api.get(path)).json()
    assert body["consolidatedConsentedScopes"] == [] and body["studiesPendingConsent"] == []
    assert {(s["code"]["codingCode"], s["consented"]) for s in body["studies"][0]["scopeConsents"]} == {
        ("omh:blood-glucose:4.0", False), ("omh:blood-pressure:4.0", False)}

    forgotten = await api.delete(path, json=api.consent_body(30001, "omh:blood-pressure:4.0", None))
    assert forgotten.status_code == 204
    body = (await api.get(path)).json()
    assert [p["code"]["codingCode"] for p in body["studiesPendingConsent"][0]["pendingScopeConsents"]] == [
        "omh:blood-pressure:4.0"]


async def test_consent_write_errors_write_nothing(api) -> None:
    created = await api.create_patient("consent.errors@example.org")
    pid = created["id"]
    path = f"/api/v1/patients/{pid}/consents"
    not_enrolled = await api.post(path, json=api.consent_body(30001, "omh:blood-glucose:4.0"))
    assert not_enrolled.status_code == 400
    assert not_enrolled.json() == [f"Patient {pid} is not enrolled in study 30001."]
    await api.post("/api/v1/studies/30001/patients", json={"patientIds": [pid]})
    unknown = await api.post(path, json=api.consent_body(30001, "omh:nope:1.0"))
    assert unknown.status_code == 400 and unknown.json() == [f"Unknown scope code {OMH}|omh:nope:1.0."]
    not_requested = await api.post(path, json=api.consent_body(30001, "omh:heart-rate:2.0"))
    assert not_requested.status_code == 400
    assert not_requested.json() == ["Study 30001 does not request omh:heart-rate:2.0."]
    unknown_study = await api.post(path, json=api.consent_body(99999, "omh:heart-rate:2.0"))
    assert unknown_study.status_code == 404 and unknown_study.json() == {"detail": "No Study matches the given query."}
    mixed = api.consent_body(30001, "omh:blood-glucose:4.0")
    mixed["studyScopeConsents"].append(api.consent_body(30002, "omh:heart-rate:2.0")["studyScopeConsents"][0])
    assert (await api.post(path, json=mixed)).status_code == 400
    assert api.rows("SELECT COUNT(*) FROM scope_consent c JOIN study_patient s ON s.id = c.study_patient_id"
                               " WHERE s.patient_id = ?", pid) == [(0,)]
    viewer = await api.post(path, role="viewer", json=api.consent_body(30001, "omh:blood-glucose:4.0"))
    assert viewer.status_code == 403


async def test_seeded_consents_cover_every_state(api) -> None:
    states = {"consented": 0, "declined": 0, "pending": 0}
    for (pid,) in api.rows("SELECT DISTINCT patient_id FROM study_patient"):
        body = (await api.get(f"/api/v1/patients/{pid}/consents", role="manager")).json()
        if "detail" in body:
            continue  # a patient of the other organization tree
        for study in body["studies"]:
            for scope in study["scopeConsents"]:
                states["consented" if scope["consented"] else "declined"] += 1
        states["pending"] += sum(len(s["pendingScopeConsents"]) for s in body["studiesPendingConsent"])
    assert all(states.values()), states
    assert states["consented"] > states["pending"] + states["declined"]
