"""Turn each recorded exchange into a client call served by that exchange's recorded response.

For every exchange, ``scenario_for`` picks the client method a practitioner's action would use,
with the arguments the recording implies, plus any reads the method's guard rails make first
(answered with data consistent with the recording). Where the client deliberately never sends the
recorded request (a probe with an unknown parameter, a body shape we do not use, a call the guard
rails refuse), the scenario checks the refusal and then sends the raw request through
``JheClient.request`` so the response's error mapping is still exercised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from api_recordings import Exchange, find

from jhe_tui.api import (
    Conflict,
    Forbidden,
    Generation,
    InvalidInput,
    JheClient,
    JheError,
    NotFound,
    ServerFailure,
    Unauthenticated,
)
from jhe_tui.api.http import Response
from jhe_tui.api.models import DEFAULT_IDENTIFIER_SYSTEM
from jhe_tui.api.session import path_template

SAME = object()  # the recorded request body is what the client must send
ORGANIZATION_OF_STUDY = {30001: 20003, 30002: 20003, 30003: 20006, 30004: 20007, 30005: 20008}
ERROR_FOR_STATUS: dict[int, type[JheError]] = {
    400: InvalidInput,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    500: ServerFailure,
}
_WIRE_TO_OURS = {
    "telecomEmail": "email",
    "nameFamily": "family",
    "nameGiven": "given",
    "birthDate": "birth_date",
    "telecomPhone": "phone",
    "identifier": "external_id",
}

Support = dict[tuple[str, str], tuple[int, Any]]


@dataclass
class Scenario:
    call: Callable[[JheClient], Awaitable[Any]]
    check: Callable[[Any], None] | None = None
    support: Support = field(default_factory=dict)
    expected_body: Any = SAME
    error: type[JheError] | None = None  # None: derived from the recorded status
    absorbs_error: bool = False  # the client expects this recorded error and carries on
    # A typed call that must stop before sending the recorded request (guard rail), with its
    # own assertions and its own supporting answers.
    before: Callable[[JheClient], Awaitable[None]] | None = None
    before_support: Support = field(default_factory=dict)

    def expected_error(self, status: int) -> type[JheError] | None:
        if status < 300 or self.absorbs_error:
            return None
        return self.error or ERROR_FOR_STATUS[status]


# Keys JHE's camel-case parser never renames (api-contract §1.2): ``clientId`` stays ``clientId``.
_IGNORED_KEYS = {
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "code_verifier",
}


def _snake(key: str) -> str:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    return key if snake in _IGNORED_KEYS else snake


def snake_keys(value: Any) -> Any:
    """Keys converted camel→snake at every depth, as the server does before reading a body."""
    if isinstance(value, dict):
        return {_snake(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def token_for(actor: str) -> str | None:
    return None if actor == "none" else f"{actor}-token"


class ReplayServer:
    """A MockTransport handler serving one recorded exchange plus the scenario's support answers."""

    def __init__(self, exchange: Exchange, expected_body: Any):
        self.exchange = exchange
        self.expected_body = exchange.request_body if expected_body is SAME else expected_body
        self.support: Support = {}
        self.armed = False
        self.hits = 0
        self.requests: list[tuple[str, str]] = []

    def __call__(self, request):
        ex = self.exchange
        path = request.url.path
        self.requests.append((request.method, path))
        token = token_for(ex.actor)
        assert request.headers.get("authorization") == (f"Bearer {token}" if token else None)
        if request.method == ex.method and path == ex.path and self.hits == 0:
            assert self.armed, f"a guard rail should have stopped before {ex.method} {path}"
            assert sorted(request.url.params.multi_items()) == sorted(ex.query), "query differs from the recording"
            if self.expected_body is not None and not isinstance(self.expected_body, str):
                assert snake_keys(json.loads(request.content)) == snake_keys(self.expected_body)
            self.hits += 1
            headers = {"content-type": ex.content_type} if ex.content_type else {}
            return Response(ex.status, headers=headers, content=ex.body.encode())
        if (request.method, path) in self.support:
            status, payload = self.support[(request.method, path)]
            return Response(status, json=payload)
        raise AssertionError(f"unexpected request {request.method} {path}")


# --- data consistent with the recordings, for the reads guard rails make -------------------------


class World:
    def __init__(self, exchanges: list[Exchange], generation: Generation):
        self.exchanges = exchanges
        self.generation = generation
        listing = find(exchanges, generation, "organizations (guide: verify your role)").json
        self.organizations = {org["id"]: org for org in listing["results"]}

    def recorded(self, label: str) -> Exchange:
        return find(self.exchanges, self.generation, label)

    def organization(self, organization_id: int) -> dict:
        return {**self.organizations[organization_id], "currentUserRole": None}

    def patient(self, patient_id: int, organization_ids: list[int]) -> dict:
        identifiers = {"identifiers": []} if self.generation is Generation.CURRENT else {"identifier": None}
        return {
            "id": patient_id,
            "jheUserId": patient_id - 30000,
            **identifiers,
            "nameFamily": "Replay",
            "nameGiven": "Patient",
            "birthDate": "1980-01-01",
            "organizations": [self.organization(o) for o in organization_ids],
        }

    def study(self, study_id: int) -> dict:
        org = self.organizations[ORGANIZATION_OF_STUDY[study_id]]
        return {
            "id": study_id,
            "name": f"Study {study_id}",
            "description": "",
            "organization": {"id": org["id"], "name": org["name"], "type": org["type"]},
            "iconUrl": None,
        }


def page_of(items: list) -> dict:
    return {"count": len(items), "next": None, "previous": None, "results": items}


# --- checks shared by scenarios ------------------------------------------------------------------


def check_patient(patient: Any, data: dict) -> None:
    assert patient.id == data["id"]
    assert patient.name_family == data["nameFamily"]
    assert patient.name_given == data["nameGiven"]
    assert patient.birth_date == (date.fromisoformat(data["birthDate"]) if data["birthDate"] else None)
    assert patient.telecom_email == data.get("telecomEmail")
    assert patient.organization_ids == [org["id"] for org in data["organizations"]]
    if "identifiers" in data:
        assert [i.value for i in patient.identifiers] == [i["value"] for i in data["identifiers"]]
    else:
        assert patient.external_ids == (data["identifier"] or "")


def check_page_ids(page: Any, data: dict) -> None:
    assert page.count == data["count"]
    assert [item.id for item in page.items] == [item["id"] for item in data["results"]]
    assert page.next == data["next"]


def check_consents(consents: Any, data: dict) -> None:
    assert consents.patient.id == data["patient"]["id"]
    assert [s.id for s in consents.pending] == [s["id"] for s in data["studiesPendingConsent"]]
    assert [s.id for s in consents.answered] == [s["id"] for s in data["studies"]]
    for study, raw in zip(consents.answered, data["studies"], strict=True):
        assert [c.consented for c in study.scopes] == [c["consented"] for c in raw["scopeConsents"]]
        assert [c.code.coding_code for c in study.scopes] == [c["code"]["codingCode"] for c in raw["scopeConsents"]]
    assert [c.key for c in consents.consented_scopes] == [
        (c["codingSystem"], c["codingCode"]) for c in data["consolidatedConsentedScopes"]
    ]


def expect(call: Callable[[JheClient], Awaitable[Any]], error: type[JheError], *fragments: str):
    """A ``before`` step: the call must raise ``error`` (its message holding ``fragments``)."""

    async def run(client: JheClient) -> None:
        try:
            await call(client)
        except error as exc:
            for fragment in fragments:
                assert fragment in exc.message, exc.message
            return
        raise AssertionError(f"{error.__name__} was not raised")

    return run


# --- scenarios, one builder per recorded route ---------------------------------------------------


def raw(ex: Exchange, world: World) -> Scenario:
    body = ex.request_body if not isinstance(ex.request_body, str) else None

    def check(result: Any) -> None:
        assert result == ex.json

    return Scenario(
        call=lambda c: c.request(
            ex.method, ex.path, params=list(ex.query), json=body, doing="replaying a recorded call"
        ),
        check=check,
        expected_body=body,
    )


def profile(ex: Exchange, world: World) -> Scenario:
    data = ex.json

    def check(user: Any) -> None:
        assert user.id == data["id"]
        assert user.email == data.get("email")
        assert user.user_type == data["userType"]
        assert (user.patient.id if user.patient else None) == (data["patient"] or {}).get("id")
        assert user.settings == data.get("settings", {})

    return Scenario(call=lambda c: c.profile(), check=check)


def organizations(ex: Exchange, world: World) -> Scenario:
    data = ex.json

    def check(orgs: Any) -> None:
        assert [(o.id, o.name, o.part_of, o.current_user_role) for o in orgs] == [
            (o["id"], o["name"], o["partOf"], o["currentUserRole"]) for o in data["results"]
        ]

    return Scenario(call=lambda c: c.organizations(page_size=20), check=check)


def _draft_fields(body: dict) -> dict:
    return {_WIRE_TO_OURS.get(key, key): value for key, value in body.items() if key != "organizationId"}


def _client_accepts_draft(body: dict, generation: Generation) -> bool:
    fields = _draft_fields(body)
    if set(fields) - {"email", "family", "given", "birth_date", "phone"} or "@" not in fields.get("email", ""):
        return False
    if "." not in fields["email"].split("@")[-1]:
        return False
    if "birth_date" not in fields:
        return generation is not Generation.LEGACY
    try:
        date.fromisoformat(fields["birth_date"])
    except ValueError:
        return False
    return True


def create_patient(ex: Exchange, world: World) -> Scenario:
    body = ex.request_body
    if "organizationId" not in body:
        return raw(ex, world)  # the client always names the organization
    organization_id, fields = body["organizationId"], _draft_fields(body)
    if not _client_accepts_draft(body, ex.generation):
        scenario = raw(ex, world)
        scenario.before = expect(lambda c: c.create_patient(organization_id, fields), InvalidInput)
        return scenario
    data = ex.json

    def check(result: Any) -> None:
        assert result.action == "created"
        check_patient(result.patient, data)

    return Scenario(
        call=lambda c: c.create_patient(organization_id, fields),
        check=check,
        support={("GET", "/api/v1/patients/global_lookup"): (200, [])},
        error=Conflict if "data conflict" in ex.body else None,
    )


def get_patient(ex: Exchange, world: World) -> Scenario:
    patient_id = int(ex.path.rsplit("/", 1)[1])
    return Scenario(call=lambda c: c.patient(patient_id), check=lambda p: check_patient(p, ex.json))


def global_lookup(ex: Exchange, world: World) -> Scenario:
    if "email" not in ex.params:
        scenario = raw(ex, world)
        scenario.before = expect(lambda c: c.find_patient_by_email(" "), InvalidInput)
        return scenario
    email, data = ex.params["email"], ex.json

    def check(patient: Any) -> None:
        if data:
            check_patient(patient, data[0])
        else:
            assert patient is None

    return Scenario(call=lambda c: c.find_patient_by_email(email), check=check)


def add_to_organization(ex: Exchange, world: World) -> Scenario:
    if "organization_id" not in ex.params:
        return raw(ex, world)
    patient_id, organization_id = int(ex.path.split("/")[4]), int(ex.params["organization_id"])
    home = [20003] if organization_id != 20003 else [20006]
    if "already member" in ex.label and ex.status == 500:
        # v0.0.7 answers a repeated link with a 500: the client checks membership first.
        scenario = raw(ex, world)
        scenario.before = expect(lambda c: c.add_patient_to_organization(patient_id, organization_id), Conflict)
        member = world.patient(patient_id, [organization_id])
        scenario.before_support = {("GET", f"/api/v1/patients/{patient_id}"): (200, member)}
        return scenario
    outside = {("GET", f"/api/v1/patients/{patient_id}"): (200, world.patient(patient_id, home))}

    def check(patient: Any) -> None:
        check_patient(patient, ex.json)
        assert organization_id in patient.organization_ids

    return Scenario(
        call=lambda c: c.add_patient_to_organization(patient_id, organization_id),
        check=check,
        support=outside,
        error=Conflict if "already a member" in ex.body else None,
    )


def invitation_link(ex: Exchange, world: World) -> Scenario:
    if ex.generation is not Generation.LEGACY:
        return raw(ex, world)  # gone at v0.0.13: the client posts to /api/v1/invitation there
    patient_id, send_email = int(ex.path.split("/")[4]), ex.params.get("send_email") == "true"

    def check(invitation: Any) -> None:
        assert invitation.link == ex.json["invitationLink"]
        assert invitation.sent_by_email is send_email

    return Scenario(call=lambda c: c.invitation_link(patient_id, send_email=send_email), check=check)


def invitation_post(ex: Exchange, world: World) -> Scenario:
    body = ex.request_body
    if "clientId" in body or "client_id" not in body:
        return raw(ex, world)  # the client always sends snake_case client_id
    patient_id, client_id = body["patientId"], body["client_id"]
    send_email = bool(body.get("sendEmail"))

    def check(invitation: Any) -> None:
        assert invitation.link == ex.json["invitationLink"]
        assert (invitation.client_id, invitation.id, invitation.status) == (
            ex.json["client_id"],
            ex.json["id"],
            ex.json["status"],
        )
        assert invitation.sent_by_email is send_email

    return Scenario(
        call=lambda c: c.invitation_link(patient_id, send_email=send_email, client_id=client_id),
        check=check,
        expected_body={"patient_id": patient_id, "client_id": client_id, "send_email": send_email},
    )


def consents(ex: Exchange, world: World) -> Scenario:
    patient_id = int(ex.path.split("/")[4])
    return Scenario(call=lambda c: c.consents(patient_id), check=lambda r: check_consents(r, ex.json))


def patients_list(ex: Exchange, world: World) -> Scenario:
    if set(ex.params) - {"organization_id", "study_id"}:
        return raw(ex, world)  # an unknown-parameter probe
    filters = {name: int(value) for name, value in ex.params.items()}
    return Scenario(call=lambda c: c.patients(**filters), check=lambda page: check_page_ids(page, ex.json))


def studies_list(ex: Exchange, world: World) -> Scenario:
    if "organization_id" not in ex.params:
        return raw(ex, world)  # camelCase parameter probe; the client sends snake_case names
    organization_id = int(ex.params["organization_id"])

    def check(page: Any) -> None:
        check_page_ids(page, ex.json)
        assert {s.organization_id for s in page.items} == {organization_id}

    return Scenario(call=lambda c: c.studies_page(organization_id), check=check)


def study(ex: Exchange, world: World) -> Scenario:
    study_id = int(ex.path.rsplit("/", 1)[1])
    return Scenario(call=lambda c: c.study(study_id))


def _enrolment_support(world: World, study_id: int, patient_ids: list[int], enrolled: list[int]) -> Support:
    support: Support = {("GET", f"/api/v1/studies/{study_id}"): (200, world.study(study_id))}
    for patient_id in patient_ids:
        support[("GET", f"/api/v1/patients/{patient_id}")] = (
            200,
            world.patient(patient_id, [ORGANIZATION_OF_STUDY[study_id]]),
        )
    listed = [world.patient(i, [ORGANIZATION_OF_STUDY[study_id]]) for i in enrolled]
    support[("GET", "/api/v1/patients")] = (200, page_of(listed))
    return support


def enroll(ex: Exchange, world: World) -> Scenario:
    study_id, body = int(ex.path.split("/")[4]), ex.request_body
    patient_ids = body.get("patient_ids") or body.get("patientIds")
    if patient_ids is None:
        return raw(ex, world)
    scenario = raw(ex, world)
    if "already enrolled" in ex.label:

        async def skips(client: JheClient) -> None:
            result = await client.enroll_patients(study_id, patient_ids)
            assert (result.enrolled, result.already_enrolled) == ([], patient_ids)

        scenario.before = skips
        scenario.before_support = _enrolment_support(world, study_id, patient_ids, patient_ids)
        return scenario
    if "other org" in ex.label:
        outsider = patient_ids[0]
        study_org = world.organizations[ORGANIZATION_OF_STUDY[study_id]]["name"]
        scenario.before = expect(
            lambda c: c.enroll_patients(study_id, patient_ids),
            InvalidInput,
            f"Patient {outsider} is not in {study_org}, the organization of study {study_id}.",
        )
        scenario.before_support = {
            ("GET", f"/api/v1/studies/{study_id}"): (200, world.study(study_id)),
            ("GET", f"/api/v1/patients/{outsider}"): (200, world.patient(outsider, [20003])),
        }
        return scenario
    if "nonexistent patient" in ex.label:
        scenario.before = expect(lambda c: c.enroll_patients(study_id, patient_ids), NotFound, "No Patient matches")
        scenario.before_support = {
            ("GET", f"/api/v1/studies/{study_id}"): (200, world.study(study_id)),
            ("GET", f"/api/v1/patients/{patient_ids[0]}"): (404, {"detail": "No Patient matches the given query."}),
        }
        return scenario
    if "nonexistent study" in ex.label:
        detail = {"detail": "Current User does not have authorization to access this Study."}
        scenario.before = expect(lambda c: c.enroll_patients(study_id, patient_ids), Forbidden, "authorization")
        scenario.before_support = {("GET", f"/api/v1/studies/{study_id}"): (403, detail)}
        return scenario

    def check(result: Any) -> None:
        assert (result.enrolled, result.already_enrolled) == (patient_ids, [])

    return Scenario(
        call=lambda c: c.enroll_patients(study_id, patient_ids),
        check=check,
        support=_enrolment_support(world, study_id, patient_ids, []),
        expected_body={"patient_ids": patient_ids},
    )


def unenroll(ex: Exchange, world: World) -> Scenario:
    study_id, patient_ids = int(ex.path.split("/")[4]), ex.request_body["patient_ids"]

    def check(result: Any) -> None:
        assert result is None

    return Scenario(call=lambda c: c.unenroll_patients(study_id, patient_ids), check=check)


def _consent_request(ex: Exchange) -> tuple[int, int, tuple[str, str], bool | None]:
    entry = ex.request_body["studyScopeConsents"][0]
    scope = entry["scopeConsents"][0]
    return (
        int(ex.path.split("/")[4]),
        entry["studyId"],
        (scope["codingSystem"], scope["codingCode"]),
        scope.get("consented"),
    )


def _consents_answer(world: World, label: str) -> Support:
    recorded = world.recorded(label)
    return {("GET", recorded.path): (200, recorded.json)}


def _check_consent(ex: Exchange) -> Callable[[Any], None]:
    recorded = ex.json["studyScopeConsents"][0] if ex.json else None

    def check(result: Any) -> None:
        assert result.consented is recorded["consented"]
        assert result.code.coding_code == recorded["scopeCode"]["codingCode"]
        assert result.consented_time is not None

    return check


def consent_post(ex: Exchange, world: World) -> Scenario:
    patient_id, study_id, scope, consented = _consent_request(ex)
    grant_or_decline = lambda c: c.set_consent(patient_id, study_id, scope, consented)  # noqa: E731
    if ex.label in ("consents POST grant (guide shape, BP)", "consents POST revoke on fresh row (consented false)"):
        # The scope is still unanswered in "consents GET", so the client posts a new row.
        return Scenario(
            call=grant_or_decline, check=_check_consent(ex), support=_consents_answer(world, "consents GET")
        )
    if "viewer (victor)" in ex.label:
        return Scenario(call=grant_or_decline, support=_consents_answer(world, "viewer (victor) consents GET"))
    scenario = raw(ex, world)
    if "not requested" in ex.label or "unknown code" in ex.label:
        scenario.before = expect(grant_or_decline, InvalidInput, f"Study {study_id} does not request")
        scenario.before_support = _consents_answer(world, "viewer (victor) consents GET")
    elif "not enrolled" in ex.label:
        scenario.before = expect(grant_or_decline, InvalidInput, f"Patient {patient_id} is not enrolled")
        no_studies = {
            "patient": world.patient(patient_id, [20003]),
            "consolidatedConsentedScopes": [],
            "studiesPendingConsent": [],
            "studies": [],
        }
        scenario.before_support = {("GET", ex.path): (200, no_studies)}
    # Otherwise a POST over an existing row: the client never does that (it patches or replaces).
    return scenario


def consent_patch(ex: Exchange, world: World) -> Scenario:
    if ex.generation is Generation.LEGACY:
        return raw(ex, world)  # always a 500 at v0.0.7; the client replaces the row instead
    patient_id, study_id, scope, consented = _consent_request(ex)
    return Scenario(
        call=lambda c: c.set_consent(patient_id, study_id, scope, consented),
        check=_check_consent(ex),
        support=_consents_answer(world, "consents GET after grant"),
    )


def consent_delete(ex: Exchange, world: World) -> Scenario:
    if ex.generation is not Generation.LEGACY:
        return raw(ex, world)  # from v0.0.13 the client changes an answer with PATCH
    patient_id, study_id, scope, _ = _consent_request(ex)
    # v0.0.7 revocation: DELETE (the recorded 500 is expected and ignored), then POST a new row.
    fresh = world.recorded("consents POST revoke on fresh row (consented false)")
    support = {**_consents_answer(world, "consents GET after grant"), ("POST", ex.path): (200, fresh.json)}

    def check(result: Any) -> None:
        assert result.consented is False

    return Scenario(
        call=lambda c: c.revoke_consent(patient_id, study_id, scope), check=check, support=support, absorbs_error=True
    )


def update_patient(ex: Exchange, world: World) -> Scenario:
    if "organization_id" not in ex.params:
        return raw(ex, world)  # the client always passes organization_id
    patient_id, organization_id = int(ex.path.rsplit("/", 1)[1]), int(ex.params["organization_id"])
    changes = {_WIRE_TO_OURS[key]: value for key, value in ex.request_body.items()}
    if "birth_date" in changes:
        scenario = raw(ex, world)
        scenario.before = expect(
            lambda c: c.update_patient(patient_id, organization_id, changes), InvalidInput, "birth date"
        )
        return scenario
    sent = {key: value for key, value in ex.request_body.items() if key != "telecomEmail"}  # the login never changes
    if "identifier" in sent and ex.generation is Generation.CURRENT:
        sent["identifiers"] = [{"system": DEFAULT_IDENTIFIER_SYSTEM, "value": sent.pop("identifier")}]
    return Scenario(
        call=lambda c: c.update_patient(patient_id, organization_id, changes),
        check=lambda p: check_patient(p, ex.json),
        expected_body=sent,
    )


def remove_patient(ex: Exchange, world: World) -> Scenario:
    if "organization_id" not in ex.params:
        return raw(ex, world)
    patient_id, organization_id = int(ex.path.rsplit("/", 1)[1]), int(ex.params["organization_id"])

    def check(result: Any) -> None:
        assert result is None

    return Scenario(call=lambda c: c.remove_patient_from_organization(patient_id, organization_id), check=check)


def observations(ex: Exchange, world: World) -> Scenario:
    if set(ex.params) - {"organization_id", "study_id", "patient_id", "page_size"}:
        return raw(ex, world)  # unknown-parameter probe
    filters = {name: int(value) for name, value in ex.params.items()}
    payload_key = "valueAttachmentData" if ex.generation is Generation.LEGACY else "omhData"

    def check(page: Any) -> None:
        check_page_ids(page, ex.json)
        for item, data in zip(page.items, ex.json["results"], strict=True):
            assert item.payload == data[payload_key]
            assert item.value is not None and item.value.text
            assert item.value.schema_id == data["codingCode"]

    return Scenario(call=lambda c: c.observations(**filters), check=check)


def fhir_observations(ex: Exchange, world: World) -> Scenario:
    own_base = "/fhir/r5" if ex.generation is Generation.LEGACY else "/FHIR/R5"
    if not ex.path.startswith(own_base):
        return raw(ex, world)  # the other generation's FHIR base: an HTML 404 here
    params = ex.params
    arguments = {
        "patient_id": int(params["patient"]) if "patient" in params else None,
        "study_id": int(params["patient._has:Group:member:_id"]) if "patient._has:Group:member:_id" in params else None,
        "code": params.get("code"),
        "count": int(params.get("_count", 20)),
    }
    search = lambda c: c.fhir_observations(**arguments)  # noqa: E731
    if ex.generation is Generation.LEGACY and arguments["patient_id"] is None:
        scenario = raw(ex, world)
        scenario.before = expect(search, InvalidInput, "one patient at a time")
        return scenario

    def check(page: Any) -> None:
        data = ex.json
        wrappers = data["entry"] if "entry" in data else data["results"]
        assert page.count == data.get("total", data.get("count"))
        assert [o.id for o in page.items] == [w["resource"]["id"] for w in wrappers]
        assert bool(page.next) == (("next" in str(data.get("link"))) or bool(data.get("next")))
        for observation in page.items:
            assert observation.payload["header"]["schema_id"]["name"] in observation.coding_code
            assert observation.value is not None and observation.value.text
            assert observation.subject_patient_id is not None
            assert observation.effective_time is not None

    return Scenario(call=search, check=check)


ROUTES: dict[tuple[str, str], Callable[[Exchange, World], Scenario]] = {
    ("GET", "/api/v1/users/profile"): profile,
    ("GET", "/api/v1/organizations"): organizations,
    ("POST", "/api/v1/patients"): create_patient,
    ("GET", "/api/v1/patients"): patients_list,
    ("GET", "/api/v1/patients/{id}"): get_patient,
    ("PATCH", "/api/v1/patients/{id}"): update_patient,
    ("DELETE", "/api/v1/patients/{id}"): remove_patient,
    ("GET", "/api/v1/patients/global_lookup"): global_lookup,
    ("PATCH", "/api/v1/patients/{id}/global_add_organization"): add_to_organization,
    ("GET", "/api/v1/patients/{id}/invitation_link"): invitation_link,
    ("GET", "/api/v1/patients/{id}/consents"): consents,
    ("POST", "/api/v1/patients/{id}/consents"): consent_post,
    ("PATCH", "/api/v1/patients/{id}/consents"): consent_patch,
    ("DELETE", "/api/v1/patients/{id}/consents"): consent_delete,
    ("GET", "/api/v1/studies"): studies_list,
    ("GET", "/api/v1/studies/{id}"): study,
    ("GET", "/api/v1/studies/{id}/patients"): raw,  # a 500 at v0.0.7; the client lists /patients instead
    ("POST", "/api/v1/studies/{id}/patients"): enroll,
    ("DELETE", "/api/v1/studies/{id}/patients"): unenroll,
    ("GET", "/api/v1/observations"): observations,
    ("GET", "/fhir/r5/Observation"): fhir_observations,
    ("GET", "/FHIR/R5/Observation"): fhir_observations,
    ("GET", "/fhir/r5/Patient"): raw,  # FHIR Patient search is not a client operation (and a 500 at v0.0.7)
    ("GET", "/FHIR/R5/Patient"): raw,
    ("POST", "/api/v1/invitation"): invitation_post,
    ("GET", "/api/v1/invitation"): raw,  # the server-wide invitation list
    ("POST", "/api/v1/invitation/{token}"): raw,  # redemption is the patient app's business
    ("POST", "/o/token/"): raw,  # token exchange belongs to the login code, not this client
}


def scenario_for(exchange: Exchange, exchanges: list[Exchange]) -> Scenario:
    # The shared recordings redact secrets in paths too (an invitation token as "<redacted>").
    route = path_template(exchange.path).replace("<redacted>", "{token}")
    builder = ROUTES[(exchange.method, route)]
    return builder(exchange, World(exchanges, exchange.generation))
