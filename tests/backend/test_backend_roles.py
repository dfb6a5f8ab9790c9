"""Roles on every write: viewer reads only, member manages patients, manager also members."""

from __future__ import annotations

import pytest

OMH = "https://w3id.org/openmhealth"


def _write_routes(api) -> list[tuple[str, str, dict | None]]:
    """One valid request per write route, for a patient of the lab where the roles are."""
    enrolled = api.value("SELECT patient_id FROM study_patient WHERE study_id = 30001 ORDER BY patient_id LIMIT 1")
    outsider = api.value("SELECT patient_id FROM patient_organization WHERE organization_id = 20004 AND patient_id"
                             " NOT IN (SELECT patient_id FROM patient_organization WHERE organization_id = 20003)")
    scope = {"studyScopeConsents": [{"studyId": 30001, "scopeConsents": [
        {"codingSystem": OMH, "codingCode": "omh:blood-glucose:4.0", "consented": True}]}]}
    demographics = {"nameFamily": "Ng", "nameGiven": "Ada", "birthDate": "1970-05-06"}
    return [
        ("POST", "/api/v1/patients",
         {"telecomEmail": "role.test@example.org", "organizationId": 20003, **demographics}),
        ("PATCH", f"/api/v1/patients/{enrolled}?organization_id=20003", {"telecomPhone": "555-0100"}),
        ("PUT", f"/api/v1/patients/{enrolled}?organization_id=20003", demographics),
        ("PATCH", f"/api/v1/patients/{outsider}/global_add_organization?organization_id=20003", None),
        ("GET", f"/api/v1/patients/{enrolled}/invitation_link", None),
        ("POST", f"/api/v1/patients/{enrolled}/consents", scope),
        ("PATCH", f"/api/v1/patients/{enrolled}/consents", scope),
        ("DELETE", f"/api/v1/patients/{enrolled}/consents", scope),
        ("POST", "/api/v1/studies/30001/patients", {"patientIds": [outsider]}),
        ("DELETE", "/api/v1/studies/30001/patients", {"patientIds": [outsider]}),
        ("DELETE", f"/api/v1/patients/{enrolled}?organization_id=20003", None),
    ]


MEMBER_ROUTES = [
    ("POST", "/api/v1/organizations/20003/user", {"jheUserId": 10005, "organizationPartitionerRole": "member"}),
    ("DELETE", "/api/v1/organizations/20003/remove_user", {"jheUserId": 10005}),
]


def _fingerprint(api) -> list:
    """Everything a write route could change (observations excepted: they only go with a patient)."""
    tables = ("jhe_user", "patient", "patient_organization", "study_patient", "scope_consent", "invitation",
              "practitioner_organization", "outbox")
    return [api.rows(f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables]


async def test_viewer_is_refused_on_every_write_and_nothing_changes(api) -> None:
    api.backend.token_for("viewer")
    before = _fingerprint(api)
    for method, path, body in _write_routes(api) + MEMBER_ROUTES:
        response = await api.request(method, path, role="viewer", json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert _fingerprint(api) == before


async def test_member_manages_patients_but_not_members(api) -> None:
    for method, path, body in _write_routes(api):
        response = await api.request(method, path, role="member", json=body)
        assert response.status_code < 300, (method, path, response.text)
    for method, path, body in MEMBER_ROUTES:
        assert (await api.request(method, path, role="member", json=body)).status_code == 403


async def test_manager_manages_members(api) -> None:
    added = await api.post("/api/v1/organizations/20003/user",
                           json={"jheUserId": 10005, "organizationPartitionerRole": "viewer"})
    assert added.status_code == 201 and added.json()["role"] == "viewer"
    changed = await api.post("/api/v1/organizations/20003/user",
                             json={"jheUserId": 10005, "organizationPartitionerRole": "member"})
    assert changed.status_code == 200 and changed.json()["role"] == "member"
    members = (await api.get("/api/v1/organizations/20003/users")).json()
    assert {"id": 10005, "email": "dana.brooks@demo.jhe.example", "firstName": "Dana", "lastName": "Brooks",
            "role": "member"} in members
    assert (await api.delete("/api/v1/organizations/20003/remove_user", json={"jheUserId": 10005})).status_code == 204
    assert 10005 not in {m["id"] for m in (await api.get("/api/v1/organizations/20003/users")).json()}
    unknown = await api.post("/api/v1/organizations/20003/user",
                             json={"jheUserId": 40001, "organizationPartitionerRole": "member"})
    assert unknown.status_code == 404 and unknown.json() == {"error": "Practitioner not found"}
    bad_role = await api.post("/api/v1/organizations/20003/user", json={"jheUserId": 10005,
                                                                        "organizationPartitionerRole": "boss"})
    assert bad_role.json() == {"organizationPartitionerRole": ['"boss" is not a valid choice.']}


async def test_manager_cannot_manage_another_trees_members(api) -> None:
    response = await api.post("/api/v1/organizations/20007/user",
                              json={"jheUserId": 10005, "organizationPartitionerRole": "member"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["manager", "member"])
async def test_patients_are_only_touched_through_the_callers_organizations(api, role: str) -> None:
    other = api.value("SELECT patient_id FROM patient_organization WHERE organization_id = 20007 AND patient_id"
                              " NOT IN (SELECT patient_id FROM patient_organization WHERE organization_id = 20003)")
    cases = [
        ("PATCH", f"/api/v1/patients/{other}?organization_id=20007", {"nameGiven": "X"}, 403),
        ("PATCH", f"/api/v1/patients/{other}?organization_id=20003", {"nameGiven": "X"}, 400),
        ("DELETE", f"/api/v1/patients/{other}?organization_id=20007", None, 403),
        ("PATCH", f"/api/v1/patients/{other}/global_add_organization?organization_id=20007", None, 403),
        ("GET", f"/api/v1/patients/{other}/invitation_link", None, 403),
        ("POST", "/api/v1/studies/30004/patients", {"patientIds": [other]}, 403),
        ("POST", f"/api/v1/patients/{other}/consents", {"studyScopeConsents": [{"studyId": 30004, "scopeConsents": [
            {"codingSystem": OMH, "codingCode": "omh:body-weight:3.0", "consented": False}]}]}, 403),
        ("POST", "/api/v1/patients", {"telecomEmail": "x@example.org", "nameFamily": "X", "nameGiven": "Y",
                                      "birthDate": "1990-01-01", "organizationId": 20007}, 403),
    ]
    for method, path, body, status in cases:
        response = await api.request(method, path, role=role, json=body)
        assert response.status_code == status, (method, path, response.text)
    assert (await api.get(f"/api/v1/patients/{other}/consents", role=role)).json() == {
        "detail": "This Practitioner not authorized to access this Patient"}


async def test_reads_are_open_to_viewers(api) -> None:
    for path in ("/api/v1/patients?organization_id=20003", "/api/v1/observations?organization_id=20003",
                 "/api/v1/studies", "/api/v1/patients/40001/consents", "/FHIR/R5/Observation?patient=40001"):
        assert (await api.get(path, role="viewer")).status_code == 200, path
