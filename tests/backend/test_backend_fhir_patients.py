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
    assert [r["type"] for server in statement["rest"] for r in server["resource"]] == ["Observation", "Patient"]
    assert "S256" in smart.json()["code_challenge_methods_supported"]
    assert smart.json()["token_endpoint"].endswith("/o/token/")


async def test_patient_search_as_list_fhir_asks(backend):
    """``list_fhir("Patient")`` sends ``_count=1000`` and reads ``entry[].resource``, then ``next``."""
    from fhir.resources.bundle import Bundle

    headers = {"Authorization": f"Bearer {backend.token_for('manager')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url="http://demo",
                                 headers=headers) as http:
        everyone = (await http.get("/FHIR/R5/Patient", params={"_count": 1000})).json()
        study = (await http.get("/FHIR/R5/Patient", params={"patient._has:Group:member:_id": 30001})).json()
        refused = await http.get("/FHIR/R5/Patient", headers={"Authorization": "Bearer nope"})
    Bundle.model_validate(everyone)
    ids = [e["resource"]["id"] for e in everyone["entry"]]
    assert everyone["total"] == len(ids) > 0 and "40001" in ids
    assert all(e["resource"]["resourceType"] == "Patient" and e["resource"]["telecom"] for e in everyone["entry"])
    assert 0 < study["total"] <= everyone["total"]
    assert refused.status_code == 401 and refused.json()["resourceType"] == "OperationOutcome"
