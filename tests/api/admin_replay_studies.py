"""Scenarios for the recorded study administration and API keys (see ``admin_replay``), and the
route table of every administration exchange."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import admin_replay as orgs
from admin_replay import AdminWorld
from api_recordings import Exchange
from api_replay import Scenario, Support, expect, raw

from jhe_tui.api import Conflict, Generation, InvalidInput

CONCEPTS = "/api/v1/data_sources/all_scopes"
SOURCES = "/api/v1/data_sources"
APPS = "/api/v1/clients"


def _study_id(ex: Exchange) -> int:
    return int(ex.path.split("/")[4])


def _nested_study(study_id: int) -> dict:
    return {"id": study_id, "name": "Study", "description": "d", "iconUrl": None, "organization": 20003,
            "patients": []}


def _refused_first(ex: Exchange, world: AdminWorld, call: Callable, error: type, words: str,
                   support: Support | None = None) -> Scenario:
    """The recorded exchange as it is, after the client refused ``call`` itself, in ``words``."""
    scenario = raw(ex, world)
    scenario.before = expect(call, error, words)
    if support is not None:
        scenario.before_support = support
    return scenario


def _is(expected_id: int) -> Callable[[Any], None]:
    def check(found: Any) -> None:
        assert found.id == expected_id

    return check


def create_study(ex: Exchange, world: AdminWorld) -> Scenario:
    body = ex.request_body
    if "organization" not in body:
        return raw(ex, world)  # the client always names the organization
    create = lambda c: c.create_study(body["organization"], body["name"], body.get("description", ""),  # noqa: E731
                                      body.get("iconUrl"))
    if "description" not in body:
        return _refused_first(ex, world, create, InvalidInput, "description may not be empty")

    def check(study: Any) -> None:
        assert (study.id, study.name, study.organization_id) == (ex.json["id"], body["name"], body["organization"])

    # The client always sends iconUrl (null when there is none); the console sometimes leaves it out.
    return Scenario(call=create, check=check, expected_body={**body, "iconUrl": body.get("iconUrl")})


def study(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(found: Any) -> None:
        assert (found.id, found.organization_id) == (ex.json["id"], ex.json["organization"]["id"])

    return Scenario(call=lambda c: c.study(int(ex.path.rsplit("/", 1)[1])), check=check)


def update_study(ex: Exchange, world: AdminWorld) -> Scenario:
    body = ex.request_body

    def check(found: Any) -> None:
        assert (found.name, found.description) == (ex.json["name"], ex.json["description"])

    return Scenario(call=lambda c: c.update_study(int(ex.path.rsplit("/", 1)[1]), name=body.get("name"),
                                                  description=body.get("description"), icon_url=body.get("iconUrl")),
                    check=check)


def _none(result: Any) -> None:
    assert result is None


def delete_study(ex: Exchange, world: AdminWorld) -> Scenario:
    return Scenario(call=lambda c: c.delete_study(int(ex.path.rsplit("/", 1)[1])), check=_none)


def organization_studies(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(found: Any) -> None:
        assert [(s.id, s.organization_id) for s in found] == [(s["id"], s["organization"]) for s in ex.json]

    return Scenario(call=lambda c: c.organization_studies(int(ex.path.split("/")[4])), check=check)


def concepts(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(found: Any) -> None:
        assert [(c.id, c.coding_code) for c in found] == [(c["id"], c["codingCode"]) for c in ex.json]

    return Scenario(call=lambda c: c.codeable_concepts(), check=check)


def _ids(listed: str, key: str) -> Callable[[Any], None]:
    def check(found: Any) -> None:
        assert [item.id for item in found] == [item[key]["id"] if key else item["id"] for item in listed]

    return check


def data_sources(ex: Exchange, world: AdminWorld) -> Scenario:
    return Scenario(call=lambda c: c.data_sources(page_size=20), check=_ids(ex.json["results"], ""))


def _requests(study_id: int, code_ids: list[int], world: AdminWorld) -> list[dict]:
    by_id = {c["id"]: c for c in world.answer("GET", CONCEPTS)}
    return [{"id": n, "study": _nested_study(study_id), "scopeCode": by_id[i]} for n, i in enumerate(code_ids, 1)]


def _scope_support(ex: Exchange, world: AdminWorld, requested: list[int]) -> Support:
    return {("GET", CONCEPTS): (200, world.answer("GET", CONCEPTS)),
            ("GET", ex.path): (200, _requests(_study_id(ex), requested, world))}


def add_scope_request(ex: Exchange, world: AdminWorld) -> Scenario:
    code_id = ex.request_body["scopeCodeId"]
    add = lambda c: c.add_scope_request(_study_id(ex), code_id)  # noqa: E731
    if "again" in ex.label or "unknown" in ex.label:
        error, words = (Conflict, "already requests") if "again" in ex.label else (InvalidInput, "not one this server")
        known = [code_id] if error is Conflict else []
        return _refused_first(ex, world, add, error, words, _scope_support(ex, world, known))

    def check(concept: Any) -> None:
        assert concept.id == code_id == ex.json["scopeCode"]["id"]

    return Scenario(call=add, check=check, support=_scope_support(ex, world, []))


def scope_requests(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(found: Any) -> None:
        assert [r.scope_code.id for r in found] == [r["scopeCode"]["id"] for r in ex.json]

    return Scenario(call=lambda c: c.study_scope_requests(_study_id(ex)), check=check)


def remove_scope_request(ex: Exchange, world: AdminWorld) -> Scenario:
    code_id = ex.request_body["scopeCodeId"]
    return Scenario(call=lambda c: c.remove_scope_request(_study_id(ex), code_id), check=_is(code_id),
                    support=_scope_support(ex, world, [code_id]))


def _source_support(ex: Exchange, world: AdminWorld, linked: list[int]) -> Support:
    listed = world.answer("GET", SOURCES)
    by_id = {s["id"]: s for s in listed["results"]}
    links = [{"id": n, "study": _nested_study(_study_id(ex)), "dataSource": by_id[i]} for n, i in enumerate(linked, 1)]
    return {("GET", SOURCES): (200, listed), ("GET", ex.path): (200, links)}


def add_data_source(ex: Exchange, world: AdminWorld) -> Scenario:
    source_id = ex.request_body["dataSourceId"]
    add = lambda c: c.add_study_data_source(_study_id(ex), source_id)  # noqa: E731
    if "again" in ex.label:  # v0.0.7 adds a second row, v0.0.13 fails: the client stops first
        return _refused_first(ex, world, add, Conflict, "already a data source",
                              _source_support(ex, world, [source_id]))
    return Scenario(call=add, check=_is(source_id), support=_source_support(ex, world, []))


def study_data_sources(ex: Exchange, world: AdminWorld) -> Scenario:
    return Scenario(call=lambda c: c.study_data_sources(_study_id(ex)), check=_ids(ex.json, "dataSource"))


def remove_data_source(ex: Exchange, world: AdminWorld) -> Scenario:
    source_id = ex.request_body["dataSourceId"]
    return Scenario(call=lambda c: c.remove_study_data_source(_study_id(ex), source_id), check=_is(source_id),
                    support=_source_support(ex, world, [source_id]))


def _legacy_refusal(ex: Exchange, world: AdminWorld, call: Callable, words: str) -> Scenario | None:
    """At v0.0.7 the client knows there is no such endpoint and says so before asking."""
    if ex.generation is not Generation.LEGACY:
        return None
    return _refused_first(ex, world, call, InvalidInput, words)


def patient_apps(ex: Exchange, world: AdminWorld) -> Scenario:
    call = lambda c: c.patient_apps(page_size=20)  # noqa: E731
    return _legacy_refusal(ex, world, call, "no list of patient apps") or Scenario(
        call=call, check=_ids(ex.json["results"], ""))


def study_apps(ex: Exchange, world: AdminWorld) -> Scenario:
    call = lambda c: c.study_apps(_study_id(ex))  # noqa: E731
    return _legacy_refusal(ex, world, call, "no list of patient apps") or Scenario(call=call, check=_ids(ex.json,
                                                                                                          "client"))


def _app_support(ex: Exchange, world: AdminWorld, linked: list[int]) -> Support:
    listed = world.answer("GET", APPS)
    by_id = {a["id"]: a for a in listed["results"]}
    links = [{"id": n, "study": _nested_study(_study_id(ex)), "client": {**by_id[i], "client_id": by_id[i]["clientId"]}}
             for n, i in enumerate(linked, 1)]
    return {("GET", APPS): (200, listed), ("GET", ex.path): (200, links)}


def _app_id(ex: Exchange) -> int:
    return ex.request_body.get("client_id", ex.request_body.get("clientId"))


def add_study_app(ex: Exchange, world: AdminWorld) -> Scenario:
    app_id = _app_id(ex)
    add = lambda c: c.add_study_app(_study_id(ex), app_id)  # noqa: E731
    if "again" in ex.label:
        return _refused_first(ex, world, add, Conflict, "already an app", _app_support(ex, world, [app_id]))
    # The console sends clientId; the client sends client_id, which the server reads the same.
    return Scenario(call=add, check=_is(app_id), support=_app_support(ex, world, []), expected_body={"client_id": app_id})


def remove_study_app(ex: Exchange, world: AdminWorld) -> Scenario:
    app_id = _app_id(ex)
    return Scenario(call=lambda c: c.remove_study_app(_study_id(ex), app_id), check=_is(app_id),
                    support=_app_support(ex, world, [app_id]), expected_body={"client_id": app_id})


def api_keys(ex: Exchange, world: AdminWorld) -> Scenario:
    call = lambda c: c.api_keys(page_size=20)  # noqa: E731
    return _legacy_refusal(ex, world, call, "no practitioner API keys") or Scenario(
        call=call, check=_ids(ex.json["results"], "") if ex.json and "results" in ex.json else None)


def create_api_key(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(key: Any) -> None:
        assert (key.id, key.label, key.key) == (ex.json["id"], ex.json["label"], ex.json["key"])
        assert ex.json["key"] not in repr(key)

    return Scenario(call=lambda c: c.create_api_key(ex.request_body["label"]), check=check)


def revoke_api_key(ex: Exchange, world: AdminWorld) -> Scenario:
    return Scenario(call=lambda c: c.revoke_api_key(int(ex.path.rsplit("/", 1)[1])), check=_none)


ROUTES: dict[tuple[str, str], Callable[[Exchange, AdminWorld], Scenario]] = {
    ("GET", "/api/v1/organizations/types"): orgs.organization_types,
    ("POST", "/api/v1/organizations"): orgs.create_organization,
    ("GET", "/api/v1/organizations"): raw,  # a part_of filter: not a client operation
    ("GET", "/api/v1/organizations/{id}"): orgs.organization,
    ("GET", "/api/v1/organizations/{id}/tree"): orgs.tree,
    ("PATCH", "/api/v1/organizations/{id}"): orgs.update_organization,
    ("DELETE", "/api/v1/organizations/{id}"): orgs.delete_organization,
    ("GET", "/api/v1/organizations/{id}/users"): orgs.members,
    ("GET", "/api/v1/users/search_by_email"): orgs.search_by_email,
    ("GET", "/api/v1/users"): raw,  # the list form of the look-up, which the client does not use
    ("GET", "/api/v1/practitioners"): raw,  # superuser only
    ("POST", "/api/v1/organizations/{id}/user"): orgs.add_member,
    ("DELETE", "/api/v1/organizations/{id}/remove_user"): orgs.remove_member,
    ("POST", "/api/v1/studies"): create_study,
    ("GET", "/api/v1/studies/{id}"): study,
    ("PATCH", "/api/v1/studies/{id}"): update_study,
    ("DELETE", "/api/v1/studies/{id}"): delete_study,
    ("GET", "/api/v1/organizations/{id}/studies"): organization_studies,
    ("GET", "/api/v1/data_sources/all_scopes"): concepts,
    ("GET", "/api/v1/codeable_concepts"): raw,  # no such endpoint (404)
    ("GET", "/api/v1/data_sources"): data_sources,
    ("POST", "/api/v1/studies/{id}/scope_requests"): add_scope_request,
    ("GET", "/api/v1/studies/{id}/scope_requests"): scope_requests,
    ("DELETE", "/api/v1/studies/{id}/scope_requests"): remove_scope_request,
    ("POST", "/api/v1/studies/{id}/data_sources"): add_data_source,
    ("GET", "/api/v1/studies/{id}/data_sources"): study_data_sources,
    ("DELETE", "/api/v1/studies/{id}/data_sources"): remove_data_source,
    ("GET", "/api/v1/clients"): patient_apps,
    ("POST", "/api/v1/clients"): raw,  # creating an app takes a superuser
    ("GET", "/api/v1/studies/{id}/clients"): study_apps,
    ("POST", "/api/v1/studies/{id}/clients"): add_study_app,
    ("DELETE", "/api/v1/studies/{id}/clients"): remove_study_app,
    ("POST", "/api/v1/studies/{id}/patients"): raw,  # enrolment: replayed with the guide's recordings
    ("POST", "/api/v1/patients/{id}/consents"): raw,
    ("GET", "/api/v1/patients/{id}/consents"): raw,
    ("GET", "/api/v1/practitioner_clients"): api_keys,
    ("POST", "/api/v1/practitioner_clients"): create_api_key,
    ("GET", "/api/v1/practitioner_clients/{id}"): raw,  # another practitioner's key: a 404
    ("PATCH", "/api/v1/practitioner_clients/{id}"): raw,  # relabelling is not offered
    ("DELETE", "/api/v1/practitioner_clients/{id}"): revoke_api_key,
    ("POST", "/o/token/"): raw,  # signing in with a key is the login code's
    ("GET", "/api/v1/users/profile"): raw,
}
