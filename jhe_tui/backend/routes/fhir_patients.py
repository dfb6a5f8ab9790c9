"""FHIR Patient search and discovery (contract section 2.9, HEAD), so jupyterhealth-client's
``list_fhir("Patient")``, ``list_fhir_resource_types`` and ``get_fhir_capability_statement`` work
against the demo: ``Patient`` search (``patient._has:Group:member:_id`` study, ``patient.organization``,
``_id``, ``_count``, ``_page``) answering a searchset Bundle of Patients shaped as JHE renders them,
and, without a token as at HEAD, the CapabilityStatement at ``metadata`` and the SMART configuration.
Served under both FHIR prefixes."""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import search, serializers
from ..auth import authenticate
from ..deps import Conn
from ..pages import page_of
from .fhir import META_SOURCE, PREFIXES, STUDY_PARAM, _reference, as_outcome

router = APIRouter()

_SEARCH = {"Observation": ("patient", "patient._has:Group:member:_id", "patient.organization", "code", "date"),
           "Patient": ("_id", "patient._has:Group:member:_id", "patient.organization")}


def patient_resource(record: dict) -> dict:
    """A patient of the demo database as JHE's FHIR API renders one."""
    resource: dict = {"resourceType": "Patient", "id": str(record["id"]), "meta": {"source": META_SOURCE}}
    if record["identifier"]:
        resource["identifier"] = [{"system": "http://tcp.org", "value": record["identifier"]}]
    name = {k: v for k, v in (("family", record["name_family"]),
                              ("given", [record["name_given"]] if record["name_given"] else None)) if v}
    if name:
        resource["name"] = [name]
    if record["birth_date"]:
        resource["birthDate"] = record["birth_date"]
    resource["telecom"] = [{"system": s, "value": v, "use": u} for s, v, u in
                           (("phone", record["telecom_phone"], "mobile"), ("email", record["telecom_email"], "home")) if v]
    return resource


def _patients(request: Request, conn: sqlite3.Connection) -> dict:
    with as_outcome():
        caller = authenticate(request, conn)
        page = page_of(request, page_name="_page", size_name="_count")
        count, ids = search.patients(conn, caller.organization_ids,
                                     organization_id=_reference(request, "patient.organization", "Organization"),
                                     study_id=_reference(request, STUDY_PARAM, "Group"),
                                     patient_id=_reference(request, "_id", "Patient"),
                                     offset=page.offset, limit=page.size)
    links = [{"relation": relation, "url": url} for relation, url in
             (("self", str(request.url)), ("previous", page.previous_link(request)),
              ("next", page.next_link(request, count))) if url]
    return {"resourceType": "Bundle", "type": "searchset", "total": count, "link": links,
            "entry": [{"resource": patient_resource(p)} for p in serializers.patients(conn, ids)]}


def _param(name: str) -> dict:
    return {"name": name, "type": {"code": "token", "date": "date"}.get(name, "reference")}


def capability_statement() -> dict:
    resources = [{"type": kind, "interaction": [{"code": "search-type"}, {"code": "read"}],
                  "searchParam": [_param(name) for name in params]}
                 for kind, params in _SEARCH.items()]
    return {"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01", "kind": "instance",
            "fhirVersion": "5.0.0", "format": ["json"],
            "rest": [{"mode": "server", "resource": resources}]}


def _register(prefix: str) -> None:
    @router.get(f"{prefix}/Patient", name=f"patients{prefix}")
    def search_patients(request: Request, conn: Conn) -> JSONResponse:
        return JSONResponse(_patients(request, conn))

    @router.get(f"{prefix}/metadata", name=f"metadata{prefix}")
    def metadata() -> JSONResponse:
        return JSONResponse(capability_statement(), media_type="application/fhir+json")

    @router.get(f"{prefix}/.well-known/smart-configuration", name=f"smart{prefix}")
    def smart_configuration(request: Request) -> JSONResponse:
        site = request.app.state.settings.site_url
        return JSONResponse({"authorization_endpoint": f"{site}/o/authorize/", "token_endpoint": f"{site}/o/token/",
                             "grant_types_supported": ["authorization_code"],
                             "code_challenge_methods_supported": ["S256"],
                             "capabilities": ["client-public", "launch-standalone"]})


for _prefix in PREFIXES:
    _register(_prefix)
