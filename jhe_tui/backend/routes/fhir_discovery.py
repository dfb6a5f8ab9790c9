"""FHIR discovery, unauthenticated as at JHE HEAD (contract section 2.9): the CapabilityStatement at
``metadata`` and the SMART configuration, so jupyterhealth-client's ``list_fhir_resource_types`` and
``get_fhir_capability_statement`` work against the demo. Served under both FHIR prefixes."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from .fhir import PREFIXES

router = APIRouter()

_SEARCH = {"Observation": ("patient", "patient._has:Group:member:_id", "patient.organization", "code", "date")}


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
