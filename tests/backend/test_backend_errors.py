"""Every error is JSON with the guide's words: bad JSON, wrong types, unknown ids, URLs, methods."""

from __future__ import annotations

import datetime as dt

import pytest

NEW_PATIENT = {"telecomEmail": "new.person@example.org", "nameFamily": "Person", "nameGiven": "New",
               "birthDate": "1985-07-08", "organizationId": 20003}


@pytest.mark.parametrize("raw", [b"{bad", b"[1, 2", b"\xff\xfe", b'{"a": 1}}', b"[" * 5000 + b"]" * 5000,
                                 b'{"nameFamily": "\\ud800"}'])
@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/patients"),
    ("PATCH", "/api/v1/patients/40001?organization_id=20003"),
    ("POST", "/api/v1/studies/30001/patients"),
    ("POST", "/api/v1/patients/40001/consents"),
])
async def test_malformed_json(api, method: str, path: str, raw: bytes) -> None:
    response = await api.request(method, path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize("method, path, body, expected", [
    ("POST", "/api/v1/patients", [NEW_PATIENT],
     {"nonFieldErrors": ["Invalid data. Expected a dictionary, but got list."]}),
    ("POST", "/api/v1/patients", "text", {"nonFieldErrors": ["Invalid data. Expected a dictionary, but got str."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "organizationId": "abc"},
     {"organizationId": ["A valid integer is required."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "organizationId": True},
     {"organizationId": ["A valid integer is required."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "organizationId": 10**30},
     {"organizationId": ["A valid integer is required."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "nameFamily": ["Smith"], "telecomPhone": {"a": 1}},
     {"nameFamily": ["Not a valid string."], "telecomPhone": ["Not a valid string."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "birthDate": 19800101},
     {"birthDate": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("POST", "/api/v1/patients", {"organizationId": 20003},
     {"telecomEmail": ["This field is required."], "nameFamily": ["This field is required."],
      "nameGiven": ["This field is required."], "birthDate": ["This field is required."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "telecomEmail": "not-an-email"},
     {"telecomEmail": ["Enter a valid email address."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "birthDate": "01/01/1980"},
     {"birthDate": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("POST", "/api/v1/patients", {**NEW_PATIENT, "birthDate": "1980-02-30"},
     {"birthDate": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ("POST", "/api/v1/studies/30001/patients", {"patientIds": "40001"},
     {"patientIds": ['Expected a list of items but got type "str".']}),
    ("POST", "/api/v1/studies/30001/patients", {"patientIds": ["x"]}, {"patientIds": ["A valid integer is required."]}),
    ("POST", "/api/v1/studies/30001/patients", {"patientIds": []}, {"patientIds": ["This list may not be empty."]}),
    ("POST", "/api/v1/studies/30001/patients", {}, {"patientIds": ["This field is required."]}),
    ("POST", "/api/v1/patients/40001/consents", {"studyScopeConsents": {"studyId": 30001}},
     {"studyScopeConsents": ["Expected a non-empty list of {studyId, scopeConsents} objects."]}),
    ("POST", "/api/v1/patients/40001/consents", {"studyScopeConsents": [{"studyId": 30001, "scopeConsents": [
        {"codingSystem": "https://w3id.org/openmhealth", "codingCode": "omh:blood-glucose:4.0", "consented": "yes"}]}]},
     {"studyScopeConsents": ["consented: Must be a valid boolean."]}),
])
async def test_wrong_types_are_field_errors(api, method: str, path: str, body, expected) -> None:
    before = api.value("SELECT COUNT(*) FROM patient")
    response = await api.request(method, path, json=body)
    assert response.status_code == 400, response.text
    assert response.json() == expected
    assert api.value("SELECT COUNT(*) FROM patient") == before


async def test_birth_date_in_the_future(api) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    response = await api.post("/api/v1/patients", json={**NEW_PATIENT, "birthDate": tomorrow})
    assert response.status_code == 400 and response.json() == {"birthDate": ["Birth date cannot be in the future."]}


async def test_duplicate_email_in_the_guides_words(api) -> None:
    await api.create_patient("dupe@example.org")
    for email in ("dupe@example.org", "DUPE@Example.org", "manager@demo.jhe.example"):
        response = await api.post("/api/v1/patients", json={**NEW_PATIENT, "telecomEmail": email})
        assert response.status_code == 400
        assert response.json() == ["User with this email already exists"]


@pytest.mark.parametrize("method, path, message", [
    ("GET", "/api/v1/patients/999999", "No Patient matches the given query."),
    ("GET", "/api/v1/patients/999999/consents", "No Patient matches the given query."),
    ("GET", "/api/v1/patients/999999/invitation_link", "No Patient matches the given query."),
    ("PATCH", "/api/v1/patients/999999?organization_id=20003", "No Patient matches the given query."),
    ("DELETE", "/api/v1/patients/999999?organization_id=20003", "No Patient matches the given query."),
    ("PATCH", "/api/v1/patients/999999/global_add_organization?organization_id=20003",
     "No Patient matches the given query."),
    ("PATCH", "/api/v1/patients/40001/global_add_organization?organization_id=99999",
     "No Organization matches the given query."),
    ("GET", "/api/v1/studies/999999", "No Study matches the given query."),
    ("GET", "/api/v1/studies/999999/scope_requests", "No Study matches the given query."),
    ("GET", "/api/v1/organizations/999999", "No Organization matches the given query."),
    ("GET", "/api/v1/organizations/999999/users", "No Organization matches the given query."),
    ("POST", "/api/v1/studies/30001/patients", "No Patient matches the given query."),
])
async def test_unknown_ids(api, method: str, path: str, message: str) -> None:
    before = api.value("SELECT COUNT(*) FROM study_patient")
    response = await api.request(method, path, json={"patientIds": [40001, 999999]} if method == "POST" else None)
    assert response.status_code == 404 and response.json() == {"detail": message}
    assert api.value("SELECT COUNT(*) FROM study_patient") == before


async def test_other_organizations_study_is_forbidden(api) -> None:
    response = await api.get("/api/v1/studies/30004")
    assert response.status_code == 403
    assert response.json() == {"detail": "Current User does not have authorization to access this Study."}


@pytest.mark.parametrize("path", ["/api/v1/patients/", "/api/v1/nothing", "/o/token", "/api/v1/patients/abc",
                                  "/api/v1/patients/1234567890123456789012", "/fhir/r5/Encounter"])
async def test_unknown_urls_are_json_404(api, path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method, path", [("PUT", "/api/v1/studies"), ("DELETE", "/api/v1/observations"),
                                          ("POST", "/api/v1/patients/40001"), ("GET", "/o/token/")])
async def test_wrong_method_is_json_405(api, method: str, path: str) -> None:
    response = await api.request(method, path)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer"}])
async def test_missing_or_bad_token(api, headers: dict) -> None:
    response = await api.get("/api/v1/patients?organization_id=20003", role=None, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'


async def test_authentication_comes_before_body_parsing(api) -> None:
    response = await api.post("/api/v1/patients", role=None, content=b"{bad")
    assert response.status_code == 401


async def test_bad_query_integers(api) -> None:
    response = await api.get("/api/v1/patients?organization_id=abc")
    assert response.status_code == 400 and response.json() == {"organizationId": ["A valid integer is required."]}
    missing = await api.patch("/api/v1/patients/40001/global_add_organization")
    assert missing.status_code == 400 and missing.json() == ["organizationId parameter required"]
    lookup = await api.get("/api/v1/patients/global_lookup")
    assert lookup.status_code == 400 and lookup.json() == ["email parameter required"]
