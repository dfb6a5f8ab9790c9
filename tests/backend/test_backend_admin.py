"""Administration routes of the demo backend, per endpoint and role: organizations, members,
studies with their scope requests, data sources and patient apps, the e-mail look-up, API keys
and the demo superuser."""

from __future__ import annotations

import pytest

NO_PERMISSION = {"detail": "You do not have permission to perform this action."}
SUB_ORG = {"name": "Sleep Lab", "type": "laboratory", "partOf": 20003}


async def _new_org(api, **changes) -> dict:
    response = await api.post("/api/v1/organizations", json={**SUB_ORG, **changes})
    assert response.status_code == 201, response.text
    return response.json()


async def test_organization_types_and_create(api) -> None:
    types = (await api.get("/api/v1/organizations/types", role="viewer")).json()
    assert types["laboratory"] == "Laboratory" and "root" in types
    created = await _new_org(api)
    assert {k: created[k] for k in ("name", "type", "partOf", "currentUserRole", "children")} == {
        "name": "Sleep Lab", "type": "laboratory", "partOf": 20003, "currentUserRole": None, "children": []}
    # The creator is its manager from now on, as at JHE.
    assert (await api.get(f"/api/v1/organizations/{created['id']}")).json()["currentUserRole"] == "manager"


@pytest.mark.parametrize("body, status, answer", [
    ({"name": "Top", "type": "edu"}, 403, NO_PERMISSION),  # a top-level organization takes a superuser
    ({**SUB_ORG, "type": "zzz"}, 400, {"type": ['"zzz" is not a valid choice.']}),
    ({**SUB_ORG, "name": " "}, 400, {"name": ["This field may not be blank."]}),
    ({**SUB_ORG, "partOf": 29999}, 400, {"partOf": ['Invalid pk "29999" - object does not exist.']}),
    ({**SUB_ORG, "partOf": 20005}, 403, NO_PERMISSION),
])
async def test_organization_create_refusals(api, body, status, answer) -> None:
    before = api.value("SELECT COUNT(*) FROM organization")
    response = await api.post("/api/v1/organizations", json=body)
    assert (response.status_code, response.json()) == (status, answer)
    assert api.value("SELECT COUNT(*) FROM organization") == before


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_organization_writes_take_the_parents_manager(api, role) -> None:
    org = await _new_org(api)
    assert (await api.post("/api/v1/organizations", json=SUB_ORG, role=role)).status_code == 403
    assert (await api.patch(f"/api/v1/organizations/{org['id']}", json={"name": "X"}, role=role)).json() == NO_PERMISSION
    assert (await api.delete(f"/api/v1/organizations/{org['id']}", role=role)).status_code == 403
    assert api.value("SELECT name FROM organization WHERE id = ?", org["id"]) == "Sleep Lab"


async def test_organization_rename_and_retype(api) -> None:
    org = await _new_org(api)
    changed = await api.patch(f"/api/v1/organizations/{org['id']}", json={"name": "Sleep & Circadian", "type": "team"})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["type"]) == ("Sleep & Circadian", "team")
    bad = await api.patch(f"/api/v1/organizations/{org['id']}", json={"type": "zzz"})
    assert bad.status_code == 400 and bad.json() == {"type": ['"zzz" is not a valid choice.']}
    # JHE answers 500 for an unknown id here.
    unknown = await api.patch("/api/v1/organizations/29999", json={"name": "X"})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "No Organization matches the given query."}


async def test_organization_delete_cascades_to_its_subtree(api) -> None:
    parent = await _new_org(api)
    child = await _new_org(api, name="Night Team", type="team", partOf=parent["id"])
    study = (await api.post("/api/v1/studies", json={"name": "Night", "description": "d",
                                                      "organization": child["id"]})).json()
    assert (await api.delete(f"/api/v1/organizations/{parent['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/organizations/{child['id']}")).status_code == 404
    assert (await api.get(f"/api/v1/studies/{study['id']}")).status_code == 404  # JHE: 403 for unknown studies
    assert api.rows("SELECT * FROM practitioner_organization WHERE organization_id IN (?, ?)",
                    parent["id"], child["id"]) == []
    assert (await api.delete(f"/api/v1/organizations/{parent['id']}")).status_code == 404


async def test_lab_delete_keeps_patients_and_their_other_organizations(api) -> None:
    both = api.value("SELECT patient_id FROM patient_organization WHERE organization_id = 20004 AND patient_id IN"
                     " (SELECT patient_id FROM patient_organization WHERE organization_id = 20003)")
    assert (await api.delete("/api/v1/organizations/20004")).status_code == 204
    assert api.rows("SELECT organization_id FROM patient_organization WHERE patient_id = ?", both) == [(20003,)]
    assert api.rows("SELECT * FROM study WHERE organization_id = 20004") == []
    assert api.rows("SELECT * FROM observation_study WHERE study_id = 30003") == []


async def test_the_root_and_another_tree_cannot_be_changed(api) -> None:
    assert (await api.delete("/api/v1/organizations/0")).json() == NO_PERMISSION
    assert (await api.patch("/api/v1/organizations/20007", json={"name": "X"})).json() == NO_PERMISSION


async def test_search_by_email(api) -> None:
    found = (await api.get("/api/v1/users/search_by_email?email=dana.brooks@demo.jhe.example", role="viewer")).json()
    assert found == {"id": 10005, "email": "dana.brooks@demo.jhe.example", "firstName": "Dana",
                     "lastName": "Brooks", "patient": None, "userType": "practitioner", "isSuperuser": False}
    nobody = (await api.get("/api/v1/users/search_by_email?email=nobody@example.org")).json()
    assert nobody == {"email": "", "firstName": "", "lastName": "", "userType": None, "isSuperuser": False}
    email = api.value("SELECT email FROM jhe_user WHERE user_type = 'patient' ORDER BY id LIMIT 1")
    patient = (await api.get("/api/v1/users/search_by_email", params={"email": email})).json()
    assert patient["userType"] == "patient" and patient["patient"]["telecomEmail"] == email
    missing = await api.get("/api/v1/users/search_by_email")
    assert missing.status_code == 400 and missing.json() == {"email": ["This field is required."]}


async def test_member_errors_in_jhes_words(api) -> None:
    path = "/api/v1/organizations/20003/user"
    patient_user = api.value("SELECT jhe_user_id FROM patient ORDER BY id LIMIT 1")
    cases = [
        ({"organizationPartitionerRole": "member"}, 400, {"error": "jhe_user_id is required"}),
        ({"jheUserId": patient_user, "organizationPartitionerRole": "member"}, 404, {"error": "Practitioner not found"}),
        ({"jheUserId": 10005}, 400, {"organizationPartitionerRole": ["This field is required."]}),
        ({"jheUserId": 10005, "organizationPartitionerRole": "owner"}, 400,
         {"organizationPartitionerRole": ['"owner" is not a valid choice.']}),
    ]
    for body, status, answer in cases:
        response = await api.post(path, json=body)
        assert (response.status_code, response.json()) == (status, answer), body
    removed = await api.delete("/api/v1/organizations/20003/remove_user", json={})
    assert (removed.status_code, removed.json()) == (400, {"error": "jhe_user_id is required"})


async def test_the_last_manager_stays(api) -> None:
    refusal = ["An organization must keep at least one manager; add another manager first."]
    demote = await api.post("/api/v1/organizations/20003/user", json={"jheUserId": 10001,
                                                                       "organizationPartitionerRole": "member"})
    assert (demote.status_code, demote.json()) == (400, refusal)
    remove = await api.delete("/api/v1/organizations/20003/remove_user", json={"jheUserId": 10001})
    assert (remove.status_code, remove.json()) == (400, refusal)
    await api.post("/api/v1/organizations/20003/user", json={"jheUserId": 10005,
                                                             "organizationPartitionerRole": "manager"})
    assert (await api.delete("/api/v1/organizations/20003/remove_user", json={"jheUserId": 10001})).status_code == 204


STUDY = {"name": "Sleep Study", "description": "Sleep and heart rate", "organization": 20003,
         "iconUrl": "https://example.org/sleep.png"}


async def test_study_create_edit_delete(api) -> None:
    created = await api.post("/api/v1/studies", json=STUDY, role="member")
    assert created.status_code == 201
    study = created.json()
    assert {k: study[k] for k in ("name", "description", "organization", "iconUrl")} == {
        "name": "Sleep Study", "description": "Sleep and heart rate", "organization": 20003,
        "iconUrl": "https://example.org/sleep.png"}
    changed = await api.patch(f"/api/v1/studies/{study['id']}", json={"name": "Sleep Study v2", "iconUrl": ""})
    assert (changed.json()["name"], changed.json()["iconUrl"]) == ("Sleep Study v2", None)
    assert (await api.delete(f"/api/v1/studies/{study['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/studies/{study['id']}")).status_code == 404


@pytest.mark.parametrize("body, status, answer", [
    ({k: v for k, v in STUDY.items() if k != "description"}, 400, {"description": ["This field is required."]}),
    ({k: v for k, v in STUDY.items() if k != "organization"}, 400, {"organization": ["This field is required."]}),
    ({**STUDY, "organization": 20007}, 403, NO_PERMISSION),
])
async def test_study_create_refusals(api, body, status, answer) -> None:
    response = await api.post("/api/v1/studies", json=body)
    assert (response.status_code, response.json()) == (status, answer)


async def test_viewer_cannot_set_up_a_study(api) -> None:
    assert (await api.post("/api/v1/studies", json=STUDY, role="viewer")).json() == NO_PERMISSION
    for method, path, body in [
        ("PATCH", "/api/v1/studies/30001", {"name": "X"}),
        ("DELETE", "/api/v1/studies/30001", None),
        ("POST", "/api/v1/studies/30001/scope_requests", {"scopeCodeId": 50005}),
        ("DELETE", "/api/v1/studies/30001/scope_requests", {"scopeCodeId": 50001}),
        ("POST", "/api/v1/studies/30001/data_sources", {"dataSourceId": 70001}),
        ("DELETE", "/api/v1/studies/30001/data_sources", {"dataSourceId": 70002}),
    ]:
        response = await api.request(method, path, role="viewer", json=body)
        assert response.status_code == 403, (method, path)
    assert api.value("SELECT COUNT(*) FROM study_scope_request WHERE study_id = 30001") == 2


async def test_study_delete_takes_enrolments_and_consents(api) -> None:
    enrolled = api.value("SELECT COUNT(*) FROM study_patient WHERE study_id = 30001")
    assert enrolled > 0
    assert (await api.delete("/api/v1/studies/30001", role="member")).status_code == 204
    assert api.rows("SELECT * FROM study_patient WHERE study_id = 30001") == []
    assert api.rows("SELECT * FROM scope_consent WHERE study_patient_id NOT IN (SELECT id FROM study_patient)") == []
    assert api.rows("SELECT * FROM observation_study WHERE study_id = 30001") == []


async def test_scope_requests_add_and_remove(api) -> None:
    path = "/api/v1/studies/30001/scope_requests"
    added = await api.post(path, json={"scopeCodeId": 50004})
    assert added.status_code == 201
    assert added.json()["scopeCode"]["codingCode"] == "omh:heart-rate:2.0"
    assert added.json()["study"]["organization"] == 20003
    # The study's observations now include the heart rate its patients already sent.
    heart = api.value("SELECT COUNT(*) FROM observation_study s JOIN observation o ON o.id = s.observation_id"
                      " WHERE s.study_id = 30001 AND o.codeable_concept_id = 50004")
    assert heart > 0
    again = await api.post(path, json={"scopeCodeId": 50004})
    assert (again.status_code, again.json()) == (400, ["This study already requests this data type."])
    unknown = await api.post(path, json={"scopeCodeId": 99999})
    assert unknown.json() == {"scopeCodeId": ['Invalid pk "99999" - object does not exist.']}
    assert (await api.request("DELETE", path, json={"scopeCodeId": 50004})).status_code == 204
    assert [r["scopeCode"]["id"] for r in (await api.get(path)).json()] == [50001, 50002]
    assert api.value("SELECT COUNT(*) FROM observation_study s JOIN observation o ON o.id = s.observation_id"
                     " WHERE s.study_id = 30001 AND o.codeable_concept_id = 50004") == 0


async def test_data_sources_add_and_remove(api) -> None:
    path = "/api/v1/studies/30001/data_sources"
    added = await api.post(path, json={"dataSourceId": 70001})
    assert (added.status_code, added.content) == (201, b"")
    again = await api.post(path, json={"dataSourceId": 70001})
    assert (again.status_code, again.json()) == (400, ["This data source is already linked to this study."])
    unknown = await api.post(path, json={"dataSourceId": 79999})
    assert unknown.json() == {"dataSourceId": ['Invalid pk "79999" - object does not exist.']}
    assert (await api.request("DELETE", path, json={"dataSourceId": 70001})).status_code == 204
    assert [s["dataSource"]["id"] for s in (await api.get(path)).json()] == [70002, 70003]


async def test_the_superuser_creates_a_top_level_organization(api) -> None:
    profile = (await api.get("/api/v1/users/profile", role="superuser")).json()
    assert (profile["email"], profile["isSuperuser"]) == ("admin@demo.jhe.example", True)
    assert (await api.get("/api/v1/users/profile")).json()["isSuperuser"] is False
    created = await api.post("/api/v1/organizations", json={"name": "Northside Clinic", "type": "prov"},
                             role="superuser")
    assert created.status_code == 201, created.text
    assert created.json()["partOf"] == 0
    top = created.json()["id"]
    assert (await api.get(f"/api/v1/organizations/{top}", role="superuser")).json()["currentUserRole"] == "manager"
    # Any organization's writes are the superuser's, as JHE's pseudo-role super_user allows.
    renamed = await api.patch("/api/v1/organizations/20005", json={"name": "Lakeside Health"}, role="superuser")
    assert renamed.status_code == 200


async def test_patient_apps_listed_for_anyone_signed_in(api) -> None:
    page = (await api.get("/api/v1/clients", role="viewer")).json()
    assert (page["count"], page["next"]) == (3, None)
    assert [(a["id"], a["name"]) for a in page["results"]] == [(5, "Patient Access"), (4, "CommonHealth"), (3, "CareX")]
    assert set(page["results"][0]) == {"id", "name", "clientId", "invitationUrl"}
    assert (await api.get("/api/v1/clients", role=None)).status_code == 401


async def test_study_patient_apps_add_and_remove(api) -> None:
    path = "/api/v1/studies/30001/clients"
    assert [link["client"]["id"] for link in (await api.get(path)).json()] == [3]
    added = await api.post(path, json={"client_id": 5})
    assert (added.status_code, added.content) == (201, b"")
    again = await api.post(path, json={"clientId": 5})  # the web console's spelling
    assert (again.status_code, again.json()) == (400, ["This patient app is already one of this study's."])
    unknown = await api.post(path, json={"client_id": 9})
    assert unknown.json() == {"client_id": ['Invalid pk "9" - object does not exist.']}
    links = (await api.get(path)).json()
    assert [(link["client"]["id"], link["client"]["name"], link["study"]["id"]) for link in links] == [
        (3, "CareX", 30001), (5, "Patient Access", 30001)]
    assert (await api.post(path, json={"client_id": 4}, role="viewer")).json() == NO_PERMISSION
    assert (await api.request("DELETE", path, json={"clientId": 3})).status_code == 204
    assert [link["client"]["id"] for link in (await api.get(path)).json()] == [5]


async def test_api_keys_are_the_owners_only(api) -> None:
    created = await api.post("/api/v1/practitioner_clients", json={"label": "laptop"})
    assert created.status_code == 201 and created.json()["key"]
    key_id = created.json()["id"]
    listed = (await api.get("/api/v1/practitioner_clients")).json()
    assert listed["count"] == 1 and "key" not in listed["results"][0]  # shown once, at creation
    assert (await api.get(f"/api/v1/practitioner_clients/{key_id}", role="member")).json() == {
        "detail": "No PractitionerClient matches the given query."}
    relabelled = await api.patch(f"/api/v1/practitioner_clients/{key_id}", json={"label": "desktop"})
    assert relabelled.json()["label"] == "desktop"
    missing = await api.post("/api/v1/practitioner_clients", json={})
    assert missing.json() == {"label": ["This field is required."]}


async def test_revoking_a_key_revokes_its_tokens(api) -> None:
    key = (await api.post("/api/v1/practitioner_clients", json={"label": "batch"})).json()
    token = await api.http.post("/o/token/", data={"grant_type": "client_credentials"},
                                headers={"Authorization": f"Basic {key['key']}"})
    access = token.json()["access_token"]
    profile = await api.get("/api/v1/users/profile", role=None, headers={"Authorization": f"Bearer {access}"})
    assert profile.json()["id"] == 10001
    assert (await api.delete(f"/api/v1/practitioner_clients/{key['id']}")).status_code == 204
    after = await api.get("/api/v1/users/profile", role=None, headers={"Authorization": f"Bearer {access}"})
    assert after.status_code == 401
    again = await api.http.post("/o/token/", data={"grant_type": "client_credentials"},
                                headers={"Authorization": f"Basic {key['key']}"})
    assert again.status_code == 401
