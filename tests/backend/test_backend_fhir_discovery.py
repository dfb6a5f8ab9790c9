"""FHIR discovery as jupyterhealth-client asks for it: ``/FHIR/R5/metadata`` (its
``list_fhir_resource_types`` reads ``rest[].resource[].type``) and the SMART configuration,
without a token, as at JHE HEAD."""

from __future__ import annotations

import httpx
from fhir.resources.capabilitystatement import CapabilityStatement


async def test_metadata_and_smart_configuration(backend):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url="http://demo") as http:
        metadata = await http.get("/FHIR/R5/metadata")
        smart = await http.get("/FHIR/R5/.well-known/smart-configuration")
    assert metadata.status_code == 200 and smart.status_code == 200
    statement = metadata.json()
    CapabilityStatement.model_validate(statement)
    assert [r["type"] for server in statement["rest"] for r in server["resource"]] == ["Observation"]
    assert "S256" in smart.json()["code_challenge_methods_supported"]
    assert smart.json()["token_endpoint"].endswith("/o/token/")
