"""JheClient behaviour the recordings cannot show: detection, paging, limits, guard rails, adapters."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import pytest
from api_fakes import FakeJhe, make_client, page_json, patient_json

from jhe_tui.api import (
    ASGITransport,
    Conflict,
    Generation,
    InvalidInput,
    JheClient,
    MockTransport,
    NotFound,
    PatientDraft,
    ServerFailure,
)
from jhe_tui.api.generation import ADAPTERS
from jhe_tui.api.models import Identifier
from jhe_tui.api.http import Request, Response
from jhe_tui.api.pages import on_own_origin

# --- generation detection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "generation", "version"),
    [
        (Response(200, json={"status": "ok", "version": "v0.0.13"}), Generation.CURRENT, "v0.0.13"),
        (Response(200, json={"status": "ok", "version": "0.1.0", "demo": True}), Generation.DEMO, "0.1.0"),
        (Response(404, text="<html><title>Page not found at /health</title></html>"), Generation.LEGACY, None),
        (Response(200, text="<html>console</html>", headers={"content-type": "text/html"}), Generation.LEGACY, None),
    ],
)
async def test_generation_is_detected_from_health_once(answer, generation, version):
    fake = FakeJhe().on("GET", "/health", answer)
    async with make_client(fake, generation=None) as client:
        first, second = await asyncio.gather(client.server_info(), client.server_info())
    assert first.generation is generation and first.version == version
    assert second == first and len(fake.sent("GET", "/health")) == 1
    assert first.demo is (generation is Generation.DEMO)
    assert (
        first.describe()
        == {
            Generation.CURRENT: "JHE v0.0.13",
            Generation.DEMO: "demo backend 0.1.0",
            Generation.LEGACY: "JHE before v0.0.13 (the user guide's generation)",
        }[generation]
    )


async def test_given_generation_skips_detection():
    fake = FakeJhe()
    async with make_client(fake, generation=Generation.LEGACY) as client:
        assert (await client.server_info()).generation is Generation.LEGACY
    assert fake.requests == []


async def test_a_failing_health_check_is_reported_not_guessed():
    fake = FakeJhe().on("GET", "/health", Response(500, text="<html>boom</html>"))
    async with make_client(fake, generation=None) as client:
        with pytest.raises(ServerFailure, match="detecting the server version"):
            await client.server_info()


async def test_the_demo_backend_is_reached_in_process_through_asgi():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        body = {"/health": b'{"status":"ok","version":"0.1.0","demo":true}', "/api/v1/users/profile": b'{"id":10002}'}
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body[scope["path"]]})

    async with JheClient("http://demo", "t", transport=ASGITransport(app=app)) as client:
        assert (await client.server_info()).generation is Generation.DEMO
        assert (await client.profile()).id == 10002


@pytest.mark.parametrize("body", ['{"id": "not a number"}', "[]", '"text"'])
async def test_an_unreadable_success_answer_is_a_server_failure_without_its_content(body):
    answer = Response(200, text=body.replace("not a number", "Jane Doe 1975-05-15"))
    fake = FakeJhe().on("GET", "/api/v1/patients/40006", answer)
    async with make_client(fake) as client:
        with pytest.raises(ServerFailure) as caught:
            await client.patient(40006)
    assert caught.value.message == "The server's answer could not be read while loading the patient."
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# --- pages ---------------------------------------------------------------------------------------


async def test_iteration_follows_the_next_links_on_the_clients_own_origin():
    """The server's ``next`` decides the query; its host (here an internal name) does not."""
    pages = {
        "1": page_json([patient_json(1, [7]), patient_json(2, [7])],
                       "http://internal:8000/api/v1/patients?organization_id=7&page_size=1000&page=2", 5),
        "2": page_json([patient_json(3, [7]), patient_json(4, [7])],
                       "http://internal:8000/api/v1/patients?organization_id=7&page_size=1000&page=3", 5),
        "3": page_json([patient_json(5, [7])], None, 5),
    }

    def serve(request: Request) -> Response:
        return Response(200, json=pages[request.url.params.get("page", "1")])

    fake = FakeJhe().on("GET", "/api/v1/patients", serve)
    async with make_client(fake) as client:
        ids = [p.id async for p in client.iter_patients(organization_id=7)]
    assert ids == [1, 2, 3, 4, 5]
    assert [str(r.url) for r in fake.requests] == [
        "http://jhe.test/api/v1/patients?organization_id=7&page_size=1000",
        "http://jhe.test/api/v1/patients?organization_id=7&page_size=1000&page=2",
        "http://jhe.test/api/v1/patients?organization_id=7&page_size=1000&page=3",
    ]


async def test_iteration_stops_when_next_points_back_at_the_same_page():
    again = "http://jhe.test/api/v1/studies?page=2"
    fake = FakeJhe().on("GET", "/api/v1/studies", Response(200, json=page_json([{"id": 1, "name": "S"}], again, 9)))
    async with make_client(fake) as client:
        studies = await client.studies()
    assert [s.id for s in studies] == [1, 1] and len(fake.requests) == 2


async def test_fhir_iteration_follows_the_bundles_next_link():
    def bundle(ids: list[str], next_url: str | None) -> dict:
        links = [{"relation": "next", "url": next_url}] if next_url else []
        return {"resourceType": "Bundle", "type": "searchset", "total": 3, "link": links,
                "entry": [{"resource": fhir_resource(i, "2026-01-01T10:00:00Z")} for i in ids]}

    fake = FakeJhe().on("GET", "/FHIR/R5/Observation",
                        Response(200, json=bundle(["1", "2"], "https://jhe.example.org/FHIR/R5/Observation?_page=2")),
                        Response(200, json=bundle(["3"], None)))
    async with make_client(fake) as client:
        ids = [o.id async for o in client.iter_fhir_observations(study_id=30001)]
    assert ids == ["1", "2", "3"]
    assert str(fake.requests[1].url) == "http://jhe.test/FHIR/R5/Observation?_page=2"


@pytest.mark.parametrize(("link", "base", "url"), [
    ("http://jhe.test/api/v1/patients?page=2", "http://jhe.test/", "http://jhe.test/api/v1/patients?page=2"),
    ("http://10.0.0.5:8000/api/v1/patients?page=2", "https://jhe.example.org/",
     "https://jhe.example.org/api/v1/patients?page=2"),
    ("http://10.0.0.5/api/v1/patients?page=2", "https://example.org/jhe/",
     "https://example.org/jhe/api/v1/patients?page=2"),
    ("https://example.org/jhe/api/v1/patients?page=2", "https://example.org/jhe/",
     "https://example.org/jhe/api/v1/patients?page=2"),
    ("http://example.org/jhe/api/v1/patients?page=2", "https://example.org/jhe/",
     "https://example.org/jhe/api/v1/patients?page=2"),
    ("/api/v1/patients?page=2", "http://jhe.test/", "http://jhe.test/api/v1/patients?page=2"),
])
def test_page_links_are_requested_on_the_clients_own_origin(link, base, url):
    assert on_own_origin(link, base) == url


async def test_a_page_reports_its_position():
    fake = FakeJhe().json("GET", "/api/v1/patients", page_json([patient_json(41, [7])], "next", 45))
    async with make_client(fake) as client:
        page = await client.patients(organization_id=7, page=3, page_size=20)
    assert (page.count, page.page, page.page_size, page.page_count) == (45, 3, 20, 3)
    assert dict(fake.requests[0].url.params) == {"organization_id": "7", "page": "3"}


async def test_empty_organization_list_404_of_v0_0_7_is_an_empty_list():
    fake = FakeJhe().json("GET", "/api/v1/organizations", {"detail": "No results found"}, status=404)
    async with make_client(fake, generation=Generation.LEGACY) as client:
        assert await client.my_organizations() == []


async def test_other_404s_on_lists_still_raise():
    fake = FakeJhe().json("GET", "/api/v1/organizations", {"detail": "Invalid page."}, status=404)
    async with make_client(fake) as client:
        with pytest.raises(NotFound):
            await client.organizations()


async def test_my_organizations_keeps_those_with_a_role():
    orgs = [
        {"id": 0, "name": "ROOT", "type": "root", "partOf": None, "currentUserRole": None},
        {"id": 20003, "name": "Lab", "type": "edu", "partOf": 20002, "currentUserRole": "member"},
    ]
    fake = FakeJhe().json("GET", "/api/v1/organizations", page_json(orgs))
    async with make_client(fake) as client:
        assert [o.id for o in await client.my_organizations()] == [20003]


async def test_organization_tree_and_members():
    tree = {"id": 1, "name": "A", "children": [{"id": 2, "name": "B", "children": [{"id": 3, "name": "C"}]}]}
    members = [{"id": 10002, "email": "m@x.org", "firstName": "Mary", "lastName": "Lewis", "role": "manager"}]
    fake = (
        FakeJhe()
        .json("GET", "/api/v1/organizations/1/tree", tree)
        .json("GET", "/api/v1/organizations/1/users", members)
    )
    async with make_client(fake) as client:
        root = await client.organization_tree(1)
        people = await client.organization_members(1)
    assert root.children[0].children[0].name == "C"
    assert (people[0].display_name, people[0].role) == ("Mary Lewis", "manager")


async def test_study_sub_resources_and_scopes():
    bp = {
        "id": 50002,
        "codingSystem": "https://w3id.org/openmhealth",
        "codingCode": "omh:blood-pressure:4.0",
        "text": "BP",
    }
    requests = [{"id": 1, "study": {"id": 30001, "organization": 20003}, "scopeCode": bp}]
    sources = [
        {"id": 1, "study": {"id": 30001}, "dataSource": {"id": 70001, "name": "CareX", "type": "personal_device"}}
    ]
    fake = (
        FakeJhe()
        .json("GET", "/api/v1/studies/30001/scope_requests", requests)
        .json("GET", "/api/v1/studies/30001/data_sources", sources)
        .json("GET", "/api/v1/data_sources/all_scopes", [bp])
    )
    async with make_client(fake) as client:
        (request,) = await client.study_scope_requests(30001)
        (source,) = await client.study_data_sources(30001)
        concepts = await client.codeable_concepts()
    assert (request.study_id, request.scope_code.coding_code) == (30001, "omh:blood-pressure:4.0")
    assert source.name == "CareX" and concepts[0].display == "BP"


# --- limits, auth and logs -----------------------------------------------------------------------


async def test_no_more_than_max_concurrency_requests_are_in_flight():
    in_flight = peak = 0

    async def slow(request: Request) -> Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return Response(200, json=patient_json(int(request.url.path.rsplit("/", 1)[1]), [7]))

    client = JheClient(
        "http://jhe.test", "t", transport=MockTransport(slow), generation=Generation.CURRENT, max_concurrency=2
    )
    async with client:
        patients = await asyncio.gather(*(client.patient(i) for i in range(1, 9)))
    assert [p.id for p in patients] == list(range(1, 9))
    assert peak == 2


async def test_bearer_token_is_sent_and_replaceable():
    fake = FakeJhe().json("GET", "/api/v1/users/profile", {"id": 1})
    async with make_client(fake) as client:
        await client.profile()
        client.auth.token = "fresh"
        await client.profile()
    assert [r.headers["authorization"] for r in fake.requests] == ["Bearer t0ken", "Bearer fresh"]


async def test_no_token_sends_no_authorization_header():
    fake = FakeJhe().json("GET", "/api/v1/users/profile", {"id": 1})
    async with JheClient("http://jhe.test", transport=MockTransport(fake), generation=Generation.CURRENT) as client:
        await client.profile()
    assert "authorization" not in fake.requests[0].headers


async def test_logs_hold_method_template_and_status_only(caplog):
    fake = FakeJhe().json("GET", "/api/v1/patients/global_lookup", [patient_json(40006, [7])])
    fake.json("GET", "/api/v1/patients/40006/consents", {"detail": "No Patient matches the given query."}, status=404)
    caplog.set_level(logging.DEBUG)
    async with make_client(fake) as client:
        await client.find_patient_by_email("john.smith@example.com")
        with pytest.raises(NotFound):
            await client.consents(40006)
    lines = [r.getMessage() for r in caplog.records if r.name == "jhe_tui.api"]
    assert lines == ["GET /api/v1/patients/global_lookup 200", "GET /api/v1/patients/{id}/consents 404"]
    everything = caplog.text
    assert "example.com" not in everything and "t0ken" not in everything and "40006" not in everything


# --- patients ------------------------------------------------------------------------------------

DRAFT = PatientDraft(
    email="john.smith@example.com", family="Smith", given="John", birth_date=date(1980, 1, 1), external_id="MRN-1"
)


async def test_create_patient_posts_after_an_empty_lookup_with_the_generations_identifier_shape():
    for generation, identifier in [
        (Generation.LEGACY, {"identifier": "MRN-1"}),
        (Generation.DEMO, {"identifier": "MRN-1"}),
        (Generation.CURRENT, {"identifiers": [{"system": "urn:jhe-tui:external-id", "value": "MRN-1"}]}),
    ]:
        fake = FakeJhe().json("GET", "/api/v1/patients/global_lookup", [])
        fake.json(
            "POST",
            "/api/v1/patients",
            patient_json(40006, [20003]),
            status=200 if generation is Generation.LEGACY else 201,
        )
        async with make_client(fake, generation=generation) as client:
            result = await client.create_patient(20003, DRAFT)
        assert (result.action, result.patient.id) == ("created", 40006)
        assert fake.body("POST", "/api/v1/patients") == {
            "telecomEmail": "john.smith@example.com",
            "nameFamily": "Smith",
            "nameGiven": "John",
            "birthDate": "1980-01-01",
            "organizationId": 20003,
            **identifier,
        }


async def test_create_patient_refuses_a_duplicate_in_the_same_organization_without_posting():
    fake = FakeJhe().json("GET", "/api/v1/patients/global_lookup", [patient_json(40006, [20003])])
    async with make_client(fake) as client:
        with pytest.raises(Conflict) as caught:
            await client.create_patient(20003, DRAFT)
    assert caught.value.message == (
        "A patient with this e-mail address already exists in organization 20003 (patient 40006)."
    )
    assert fake.sent("POST", "/api/v1/patients") == []


async def test_create_patient_adds_a_patient_known_elsewhere():
    fake = FakeJhe().json("GET", "/api/v1/patients/global_lookup", [patient_json(40006, [20006])])
    fake.json("PATCH", "/api/v1/patients/40006/global_add_organization", patient_json(40006, [20006, 20003]))
    async with make_client(fake) as client:
        result = await client.create_patient(20003, DRAFT)
    assert result.action == "added" and result.patient.organization_ids == [20006, 20003]
    assert dict(fake.requests[-1].url.params) == {"organization_id": "20003"}
    assert fake.sent("POST", "/api/v1/patients") == []


@pytest.mark.parametrize(
    ("fields", "generation", "field"),
    [
        ({"email": "not-an-email", "birth_date": "1980-01-01"}, Generation.CURRENT, "email"),
        ({"email": "", "birth_date": "1980-01-01"}, Generation.CURRENT, "email"),
        ({"email": "a@b.org"}, Generation.LEGACY, "birth_date"),
        ({"email": "a@b.org", "birth_date": "1980-13-45"}, Generation.CURRENT, "birth_date"),
        ({"email": "a@b.org", "foo": 1}, Generation.CURRENT, "foo"),
    ],
)
async def test_create_patient_refuses_bad_input_before_any_request(fields, generation, field):
    fake = FakeJhe()
    async with make_client(fake, generation=generation) as client:
        with pytest.raises(InvalidInput) as caught:
            await client.create_patient(20003, fields)
    assert list(caught.value.field_errors) == [field]
    assert fake.requests == []


async def test_update_patient_always_names_the_organization_and_never_sends_the_email():
    fake = FakeJhe().json("PATCH", "/api/v1/patients/40006", patient_json(40006, [20003], telecomPhone=None))
    async with make_client(fake, generation=Generation.LEGACY) as client:
        await client.update_patient(
            40006, 20003, {"email": "new@example.com", "given": "Jon", "phone": None, "external_id": "X"}
        )
    request = fake.requests[0]
    assert dict(request.url.params) == {"organization_id": "20003"}
    assert fake.body("PATCH", "/api/v1/patients/40006") == {"nameGiven": "Jon", "telecomPhone": None, "identifier": "X"}


async def test_update_patient_from_a_draft_sends_its_fields_but_not_the_email():
    fake = FakeJhe().json("PATCH", "/api/v1/patients/40006", patient_json(40006, [20003]))
    async with make_client(fake) as client:
        await client.update_patient(40006, 20003, PatientDraft(email="x@y.org", family="Doe", phone="555"))
    assert fake.body("PATCH", "/api/v1/patients/40006") == {"nameFamily": "Doe", "telecomPhone": "555"}


async def test_update_patient_with_nothing_to_change_only_reads():
    fake = FakeJhe().json("GET", "/api/v1/patients/40006", patient_json(40006, [20003]))
    async with make_client(fake) as client:
        assert (await client.update_patient(40006, 20003, {"email": "x@y.org"})).id == 40006
    assert [r.method for r in fake.requests] == ["GET"]


async def test_update_patient_with_a_bad_date_is_refused_with_field_errors():
    fake = FakeJhe()
    async with make_client(fake) as client:
        with pytest.raises(InvalidInput) as caught:
            await client.update_patient(40006, 20003, {"birth_date": "01/01/1980"})
    assert list(caught.value.field_errors) == ["birth_date"] and fake.requests == []


TWO_IDS = [Identifier(system="urn:mrn", value="MRN-9"), Identifier(system="urn:jhe-tui:external-id", value="B-2")]


async def test_several_external_ids_keep_their_systems_on_a_server_that_keeps_a_list():
    fake = FakeJhe().json("PATCH", "/api/v1/patients/40006", patient_json(40006, [20003]))
    async with make_client(fake, generation=Generation.CURRENT) as client:
        await client.update_patient(40006, 20003, {"identifiers": TWO_IDS})
    assert fake.body("PATCH", "/api/v1/patients/40006") == {"identifiers": [
        {"system": "urn:mrn", "value": "MRN-9"}, {"system": "urn:jhe-tui:external-id", "value": "B-2"}]}


@pytest.mark.parametrize("generation", [Generation.LEGACY, Generation.DEMO])
async def test_a_second_external_id_is_refused_where_the_server_keeps_one_instead_of_dropped(generation):
    fake = FakeJhe()
    async with make_client(fake, generation=generation) as client:
        with pytest.raises(InvalidInput) as updating:
            await client.update_patient(40006, 20003, {"identifiers": TWO_IDS})
        with pytest.raises(InvalidInput) as creating:
            await client.create_patient(20003, DRAFT.model_copy(update={"identifiers": TWO_IDS}))
    for caught in (updating, creating):
        assert caught.value.field_errors == {
            "external_id": ["External id: this server keeps one per patient; enter only one."]}
    assert fake.requests == []


@pytest.mark.parametrize(("identifiers", "said"), [
    ([Identifier(system="urn:mrn", value="A"), Identifier(system="urn:mrn", value="A")], "External id A is entered twice."),
    ([Identifier(system="urn:mrn", value="")], "External id urn:mrn| has no value after the |."),
])
async def test_repeated_or_empty_external_ids_are_refused_before_sending(identifiers, said):
    fake = FakeJhe()
    async with make_client(fake, generation=Generation.CURRENT) as client:
        with pytest.raises(InvalidInput) as caught:
            await client.update_patient(40006, 20003, {"identifiers": identifiers})
    assert caught.value.field_errors == {"external_id": [said]} and fake.requests == []


async def test_adding_to_an_organization_the_patient_is_already_in_is_refused():
    fake = FakeJhe().json("GET", "/api/v1/patients/40006", patient_json(40006, [20006]))
    async with make_client(fake, generation=Generation.LEGACY) as client:
        with pytest.raises(Conflict, match="Patient 40006 is already in organization 20006."):
            await client.add_patient_to_organization(40006, 20006)
    assert len(fake.requests) == 1


async def test_remove_from_organization_accepts_200_with_body_and_204():
    for answer in (Response(200, json={"success": True}), Response(204)):
        fake = FakeJhe().on("DELETE", "/api/v1/patients/40006", answer)
        async with make_client(fake) as client:
            assert await client.remove_patient_from_organization(40006, 20003) is None
        assert dict(fake.requests[0].url.params) == {"organization_id": "20003"}


# --- enrolment -----------------------------------------------------------------------------------

STUDY = {"id": 30001, "name": "BP", "organization": {"id": 20003, "name": "Demo Lab", "type": "laboratory"}}


def enrolment_fake(patients: dict[int, list[int]], enrolled: list[int]) -> FakeJhe:
    fake = FakeJhe().json("GET", "/api/v1/studies/30001", STUDY)
    for patient_id, orgs in patients.items():
        fake.json("GET", f"/api/v1/patients/{patient_id}", patient_json(patient_id, orgs))
    fake.json("GET", "/api/v1/patients", page_json([patient_json(i, [20003]) for i in enrolled]))
    return fake.json("POST", "/api/v1/studies/30001/patients", {"studyPatients": []}, status=201)


async def test_enroll_refuses_patients_outside_the_studys_organization_before_calling():
    fake = enrolment_fake({40001: [20003], 40002: [20006]}, [])
    async with make_client(fake) as client:
        with pytest.raises(InvalidInput) as caught:
            await client.enroll_patients(30001, [40001, 40002])
    assert caught.value.message == "Patient 40002 is not in Demo Lab, the organization of study 30001."
    assert fake.sent("POST", "/api/v1/studies/30001/patients") == []

    fake = enrolment_fake({40002: [20006], 40003: []}, [])
    async with make_client(fake) as client:
        with pytest.raises(InvalidInput, match="Patients 40002, 40003 are not in Demo Lab"):
            await client.enroll_patients(30001, [40002, 40003])


async def test_enroll_skips_patients_already_enrolled_checked_through_the_patient_list():
    fake = enrolment_fake({40001: [20003], 40002: [20003]}, [40001])
    async with make_client(fake, generation=Generation.LEGACY) as client:
        result = await client.enroll_patients(30001, [40001, 40002, 40002])
    assert (result.enrolled, result.already_enrolled) == ([40002], [40001])
    assert fake.body("POST", "/api/v1/studies/30001/patients") == {"patient_ids": [40002]}
    (listing,) = fake.sent("GET", "/api/v1/patients")
    assert dict(listing.url.params) == {"organization_id": "20003", "study_id": "30001", "page_size": "1000"}
    assert fake.sent("GET", "/api/v1/studies/30001/patients") == []  # a 500 at v0.0.7


async def test_enroll_nothing_sends_nothing():
    fake = FakeJhe()
    async with make_client(fake) as client:
        assert (await client.enroll_patients(30001, [])).enrolled == []
        await client.unenroll_patients(30001, [])
    assert fake.requests == []


# --- invitations ---------------------------------------------------------------------------------

CLIENTS = [
    {"id": 1, "name": "CareX", "clientId": "abc", "invitationUrl": "https://carex.ai/invitation/CODE"},
    {
        "id": 2,
        "name": "CommonHealth",
        "clientId": "def",
        "invitationUrl": "https://commonhealth.tcp.org?invitation=CODE",
    },
    {"id": 3, "name": "Patient Access", "clientId": "ghi", "invitationUrl": None},
]
INVITATION = {
    "id": 101,
    "patientId": 40006,
    "client_id": 2,
    "status": "issued",
    "invitationLink": "https://x/?i=h_TOKEN",
}


async def test_current_invitation_posts_snake_case_client_id_for_the_only_usable_app():
    fake = FakeJhe().json("GET", "/api/v1/patients/40006/consolidated_clients", CLIENTS[1:])
    fake.json("POST", "/api/v1/invitation", INVITATION, status=201)
    async with make_client(fake) as client:
        invitation = await client.invitation_link(40006, send_email=True)
    assert fake.body("POST", "/api/v1/invitation") == {"patient_id": 40006, "client_id": 2, "send_email": True}
    assert (invitation.link, invitation.client_name, invitation.sent_by_email) == (
        "https://x/?i=h_TOKEN",
        "CommonHealth",
        True,
    )


async def test_current_invitation_with_several_apps_needs_a_choice():
    fake = FakeJhe().json("GET", "/api/v1/patients/40006/consolidated_clients", CLIENTS)
    async with make_client(fake) as client:
        with pytest.raises(InvalidInput) as caught:
            await client.invitation_link(40006)
        assert [c.name for c in await client.invitation_clients(40006)] == ["CareX", "CommonHealth", "Patient Access"]
    assert (
        caught.value.message
        == "Patient 40006 can be invited to several apps (CareX (id 1), CommonHealth (id 2)); choose one."
    )
    assert fake.sent("POST", "/api/v1/invitation") == []


async def test_current_invitation_without_apps_explains_what_is_missing():
    fake = FakeJhe().json("GET", "/api/v1/patients/40006/consolidated_clients", [])
    async with make_client(fake) as client:
        with pytest.raises(InvalidInput, match="No app with an invitation address"):
            await client.invitation_link(40006)


async def test_chosen_client_skips_the_lookup():
    fake = FakeJhe().json("POST", "/api/v1/invitation", INVITATION, status=201)
    async with make_client(fake) as client:
        invitation = await client.invitation_link(40006, client_id=2)
    assert invitation.client_id == 2 and len(fake.requests) == 1


@pytest.mark.parametrize("generation", [Generation.LEGACY, Generation.DEMO])
async def test_legacy_and_demo_invitation_is_a_get_with_send_email_only_when_asked(generation):
    fake = FakeJhe().json("GET", "/api/v1/patients/40006/invitation_link", {"invitationLink": "https://l/x%7Cabc"})
    async with make_client(fake, generation=generation) as client:
        quiet = await client.invitation_link(40006)
        mailed = await client.invitation_link(40006, send_email=True)
        assert await client.invitation_clients(40006) == []
    assert [dict(r.url.params) for r in fake.requests] == [{}, {"send_email": "true"}]
    assert (quiet.sent_by_email, mailed.sent_by_email, mailed.link) == (False, True, "https://l/x%7Cabc")


# --- consents ------------------------------------------------------------------------------------

BP = {"id": 50002, "codingSystem": "https://w3id.org/openmhealth", "codingCode": "omh:blood-pressure:4.0", "text": "BP"}


def consents_json(consented: bool | None) -> dict:
    scope = {"code": BP, "consented": consented, "consentedTime": None if consented is None else "2026-01-01T00:00:00Z"}
    study = {"id": 30002, "name": "BP", "organization": {"id": 20003, "name": "Lab"}}
    pending = [{**study, "pendingScopeConsents": [scope]}] if consented is None else []
    answered = [{**study, "scopeConsents": [scope]}] if consented is not None else []
    return {
        "patient": patient_json(40006, [20003]),
        "consolidatedConsentedScopes": [],
        "studiesPendingConsent": pending,
        "studies": answered,
    }


def written(consented: bool) -> dict:
    scope = {
        "id": 9,
        "studyPatient": {"id": 1},
        "scopeCode": BP,
        "consented": consented,
        "consentedTime": "2026-01-02T00:00:00Z",
    }
    return {"studyScopeConsents": [scope]}


PATH = "/api/v1/patients/40006/consents"
CHANGE = {
    "studyScopeConsents": [
        {
            "studyId": 30002,
            "scopeConsents": [{"codingSystem": BP["codingSystem"], "codingCode": BP["codingCode"], "consented": False}],
        }
    ]
}


async def test_legacy_revoke_deletes_ignoring_its_500_then_posts():
    fake = FakeJhe().json("GET", PATH, consents_json(True))
    fake.on("DELETE", PATH, Response(500, text="<html>AttributeError</html>"))
    fake.json("POST", PATH, written(False))
    async with make_client(fake, generation=Generation.LEGACY) as client:
        result = await client.revoke_consent(40006, 30002, "omh:blood-pressure:4.0")
    assert result.consented is False
    assert [r.method for r in fake.requests] == ["GET", "DELETE", "POST"]
    assert fake.body("POST", PATH) == CHANGE


@pytest.mark.parametrize("generation", [Generation.CURRENT, Generation.DEMO])
async def test_current_revoke_patches(generation):
    fake = FakeJhe().json("GET", PATH, consents_json(True)).json("PATCH", PATH, written(False))
    async with make_client(fake, generation=generation) as client:
        result = await client.set_consent(40006, 30002, (BP["codingSystem"], BP["codingCode"]), False)
    assert result.consented is False and [r.method for r in fake.requests] == ["GET", "PATCH"]
    assert fake.body("PATCH", PATH) == CHANGE


async def test_first_answer_posts_and_an_unchanged_answer_writes_nothing():
    fake = FakeJhe().json("GET", PATH, consents_json(None)).json("POST", PATH, written(True), status=201)
    async with make_client(fake) as client:
        assert (await client.grant_consent(40006, 30002, f"{BP['codingSystem']}|{BP['codingCode']}")).consented is True
    fake = FakeJhe().json("GET", PATH, consents_json(True))
    async with make_client(fake) as client:
        assert (await client.grant_consent(40006, 30002, "omh:blood-pressure:4.0")).consented is True
    assert [r.method for r in fake.requests] == ["GET"]


async def test_consent_for_an_unenrolled_study_or_unrequested_scope_is_refused():
    fake = FakeJhe().json("GET", PATH, consents_json(None))
    async with make_client(fake) as client:
        with pytest.raises(InvalidInput, match="Patient 40006 is not enrolled in study 30001"):
            await client.grant_consent(40006, 30001, "omh:blood-pressure:4.0")
        with pytest.raises(InvalidInput, match="Study 30002 does not request the data type omh:heart-rate:2.0"):
            await client.grant_consent(40006, 30002, "omh:heart-rate:2.0")
    assert {r.method for r in fake.requests} == {"GET"}


# --- observations and FHIR -----------------------------------------------------------------------


def fhir_resource(obs_id: str, when: str | None) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "subject": {"reference": "Patient/1"},
        "code": {"coding": [{"system": "https://w3id.org/openmhealth", "code": "omh:heart-rate:2.0"}]},
    }
    return {**resource, "effectiveDateTime": when} if when else resource


async def test_legacy_fhir_needs_a_patient_and_filters_dates_locally():
    drf = {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {"resource": fhir_resource("1", "2026-01-01T10:00:00Z")},
            {"resource": fhir_resource("2", "2026-02-01T10:00:00Z")},
            {"resource": fhir_resource("3", "2026-03-01T10:00:00Z")},
        ],
    }
    fake = FakeJhe().json("GET", "/fhir/r5/Observation", drf)
    async with make_client(fake, generation=Generation.LEGACY) as client:
        with pytest.raises(InvalidInput, match="one patient at a time"):
            await client.fhir_observations(study_id=30001)
        page = await client.fhir_observations(patient_id=1, date_ge=date(2026, 1, 15), date_le=date(2026, 2, 1))
        streamed = [o.id async for o in client.iter_fhir_observations(patient_id=1, date_ge=date(2026, 2, 2))]
    assert [o.id for o in page.items] == ["2"] and page.count == 3
    assert streamed == ["3"]
    assert [dict(r.url.params) for r in fake.requests] == [
        {"patient": "1", "_count": "100"},
        {"patient": "1", "_count": "1000"},
    ]


@pytest.mark.parametrize(("generation", "base"), [(Generation.CURRENT, "/FHIR/R5"), (Generation.DEMO, "/fhir/r5")])
async def test_current_fhir_sends_the_date_range_and_reads_bundles(generation, base):
    bundle = {
        "resourceType": "Bundle",
        "total": 1,
        "entry": [{"resource": fhir_resource("7", "2026-02-01T00:00:00Z")}],
        "link": [{"relation": "self", "url": "x"}],
    }
    fake = FakeJhe().json("GET", f"{base}/Observation", bundle)
    async with make_client(fake, generation=generation) as client:
        page = await client.fhir_observations(
            study_id=30001,
            code="omh:heart-rate:2.0",
            date_ge=date(2026, 1, 1),
            date_le=date(2026, 3, 1),
            page=2,
            count=50,
        )
    assert [o.id for o in page.items] == ["7"] and page.next is None
    assert fake.requests[0].url.params.multi_items() == [
        ("patient._has:Group:member:_id", "30001"),
        ("code", "https://w3id.org/openmhealth|omh:heart-rate:2.0"),
        ("date", "ge2026-01-01"),
        ("date", "le2026-03-01"),
        ("_count", "50"),
        ("_page", "2"),
    ]


async def test_observation_list_keeps_an_unreadable_payload():
    item = {"id": 60001, "codingCode": "omh:heart-rate:2.0", "valueAttachmentData": "placeholder"}
    fake = FakeJhe().json("GET", "/api/v1/observations", page_json([item]))
    async with make_client(fake, generation=Generation.LEGACY) as client:
        (observation,) = (await client.observations(organization_id=1)).items
    assert observation.payload == "placeholder" and observation.value is None


def test_unknown_query_names_are_refused_for_every_generation():
    for adapter in ADAPTERS.values():
        with pytest.raises(InvalidInput, match="'foo'"):
            adapter.query("patients", {"organization_id": 1, "foo": "bar"})
    with pytest.raises(InvalidInput, match="'date'"):
        ADAPTERS[Generation.LEGACY].query("fhir_observations", {"date": "ge2026-01-01"})
    assert ADAPTERS[Generation.CURRENT].query("patients", {"organization_id": 1, "study_id": None}) == {
        "organization_id": "1"
    }
