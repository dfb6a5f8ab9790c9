"""Property: whatever is sent to whichever route, the answer is never a 5xx and is always JSON
(except the pages that are not JSON by design: the login page, the settings script, redirects
and 204s)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jhe_tui.backend import DemoBackend
from jhe_tui.backend.app import ROUTERS

IDS = st.sampled_from([0, 1, 10001, 10005, 20001, 20003, 20004, 20007, 30001, 30002, 30004, 40001, 40002, 40030,
                       40050, 40060, 50001, 60001, 60002, 70001, 999999, 2**62])
# Ids that exist, per path placeholder, so most requests get past the lookup to the real work.
SLOT_IDS = {
    "organization_id": st.sampled_from([0, 20001, 20003, 20004, 20007]),
    "study_id": st.sampled_from([30001, 30002, 30003, 30004]),
    "patient_id": st.integers(min_value=40001, max_value=40062),
    "observation_id": st.integers(min_value=60001, max_value=61000),
    "key_id": st.sampled_from([1, 2]),
}
WEIRD = st.sampled_from(["", "abc", "-1", "0", "1e3", "9" * 30, "true", "null", "ge2026-01-01", "le2026-13-40",
                         "https://w3id.org/openmhealth|omh:heart-rate:2.0", "|", "Patient/40001", "%", "\u00e9\u2603",
                         "40001,40002", " 20003 ", "1000", "5000", "count", "john.smith@example.com"])
QUERY_NAMES = st.sampled_from([
    "organization_id", "organizationId", "study_id", "studyId", "patient_id", "patientId", "observation_id", "page",
    "page_size", "pageSize", "_count", "_page", "_summary", "patient", "patient._has:Group:member:_id",
    "patient.organization", "code", "date", "email", "send_email", "sendEmail", "part_of", "partOf",
    "patient_identifier_value", "client_id", "redirect_uri", "response_type", "code_challenge",
    "code_challenge_method", "scope", "state", "foo", "",
])
BODY_KEYS = st.sampled_from([
    "telecomEmail", "telecom_email", "nameFamily", "nameGiven", "birthDate", "telecomPhone", "identifier",
    "organizationId", "organization_id", "patientIds", "patient_ids", "studyScopeConsents", "studyId",
    "scopeConsents", "codingSystem", "codingCode", "consented", "jheUserId", "organizationPartitionerRole",
    "grant_type", "code", "refresh_token", "token", "Group", "value2", "",
])
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
           | st.text(max_size=30) | IDS | WEIRD | st.sampled_from(["\ud800", "a\udfffb", "\x00", "line\nbreak"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(BODY_KEYS | st.text(max_size=8), inner, max_size=5), max_leaves=25)


def mostly(valid: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` about four times in five."""
    return st.integers(min_value=0, max_value=4).flatmap(lambda n: other if n == 0 else valid)


NAMES = st.text(min_size=1, max_size=20)
PATIENTS = st.integers(min_value=40001, max_value=40062)
PATIENT = st.fixed_dictionaries({
    "telecomEmail": mostly(st.emails(), WEIRD), "nameFamily": mostly(NAMES, SCALARS),
    "nameGiven": mostly(NAMES, SCALARS), "birthDate": mostly(st.dates(max_value=dt.date(2020, 1, 1)).map(str), WEIRD),
    "organizationId": mostly(st.sampled_from([20003, 20004]), IDS | SCALARS)})
ENROLMENT = st.fixed_dictionaries({"patientIds": mostly(st.lists(mostly(PATIENTS, IDS | SCALARS), min_size=1,
                                                                   max_size=5), SCALARS)})
SCOPE = st.fixed_dictionaries({
    "codingSystem": mostly(st.just("https://w3id.org/openmhealth"), SCALARS),
    "codingCode": mostly(st.sampled_from(["omh:blood-glucose:4.0", "omh:heart-rate:2.0", "omh:blood-pressure:4.0",
                                          "omh:step-count:3.0"]), SCALARS),
    "consented": mostly(st.booleans(), SCALARS)})
STUDY_SCOPES = st.fixed_dictionaries({"studyId": mostly(st.sampled_from([30001, 30002, 30003]), IDS | SCALARS),
                                      "scopeConsents": mostly(st.lists(SCOPE, min_size=1, max_size=3), SCALARS)})
CONSENTS = st.fixed_dictionaries({"studyScopeConsents": mostly(st.lists(STUDY_SCOPES, min_size=1, max_size=3),
                                                               SCALARS)})
MEMBER = st.fixed_dictionaries({"jheUserId": st.sampled_from([10001, 10002, 10005]) | IDS | SCALARS,
                                "organizationPartitionerRole": st.sampled_from(["member", "viewer"]) | WEIRD})
TOKEN_FORM = st.fixed_dictionaries({
    "grant_type": st.sampled_from(["authorization_code", "refresh_token", "password"]) | WEIRD,
    "client_id": st.sampled_from(["jhe-tui", "jhe-demo-console"]) | WEIRD,
    "code": WEIRD, "refresh_token": WEIRD, "redirect_uri": WEIRD, "code_verifier": WEIRD})
BODIES = st.one_of(
    st.none(),
    JSON.map(lambda value: ("json", value)),
    st.binary(max_size=40).map(lambda raw: ("raw", raw)),
    st.dictionaries(QUERY_NAMES | BODY_KEYS, st.text(max_size=20) | WEIRD, max_size=6).map(lambda d: ("form", d)),
)
# Bodies shaped for one route, so fuzzing also reaches the code behind the validation.
ROUTE_BODIES = {
    "/api/v1/patients": PATIENT.map(lambda v: ("json", v)),
    "/api/v1/patients/{patient_id:id}": PATIENT.map(lambda v: ("json", v)),
    "/api/v1/studies/{study_id:id}/patients": ENROLMENT.map(lambda v: ("json", v)),
    "/api/v1/patients/{patient_id:id}/consents": CONSENTS.map(lambda v: ("json", v)),
    "/api/v1/organizations/{organization_id:id}/user": MEMBER.map(lambda v: ("json", v)),
    "/api/v1/organizations/{organization_id:id}/remove_user": MEMBER.map(lambda v: ("json", v)),
    "/o/token/": TOKEN_FORM.map(lambda v: ("form", v)),
    "/o/revoke_token/": TOKEN_FORM.map(lambda v: ("form", {"token": v["code"]})),
}
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
ROLES = st.sampled_from(["manager", "manager", "manager", "member", "member", "viewer", None, "bad"])
NOT_JSON = re.compile(r"^/(o/authorize/|portal/settings\.js|common/server-settings\.js|auth/callback/?)$")


ENDPOINTS = sorted((route.path, method) for router in ROUTERS for route in router.routes for method in route.methods)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    backend = DemoBackend(Path(tmp_path_factory.mktemp("fuzz")) / "demo")
    runner = asyncio.Runner()
    client = runner.run(_client(backend))
    yield backend, runner, client
    runner.run(client.aclose())
    runner.close()


async def _client(backend: DemoBackend) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url=backend.site_url)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, tuple | None]:
    """(method, path, body): mostly a real endpoint with plausible ids and body, sometimes anything."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(METHODS), "/api/v1/" + quote(draw(st.text(min_size=1, max_size=20)), safe="/:?=&"), draw(BODIES)
    template, method = draw(st.sampled_from(ENDPOINTS))
    body = draw(ROUTE_BODIES[template] if template in ROUTE_BODIES and draw(st.booleans()) else BODIES)
    if draw(st.integers(min_value=0, max_value=7)) == 0:
        method = draw(METHODS)

    def fill(match: re.Match) -> str:
        slot = match.group(1)
        return str(draw(SLOT_IDS[slot] if draw(st.integers(0, 5)) else IDS))

    return method, re.sub(r"\{(\w+):id\}", fill, template), body


@settings(max_examples=2000, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(
    request=requests(),
    query=st.lists(st.tuples(QUERY_NAMES, WEIRD | IDS.map(str) | st.text(max_size=10)), max_size=5)
    | st.sampled_from([[("organization_id", "20003")], [("organizationId", "20004"), ("send_email", "true")]]),
    role=ROLES,
)
def test_no_route_ever_fails_with_a_5xx_or_answers_non_json(fuzz_target, request, query, role) -> None:
    backend, runner, client = fuzz_target
    method, path, body = request
    headers = {}
    if role == "bad":
        headers["Authorization"] = "Bearer not-a-token"
    elif role:
        headers["Authorization"] = f"Bearer {backend.token_for(role)}"
    kwargs: dict = {"params": query, "headers": headers}
    if body is not None:
        kind, value = body
        if kind == "json":
            kwargs["content"] = json.dumps(value)
            headers["Content-Type"] = "application/json"
        elif kind == "raw":
            kwargs["content"] = value
        else:
            kwargs["data"] = value
    response = runner.run(client.request(method, path, **kwargs))
    assert response.status_code < 500, (method, path, query, body, response.text)
    if response.status_code in (204, 302) or (response.status_code == 200 and NOT_JSON.match(response.url.path)):
        return
    assert response.headers["content-type"].startswith(("application/json", "application/fhir+json")), response.text
    json.loads(response.content)


def test_every_route_is_fuzzed() -> None:
    """The route list the fuzzer draws from covers every resource of the backend."""
    templates = {path for path, _ in ENDPOINTS}
    for expected in ("/api/v1/patients/{patient_id:id}/consents", "/FHIR/R5/Observation", "/o/token/",
                     "/api/v1/organizations/{organization_id:id}/remove_user", "/health"):
        assert expected in templates
    assert len(templates) >= 35
