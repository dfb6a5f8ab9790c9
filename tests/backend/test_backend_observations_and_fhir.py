"""Observations: the admin list (JHE's item shape, filters, newest first) and FHIR R5 Bundles."""

from __future__ import annotations

import base64
import json

import pytest

OMH = "https://w3id.org/openmhealth"
ITEM_KEYS = {"id", "subjectPatientId", "patientNameFamily", "patientNameGiven", "codeableConceptId", "codingSystem",
             "codingCode", "codingText", "lastUpdated", "valueAttachmentData"}
BODY_VALUES = {
    "omh:blood-glucose:4.0": [("blood_glucose", "mg/dL")],
    "omh:blood-pressure:4.0": [("systolic_blood_pressure", "mmHg"), ("diastolic_blood_pressure", "mmHg")],
    "omh:body-temperature:4.0": [("body_temperature", "C")],
    "omh:heart-rate:2.0": [("heart_rate", "beats/min")],
    "omh:oxygen-saturation:2.0": [("oxygen_saturation", "%")],
    "omh:respiratory-rate:2.0": [("respiratory_rate", "breaths/min")],
    "omh:step-count:3.0": [("step_count", "steps")],
    "omh:body-weight:3.0": [("body_weight", "kg")],
}



def _check_omh(code: str, payload: dict) -> None:
    header, body = payload["header"], payload["body"]
    _, name, version = code.split(":")
    assert header["schema_id"] == {"namespace": "omh", "name": name, "version": version}
    assert len(header["uuid"]) == 36 and header["modality"] == "sensed"
    assert header["source_creation_date_time"].endswith("Z")
    for key, unit in BODY_VALUES[code]:
        assert body[key]["unit"] == unit and isinstance(body[key]["value"], (int, float))
    frame = body["effective_time_frame"]
    if code == "omh:step-count:3.0":
        assert set(frame["time_interval"]) == {"start_date_time", "end_date_time"}
    else:
        assert frame["date_time"].endswith("Z")


async def test_items_are_jhe_shaped_and_newest_first(api) -> None:
    page = (await api.get("/api/v1/observations?organization_id=20003&page_size=1000")).json()
    items = page["results"]
    assert all(set(item) == ITEM_KEYS for item in items)
    stamps = [item["lastUpdated"] for item in items]
    assert stamps == sorted(stamps, reverse=True)
    for item in items:
        _check_omh(item["codingCode"], item["valueAttachmentData"])
    everything = (await api.get("/api/v1/observations?page_size=1000&page=3")).json()["results"]
    assert {item["codingCode"] for item in everything} | {item["codingCode"] for item in items} >= {
        "omh:blood-glucose:4.0", "omh:blood-pressure:4.0", "omh:heart-rate:2.0", "omh:step-count:3.0"}


async def test_filters(api) -> None:
    (pid,) = api.rows("SELECT subject_patient_id FROM observation o JOIN study_patient s"
                                 " ON s.patient_id = o.subject_patient_id AND s.study_id = 30002 LIMIT 1")[0]
    mine = (await api.get(f"/api/v1/observations?patient_id={pid}&page_size=1000")).json()
    assert mine["count"] == api.rows("SELECT COUNT(*) FROM observation WHERE subject_patient_id = ?", pid)[0][0]
    assert {o["subjectPatientId"] for o in mine["results"]} == {pid}
    study = (await api.get(f"/api/v1/observations?organization_id=20003&study_id=30002&patient_id={pid}")).json()
    assert study["count"] > 0
    assert {o["codingCode"] for o in study["results"]} <= {
        "omh:heart-rate:2.0", "omh:blood-pressure:4.0", "omh:oxygen-saturation:2.0"}
    one = mine["results"][5]
    single = (await api.get(f"/api/v1/observations?observation_id={one['id']}")).json()
    assert single["count"] == 1 and single["results"] == [one]
    whole_study = (await api.get("/api/v1/observations?study_id=30003&page_size=1")).json()
    expected = api.rows("""SELECT COUNT(*) FROM observation o
        JOIN study_patient s ON s.patient_id = o.subject_patient_id AND s.study_id = 30003
        WHERE o.codeable_concept_id IN (SELECT scope_code_id FROM study_scope_request WHERE study_id = 30003)""")
    assert whole_study["count"] == expected[0][0] > 0


async def test_visibility(api) -> None:
    """Only patients sharing an organization with the caller: the member sees 20004's and 20007's
    patients who are also in 20003, and nobody else."""
    lab = {r[0] for r in api.rows("SELECT patient_id FROM patient_organization WHERE organization_id = 20003")}
    seen = {}
    for organization in (20004, 20007):
        page = (await api.get(f"/api/v1/observations?organization_id={organization}&page_size=1000",
                              role="member")).json()
        assert page["count"] > 0 and {o["subjectPatientId"] for o in page["results"]} <= lab
        seen[organization] = page["count"]
    whole_lab = (await api.get("/api/v1/observations?organization_id=20004", role="manager")).json()
    assert seen[20004] < whole_lab["count"]
    assert (await api.get("/api/v1/observations?study_id=30004")).json()["count"] == 0


async def test_silent_and_quiet_patients_exist(api) -> None:
    rows = api.rows("""SELECT p.id, MAX(o.last_updated) FROM patient p
        JOIN study_patient s ON s.patient_id = p.id
        JOIN scope_consent c ON c.study_patient_id = s.id AND c.consented = 1
        LEFT JOIN observation o ON o.subject_patient_id = p.id GROUP BY p.id""")
    latest = sorted(stamp for _, stamp in rows if stamp)
    assert any(stamp is None for _, stamp in rows), "consented patients who never sent data"
    assert latest[0] < latest[-1][:10], "patients whose data stopped days ago"


def _decoded(entry: dict) -> dict:
    return json.loads(base64.b64decode(entry["resource"]["valueAttachment"]["data"]))


@pytest.mark.parametrize("prefix", ["/fhir/r5", "/FHIR/R5"])
async def test_bundle_shape_at_both_paths(api, prefix: str) -> None:
    response = await api.get(f"{prefix}/Observation?patient=40001&_count=3")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset" and bundle["total"] > 3
    assert [link["relation"] for link in bundle["link"]] == ["self", "next"]
    assert f"{prefix}/Observation?" in bundle["link"][1]["url"] and "_page=2" in bundle["link"][1]["url"]
    admin = {o["id"]: o for o in (await api.get("/api/v1/observations?patient_id=40001&page_size=3")).json()["results"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert list(entry) == ["resource"]  # as JHE v0.0.13 writes its entries: no fullUrl
        assert resource["resourceType"] == "Observation" and resource["status"] == "final"
        assert resource["subject"] == {"reference": "Patient/40001"}
        (coding,) = resource["code"]["coding"]
        assert coding["system"] == OMH and coding["code"] == admin[int(resource["id"])]["codingCode"]
        assert resource["valueAttachment"]["contentType"] == "application/json"
        assert _decoded(entry) == admin[int(resource["id"])]["valueAttachmentData"]
        assert "effectiveDateTime" in resource or set(resource["effectivePeriod"]) == {"start", "end"}
    read = await api.get(f"{prefix}/Observation/{bundle['entry'][0]['resource']['id']}",
                         headers={"Accept": "application/fhir+json"})
    assert read.headers["content-type"].startswith("application/fhir+json")
    assert read.json() == bundle["entry"][0]["resource"]


async def test_every_search_parameter(api) -> None:
    steps = (await api.get(f"/FHIR/R5/Observation?patient._has:Group:member:_id=30003&code={OMH}|omh:step-count:3.0"
                           "&_count=1000")).json()
    assert steps["total"] > 0
    assert all(e["resource"]["code"]["coding"][0]["code"] == "omh:step-count:3.0" for e in steps["entry"])
    assert all("effectivePeriod" in e["resource"] for e in steps["entry"])
    start, end = sorted(e["resource"]["effectivePeriod"]["start"] for e in steps["entry"])[10:12]
    window = (await api.get(f"/FHIR/R5/Observation?patient._has:Group:member:_id=30003&code={OMH}|omh:step-count:3.0"
                            f"&date=ge{start[:10]}&date=le{end[:10]}&_count=1000")).json()
    assert 0 < window["total"] < steps["total"]
    assert all(start[:10] <= e["resource"]["effectivePeriod"]["start"][:10] <= end[:10] for e in window["entry"])
    several = (await api.get(f"/FHIR/R5/Observation?patient=40001&code={OMH}|omh:blood-glucose:4.0,"
                             f"{OMH}|omh:blood-pressure:4.0&_count=1")).json()
    only_glucose = (await api.get(f"/FHIR/R5/Observation?patient=40001&code={OMH}|omh:blood-glucose:4.0")).json()
    assert several["total"] > only_glucose["total"] > 0
    nothing = (await api.get("/FHIR/R5/Observation?patient=40001&code=http://loinc.org|8867-4")).json()
    assert nothing["total"] == 0 and nothing["entry"] == []
    paged = (await api.get("/FHIR/R5/Observation?patient=40001&_count=2&_page=2")).json()
    first = (await api.get("/FHIR/R5/Observation?patient=40001&_count=4")).json()
    assert [e["resource"]["id"] for e in paged["entry"]] == [e["resource"]["id"] for e in first["entry"][2:]]
    assert [link["relation"] for link in paged["link"]] == ["self", "previous", "next"]
    capped = (await api.get("/FHIR/R5/Observation?patient.organization=20003&_count=5000")).json()
    assert len(capped["entry"]) == 1000
    summary = (await api.get("/FHIR/R5/Observation?patient=40001&_summary=count")).json()
    assert summary["total"] == first["total"] and summary["entry"] == []
    past = (await api.get("/FHIR/R5/Observation?patient=40001&_page=100000")).json()
    assert past["entry"] == [] and past["total"] == first["total"]
    point = (await api.get(f"/FHIR/R5/Observation?patient=40001&code={OMH}|omh:blood-glucose:4.0&_count=1")).json()
    moment = point["entry"][0]["resource"]["effectiveDateTime"]
    exact = (await api.get(f"/FHIR/R5/Observation?patient=40001&code={OMH}|omh:blood-glucose:4.0"
                           f"&date={moment}")).json()
    assert [e["resource"]["id"] for e in exact["entry"]] == [point["entry"][0]["resource"]["id"]]
    after = (await api.get(f"/FHIR/R5/Observation?patient=40001&date=gt{moment}")).json()
    assert all(e["resource"].get("effectiveDateTime", moment) >= moment for e in after["entry"])


@pytest.mark.parametrize("query, status, diagnostics", [
    ("date=ge2026-13-01", 400, "Invalid date parameter: 'ge2026-13-01'."),
    ("date=sometime", 400, "Invalid date parameter: 'sometime'."),
    ("patient=abc", 400, "Invalid patient parameter: expected a Patient id."),
    ("patient=999999", 404, "Patient/999999 not found."),
    ("patient._has:Group:member:_id=30004", 403, "Current user is not authorized to access Group/30004."),
    ("patient.organization=20007", 403, "Current user is not authorized to access Organization/20007."),
])
async def test_errors_are_operation_outcomes(api, query: str, status: int, diagnostics: str) -> None:
    response = await api.get(f"/FHIR/R5/Observation?{query}", role="member")
    assert response.status_code == status
    assert response.json() == {"resourceType": "OperationOutcome",
                               "issue": [{"severity": "error", "code": "processing", "diagnostics": diagnostics}]}


async def test_fhir_access_and_reads(api) -> None:
    other = api.rows("SELECT subject_patient_id, id FROM observation WHERE subject_patient_id IN"
                                " (SELECT patient_id FROM patient_organization WHERE organization_id = 20007)"
                                " AND subject_patient_id NOT IN (SELECT patient_id FROM patient_organization"
                                " WHERE organization_id = 20003) LIMIT 1")[0]
    refused = await api.get(f"/FHIR/R5/Observation?patient={other[0]}")
    assert refused.status_code == 403
    assert (await api.get(f"/FHIR/R5/Observation/{other[1]}")).status_code == 403
    assert (await api.get("/FHIR/R5/Observation/1")).json()["issue"][0]["diagnostics"] == "Observation/1 not found."
    anonymous = await api.get("/fhir/r5/Observation", role=None)
    assert anonymous.status_code == 401 and anonymous.json()["resourceType"] == "OperationOutcome"
    reference = (await api.get("/FHIR/R5/Observation?patient=Patient/40001&_count=1")).json()
    assert reference["total"] == (await api.get("/FHIR/R5/Observation?patient=40001&_count=1")).json()["total"]
    everything = (await api.get("/FHIR/R5/Observation?_count=1", role="member")).json()
    assert everything["total"] == (await api.get("/api/v1/observations", role="member")).json()["count"]


@pytest.mark.parametrize("own_loop", [False, True])
async def test_search_runs_on_the_loop_only_when_the_process_only_serves(backend, monkeypatch, own_loop: bool) -> None:
    """In process (the console's loop) a page is read in a worker thread; a `serve-demo` process
    (``own_loop``) reads it on its loop, sparing the hop. The answer is the same either way."""
    import threading

    import httpx

    from jhe_tui.backend.app import create_app
    from jhe_tui.backend.routes import fhir

    threads = []
    search = fhir._search

    def watched(request, conn):
        threads.append(threading.current_thread())
        return search(request, conn)

    monkeypatch.setattr(fhir, "_search", watched)
    app = create_app(backend.settings, own_loop=own_loop)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=backend.site_url) as http:
        response = await http.get("/FHIR/R5/Observation?patient=40001&_count=5",
                                  headers={"Authorization": f"Bearer {backend.token_for('manager')}"})
    assert response.status_code == 200 and len(response.json()["entry"]) == 5
    assert len(threads) == 1
    assert (threads[0] is threading.main_thread()) is own_loop
