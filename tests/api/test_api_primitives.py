"""The client's one-request primitives, for jobs that check on their own terms (the import job,
the export): each sends exactly the request named, and the endpoint stays the client's to know."""

from __future__ import annotations

import json
from datetime import date

import pytest
from api_fakes import FakeJhe, make_client, no_sleep, page_json, patient_json

from jhe_tui.api import (BearerAuth, Generation, InvalidInput, MockTransport, NotFound, PatientDraft, RetryPolicy,
                         ServerFailure)
from jhe_tui.api.generation import ADAPTERS
from jhe_tui.api.http import Response
from jhe_tui.api.session import ApiSession

DRAFT = PatientDraft(email="ann@example.com", family="Lee", given="Ann", birth_date=date(1980, 1, 2))


@pytest.mark.parametrize("generation", list(Generation))
async def test_adapter_is_the_detected_generations(generation):
    async with make_client(FakeJhe(), generation=generation) as client:
        assert await client.adapter() is ADAPTERS[generation]


@pytest.mark.parametrize(("generation", "identifier"), [
    (Generation.LEGACY, {"identifier": "ext-1"}),
    (Generation.CURRENT, {"identifiers": [{"system": "urn:jhe-tui:external-id", "value": "ext-1"}]}),
])
async def test_create_patient_unchecked_posts_once_without_looking_the_email_up(generation, identifier):
    fake = FakeJhe().json("POST", "/api/v1/patients", patient_json(40009, [20003]), status=201)
    async with make_client(fake, generation=generation) as client:
        patient = await client.create_patient_unchecked(20003, DRAFT.model_copy(update={"external_id": "ext-1"}))
    assert patient.id == 40009
    assert [(r.method, r.url.path) for r in fake.requests] == [("POST", "/api/v1/patients")]
    body = fake.body("POST", "/api/v1/patients")
    assert body["organizationId"] == 20003 and body["telecomEmail"] == "ann@example.com"
    assert {key: body[key] for key in identifier} == identifier


async def test_create_patient_unchecked_refuses_bad_input_and_reads_answers_it_understands():
    fake = FakeJhe().json("POST", "/api/v1/patients", {"unexpected": True}, status=201)
    async with make_client(fake, generation=Generation.LEGACY) as client:
        with pytest.raises(InvalidInput, match="birth"):  # v0.0.7 needs a birth date
            await client.create_patient_unchecked(20003, {"email": "ann@example.com", "family": "Lee", "given": "A"})
        assert fake.requests == []
        with pytest.raises(ServerFailure, match="could not be read while creating the patient"):
            await client.create_patient_unchecked(20003, DRAFT)


async def test_add_patient_to_organization_unchecked_patches_without_reading_the_patient():
    fake = FakeJhe().json("PATCH", "/api/v1/patients/40001/global_add_organization",
                          patient_json(40001, [20001, 20003]))
    async with make_client(fake) as client:
        patient = await client.add_patient_to_organization_unchecked(40001, 20003)
    assert patient.organization_ids == [20001, 20003]
    (request,) = fake.requests
    assert request.method == "PATCH" and dict(request.url.params) == {"organization_id": "20003"}


@pytest.mark.parametrize("generation", [Generation.LEGACY, Generation.CURRENT])
async def test_is_enrolled_reads_the_studys_patient_list_filtered_to_that_patient(generation):
    fake = FakeJhe().on("GET", "/api/v1/patients",
                        Response(200, json=page_json([patient_json(40001, [20003])])),
                        Response(200, json=page_json([patient_json(40002, [20003])])),  # a filter the server ignored
                        Response(404, json={"detail": "No results found"}))  # v0.0.7's empty list
    async with make_client(fake, generation=generation) as client:
        assert await client.is_enrolled(30001, 40001, organization_id=20003) is True
        assert await client.is_enrolled(30001, 40001, organization_id=20003) is False
        assert await client.is_enrolled(30001, 40001, organization_id=20003) is False
    assert {tuple(sorted(r.url.params.multi_items())) for r in fake.requests} == {
        (("organization_id", "20003"), ("patient_id", "40001"), ("study_id", "30001")),
    }


async def test_is_enrolled_still_raises_other_404s():
    fake = FakeJhe().json("GET", "/api/v1/patients", {"detail": "Not found."}, status=404)
    async with make_client(fake) as client:
        with pytest.raises(NotFound):
            await client.is_enrolled(30001, 40001, organization_id=20003)


async def test_enroll_patients_unchecked_posts_the_ids_and_nothing_else():
    fake = FakeJhe().json("POST", "/api/v1/studies/30001/patients", {"studyPatients": []}, status=201)
    async with make_client(fake) as client:
        await client.enroll_patients_unchecked(30001, [40002, 40001, 40002])
        await client.enroll_patients_unchecked(30001, [])
    (request,) = fake.requests
    assert json.loads(request.content) == {"patient_ids": [40002, 40001]}


async def test_enroll_patients_unchecked_names_what_failed():
    fake = FakeJhe().json("POST", "/api/v1/studies/30001/patients", {"detail": "boom"}, status=500)
    async with make_client(fake) as client:
        with pytest.raises(ServerFailure, match="while enrolling the patient in the study"):
            await client.enroll_patients_unchecked(30001, [40001])
        with pytest.raises(ServerFailure, match="while enrolling patients in the study"):
            await client.enroll_patients_unchecked(30001, [40001, 40002])


# --- a FHIR page, as dicts or texts ----------------------------------------------------------------------

RESOURCES = [{"resourceType": "Observation", "id": str(i), "status": "final"} for i in (1, 2)]
BUNDLE = {
    "resourceType": "Bundle",
    "type": "searchset",
    "total": 5,
    "link": [{"relation": "self", "url": "http://jhe.test/x"}, {"relation": "next", "url": "http://jhe.test/n"}],
    "entry": [{"fullUrl": f"http://jhe.test/fhir/r5/Observation/{r['id']}", "resource": r} for r in RESOURCES],
}


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize(("generation", "base"), [(Generation.CURRENT, "/FHIR/R5"), (Generation.DEMO, "/fhir/r5")])
async def test_a_fhir_page_as_texts_has_each_resource_on_one_line_with_every_filter_on_the_server(generation, base):
    fake = FakeJhe().on("GET", f"{base}/Observation", Response(200, text=compact(BUNDLE),
                                                              headers={"content-type": "application/fhir+json"}))
    async with make_client(fake, generation=generation) as client:
        texts = await client.fhir_observation_resources(
            organization_id=20003, study_id=30001, patient_id=40001, code="omh:heart-rate:2.0",
            date_ge=date(2026, 1, 1), date_le=date(2026, 3, 1), page=2, count=1000, texts_only=True)
        parsed = await client.fhir_observation_resources(organization_id=20003, count=1000)
    assert texts.items == [compact(r) for r in RESOURCES]
    assert (texts.count, texts.next, texts.page, texts.page_size, texts.page_count) == (5, "http://jhe.test/n", 2,
                                                                                       1000, 1)
    assert parsed.items == RESOURCES
    assert sorted(fake.requests[0].url.params.multi_items()) == sorted([
        ("patient.organization", "20003"),
        ("patient._has:Group:member:_id", "30001"),
        ("patient", "40001"),
        ("code", "https://w3id.org/openmhealth|omh:heart-rate:2.0"),
        ("date", "ge2026-01-01"),
        ("date", "le2026-03-01"),
        ("_count", "1000"),
        ("_page", "2"),
    ])


async def test_a_fhir_page_as_texts_reads_the_drf_envelope_and_an_unreadable_body_as_empty():
    drf = {"count": 2, "next": None, "previous": None, "results": [{"resource": r} for r in RESOURCES]}
    fake = FakeJhe().on("GET", "/fhir/r5/Observation", Response(200, json=drf), Response(200, text="<html>"))
    async with make_client(fake, generation=Generation.LEGACY) as client:
        page = await client.fhir_observation_resources(patient_id=40001, texts_only=True)
        empty = await client.fhir_observation_resources(patient_id=40001, texts_only=True)
    assert (page.items, page.count, page.next) == ([compact(r) for r in RESOURCES], 2, None)
    assert (empty.items, empty.count, empty.next) == ([], 0, None)


async def test_a_fhir_page_as_texts_refuses_what_the_server_cannot_filter():
    fake = FakeJhe()
    async with make_client(fake, generation=Generation.LEGACY) as client:
        with pytest.raises(InvalidInput, match="one patient at a time"):
            await client.fhir_observation_resources(organization_id=20003)
        with pytest.raises(InvalidInput, match="by date"):
            await client.fhir_observation_resources(patient_id=40001, date_ge=date(2026, 1, 1))
    assert fake.requests == []


# --- the session's auth ---------------------------------------------------------------------------


async def test_new_auth_signs_every_following_request():
    fake = FakeJhe().json("GET", "/api/v1/users/profile", {"id": 1})
    async with make_client(fake) as client:
        await client.profile()
        client.use_auth(BearerAuth("n3w"))
        assert client.auth.token == "n3w"
        await client.profile()
    assert [r.headers.get("authorization") for r in fake.requests] == ["Bearer t0ken", "Bearer n3w"]


async def test_the_sessions_auth_is_what_signs_its_requests():
    fake = FakeJhe().json("GET", "/api/v1/users/profile", {"id": 1})
    session = ApiSession("http://jhe.test", BearerAuth("old"), transport=MockTransport(fake), timeout=5,
                         max_concurrency=1, retry=RetryPolicy(sleep=no_sleep), verify=True)
    session.auth = BearerAuth("n3w")
    await session.send("GET", "/api/v1/users/profile", doing="loading your profile")
    await session.aclose()
    assert fake.requests[0].headers["authorization"] == "Bearer n3w"
