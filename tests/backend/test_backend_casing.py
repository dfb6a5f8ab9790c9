"""camelCase or snake_case in, camelCase out, OMH payloads untouched (contract section 1.2)."""

from __future__ import annotations

import pytest

from jhe_tui.backend.casing import camelize, to_camel, to_snake, underscoreize


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("birthDate", "birth_date"),
        ("birth_date", "birth_date"),
        ("organizationId", "organization_id"),
        ("pageSize", "page_size"),
        ("value2", "value_2"),
        ("Group", "_group"),
        ("patient._has:Group:member:_id", "patient._has:_group:member:_id"),
        ("clientId", "clientId"),  # ignore_keys: never renamed
        ("client_id", "client_id"),
        ("codeVerifier", "codeVerifier"),
    ],
)
def test_to_snake(name: str, snake: str) -> None:
    assert to_snake(name) == snake


@pytest.mark.parametrize(
    ("name", "camel"),
    [("birth_date", "birthDate"), ("current_user_role", "currentUserRole"), ("id", "id"), ("client_id", "client_id"),
     ("value_2", "value2")],
)
def test_to_camel(name: str, camel: str) -> None:
    assert to_camel(name) == camel


def test_nested_conversion_keeps_the_omh_payload() -> None:
    data = {"value_attachment_data": {"schema_id": {"name": "x"}}, "items": [{"study_id": 1}]}
    assert camelize(data) == {"valueAttachmentData": {"schema_id": {"name": "x"}}, "items": [{"studyId": 1}]}
    assert underscoreize({"scopeConsents": [{"codingCode": "c"}]}) == {"scope_consents": [{"coding_code": "c"}]}


async def test_bodies_are_accepted_in_either_case(api) -> None:
    camel = await api.post("/api/v1/patients", json={
        "telecomEmail": "camel@example.org", "nameFamily": "Camel", "nameGiven": "Case", "birthDate": "1990-02-03",
        "telecomPhone": "555-0001", "organizationId": 20003})
    snake = await api.post("/api/v1/patients", json={
        "telecom_email": "snake@example.org", "name_family": "Snake", "name_given": "Case", "birth_date": "1990-02-03",
        "telecom_phone": "555-0002", "organization_id": 20003})
    assert camel.status_code == snake.status_code == 201
    assert camel.json()["nameFamily"] == "Camel" and snake.json()["nameFamily"] == "Snake"
    assert snake.json()["telecomPhone"] == "555-0002"
    for pid in (camel.json()["id"], snake.json()["id"]):
        assert (await api.post("/api/v1/studies/30001/patients", json={"patientIds": [pid]})).status_code == 201
    enrolled = (await api.get("/api/v1/patients?organization_id=20003&study_id=30001&page_size=1000")).json()
    assert {camel.json()["id"], snake.json()["id"]} <= {p["id"] for p in enrolled["results"]}


async def test_query_names_are_accepted_in_either_case(api) -> None:
    snake = (await api.get("/api/v1/patients?organization_id=20004&page_size=3&page=2")).json()
    camel = (await api.get("/api/v1/patients?organizationId=20004&pageSize=3&page=2")).json()
    assert snake["results"] == camel["results"] and len(snake["results"]) == 3
    studies = (await api.get("/api/v1/studies?organizationId=20004")).json()
    assert {s["organization"]["id"] for s in studies["results"]} == {20004}
    link = (await api.get("/api/v1/patients/40001/invitation_link?sendEmail=true")).json()
    assert link["invitationLink"]
    assert len(list(api.backend.outbox_dir.iterdir())) == 1


async def test_responses_are_camel_case_except_the_omh_payload(api) -> None:
    patient = (await api.get("/api/v1/patients/40001")).json()
    assert {"jheUserId", "nameFamily", "nameGiven", "birthDate", "telecomPhone", "telecomEmail"} <= patient.keys()
    assert {"partOf", "currentUserRole"} <= patient["organizations"][0].keys()
    item = (await api.get("/api/v1/observations?organization_id=20003&page_size=1")).json()["results"][0]
    assert {"subjectPatientId", "codeableConceptId", "codingCode", "lastUpdated", "valueAttachmentData"} <= item.keys()
    payload = item["valueAttachmentData"]
    assert {"uuid", "schema_id", "source_creation_date_time", "modality"} <= payload["header"].keys()
    assert "effective_time_frame" in payload["body"]
    error = await api.patch("/api/v1/patients/40001?organization_id=20003", json={"birth_date": "1/2/1990"})
    assert error.status_code == 400 and "birthDate" in error.json()


async def test_fhir_study_parameter_in_both_spellings(api) -> None:
    raw = (await api.get("/FHIR/R5/Observation?patient._has:Group:member:_id=30003&_count=5")).json()
    converted = (await api.get("/FHIR/R5/Observation?patient._has:_group:member:_id=30003&_count=5")).json()
    assert raw["total"] == converted["total"] > 0
    assert raw["entry"] == converted["entry"]
