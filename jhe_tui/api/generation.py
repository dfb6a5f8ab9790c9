"""Which kind of JHE server we talk to, and the differences the client must hide.

Two real generations are in use (see ``jhe/api-contract.md`` §8): the v0.0.7 era of the user guide
and v0.0.13+. The embedded demo backend answers FHIR Bundles, date searches and consent PATCHes
like v0.0.13, but keeps the guide's invitation endpoint, FHIR path and single identifier (it
lists the invitations it issued as v0.0.13 does). Each generation gets one immutable ``Adapter``;
client code asks the adapter instead of branching on version strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .errors import InvalidInput
from .text import VisibleText


class Generation(StrEnum):
    LEGACY = "legacy"  # v0.0.7 era: no /health
    CURRENT = "current"  # v0.0.13+: /health answers JSON
    DEMO = "demo"  # the embedded backend: /health says "demo": true


class ServerInfo(VisibleText):  # the version string comes from the server
    generation: Generation
    version: str | None = None

    @property
    def demo(self) -> bool:
        return self.generation is Generation.DEMO

    def describe(self) -> str:
        """A short phrase for status lines: ``JHE v0.0.13``, ``demo backend 0.1.0``…"""
        version = f" {self.version}" if self.version and any(c.isdigit() for c in self.version) else ""
        if self.generation is Generation.DEMO:
            return f"demo backend{version}"
        if self.generation is Generation.CURRENT:
            return f"JHE{version or ' v0.0.13 or later'}"
        return "JHE before v0.0.13 (the user guide's generation)"


FHIR_STUDY = "patient._has:Group:member:_id"

# Query parameter names each endpoint understands. At v0.0.7 the patient, study and observation
# lists answer 500 to any other name, so nothing outside these sets is ever sent.
_LEGACY_PARAMS: dict[str, frozenset[str]] = {
    "patients": frozenset(
        {"organization_id", "study_id", "patient_id", "patient_identifier_value", "page", "page_size"}
    ),
    "studies": frozenset({"organization_id", "study_id", "page", "page_size"}),
    "observations": frozenset({"organization_id", "study_id", "patient_id", "observation_id", "page", "page_size"}),
    "organizations": frozenset({"part_of", "page", "page_size"}),
    "global_lookup": frozenset({"email"}),
    "patient_in_organization": frozenset({"organization_id"}),
    "invitation_link": frozenset({"send_email"}),
    "fhir_observations": frozenset({"patient", FHIR_STUDY, "patient.identifier", "code", "_count", "_page"}),
    "data_sources": frozenset({"page", "page_size"}),
}
_CURRENT_PARAMS: dict[str, frozenset[str]] = {
    **_LEGACY_PARAMS,
    "fhir_observations": _LEGACY_PARAMS["fhir_observations"]
    | {"date", "_lastUpdated", "patient.organization", "identifier", "status", "_sort", "_summary"},
    "invitations": frozenset({"page", "page_size"}),
    "clients": frozenset({"page", "page_size"}),
    "practitioner_clients": frozenset({"page", "page_size"}),
}


def _wire_value(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [str(_wire_value(item)) for item in value]
    return str(value)


@dataclass(frozen=True)
class Adapter:
    generation: Generation
    fhir_base: str
    invitation_by_post: bool  # POST /invitation (v0.0.13) instead of GET …/invitation_link
    consent_patch: bool  # PATCH works; v0.0.7 needs DELETE (answers 500, but deletes) then POST
    identifier_list: bool  # identifiers[{system,value}] instead of one identifier string
    fhir_date_filter: bool
    fhir_needs_patient: bool  # v0.0.7 looks up the caller as a patient when none is given
    create_refuses_known_email: bool  # a clear 400 for a patient's e-mail; v0.0.7 answers a 500
    lists_invitations: bool  # GET /invitation lists what was issued (v0.0.13); v0.0.7 shows nothing
    params: Mapping[str, frozenset[str]]

    def query(self, endpoint: str, values: Mapping[str, Any]) -> dict[str, str | list[str]]:
        """Wire query for ``endpoint``; None values are dropped, unknown names refused."""
        allowed = self.params[endpoint]
        query: dict[str, str | list[str]] = {}
        for name, value in values.items():
            if value is None:
                continue
            if name not in allowed:
                raise InvalidInput(
                    f"This server does not support the '{name}' parameter for {endpoint.replace('_', ' ')}."
                )
            query[name] = _wire_value(value)
        return query


ADAPTERS: dict[Generation, Adapter] = {
    Generation.LEGACY: Adapter(
        generation=Generation.LEGACY,
        fhir_base="/fhir/r5",
        invitation_by_post=False,
        consent_patch=False,
        identifier_list=False,
        fhir_date_filter=False,
        fhir_needs_patient=True,
        create_refuses_known_email=False,
        lists_invitations=False,
        params=_LEGACY_PARAMS,
    ),
    Generation.CURRENT: Adapter(
        generation=Generation.CURRENT,
        fhir_base="/FHIR/R5",
        invitation_by_post=True,
        consent_patch=True,
        identifier_list=True,
        fhir_date_filter=True,
        fhir_needs_patient=False,
        create_refuses_known_email=True,
        lists_invitations=True,
        params=_CURRENT_PARAMS,
    ),
    Generation.DEMO: Adapter(
        generation=Generation.DEMO,
        fhir_base="/fhir/r5",
        invitation_by_post=False,
        consent_patch=True,
        identifier_list=False,
        fhir_date_filter=True,
        fhir_needs_patient=False,
        create_refuses_known_email=True,
        lists_invitations=True,
        params=_CURRENT_PARAMS,
    ),
}


def server_info_from_health(content_type: str, body: str) -> ServerInfo:
    """Read a successful answer to ``GET /health`` (v0.0.7-era servers answer 404 instead).

    v0.0.13+ answers ``{"status": "ok", "version": …}``, the demo adds ``"demo": true``; anything
    else that still says 200 (an HTML catch-all behind some proxies) means there is no health route.
    """
    data: Any = None
    if "html" not in content_type.lower():
        try:
            data = json.loads(body)
        except ValueError:
            data = None
    if isinstance(data, dict) and "status" in data:
        version = data.get("version")
        generation = Generation.DEMO if data.get("demo") is True else Generation.CURRENT
        return ServerInfo(generation=generation, version=version if isinstance(version, str) else None)
    return ServerInfo(generation=Generation.LEGACY)
