"""The export's shapes as other tools read them: the Bundle and NDJSON validated with fhir.resources'
R5 models, Patient.ndjson beside the observations, the tidy CSV compared with jupyterhealth-client's
``tidy_observation`` output (tests/fixtures/tidy, made by its make_fixture.py), spreadsheet safety."""

from __future__ import annotations

import base64
import csv
import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.observation import Observation
from fhir.resources.patient import Patient

from jhe_tui.api import JheClient, MockTransport
from jhe_tui.jobs.export import ExportRefused, OutputOptions, export_observations
from jhe_tui.jobs.observations import ObservationQuery

ORG = 20003
TIDY = Path(__file__).resolve().parents[1] / "fixtures" / "tidy"


def serving(resources: list[dict]):
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return httpx.Response(200, json={"status": "ok", "version": "v0.0.13"})
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "total": len(resources),
                                         "entry": [{"resource": r} for r in resources], "link": []})

    return MockTransport(handle)


async def test_bundle_validates_as_r5_with_full_urls_and_a_timestamp(client_for, tmp_path):
    query = ObservationQuery(ORG, patient_id=40001)
    async with client_for() as client:
        await export_observations(client, query, "fhir", tmp_path / "a.json")
        await export_observations(client, query, "fhir", tmp_path / "b.json")
    data = json.loads((tmp_path / "a.json").read_text())
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection" and bundle.timestamp is not None and datetime.fromisoformat(data["timestamp"])
    urls = [entry["fullUrl"] for entry in data["entry"]]
    assert urls and all(u.startswith("urn:uuid:") for u in urls) and len(set(urls)) == len(urls)
    again = json.loads((tmp_path / "b.json").read_text())
    assert [e["fullUrl"] for e in again["entry"]] == urls  # the same resource, the same fullUrl


async def test_ndjson_with_patients_validates_as_r5(client_for, tmp_path):
    out = tmp_path / "Observation.ndjson"
    async with client_for() as client:
        result = await export_observations(client, ObservationQuery(ORG, study_id=30001), "ndjson", out,
                                           options=OutputOptions(with_patients=True))
    observations = [Observation.model_validate_json(line) for line in out.read_text().splitlines()]
    patients = [Patient.model_validate_json(line) for line in (tmp_path / "Patient.ndjson").read_text().splitlines()]
    assert len(observations) == result.count > 0 and result.patients == len(patients) > 0
    assert {o.subject.reference for o in observations} == {f"Patient/{p.id}" for p in patients}
    assert all(p.name and p.telecom for p in patients)
    assert (tmp_path / "Patient.ndjson").stat().st_mode & 0o777 == 0o600


async def test_with_patients_needs_ndjson_to_a_file(client_for, tmp_path):
    async with client_for() as client:
        with pytest.raises(ExportRefused, match="with-patients"):
            await export_observations(client, ObservationQuery(ORG), "csv", tmp_path / "x.csv",
                                      options=OutputOptions(with_patients=True))


def _same(cell: str, wanted) -> bool:
    if wanted is None:
        return cell == ""
    if isinstance(wanted, dict):
        return datetime.fromisoformat(cell) == datetime.fromisoformat(wanted["timestamp"])
    if isinstance(wanted, (int, float)):
        return float(cell) == wanted
    return cell == wanted


async def test_tidy_csv_matches_tidy_observation(tmp_path):
    resources = json.loads((TIDY / "observations.json").read_text())
    expected = json.loads((TIDY / "tidy_expected.json").read_text())
    out = tmp_path / "tidy.csv"
    async with JheClient("http://jhe.test", "t", transport=serving(resources)) as client:
        await export_observations(client, ObservationQuery(ORG), "csv", out)
    rows = list(csv.reader(out.open(newline="")))
    assert rows[0] == expected["columns"]
    assert len(rows) - 1 == len(expected["rows"]) == len(resources)
    for row, wanted in zip(rows[1:], expected["rows"], strict=True):
        for column, cell, value in zip(rows[0], row, wanted, strict=True):
            assert _same(cell, value), (column, cell, value)


async def test_tidy_csv_of_one_type_has_only_its_columns(client_for, tmp_path):
    out = tmp_path / "glucose.csv"
    async with client_for() as client:
        await export_observations(client, ObservationQuery(ORG, code="omh:blood-glucose:4.0"), "csv", out)
    rows = list(csv.DictReader(out.open(newline="")))
    assert rows and "blood_glucose_value" in rows[0] and "systolic_blood_pressure_value" not in rows[0]
    assert all(any(r[c] for r in rows) for c in rows[0])  # every column has data


@pytest.mark.parametrize("safe", [True, False])
async def test_spreadsheet_safety_touches_text_formulas_only(tmp_path, safe):
    payload = {"body": {"body_temperature": {"value": -1.5, "unit": "°C"}, "note": "-1.5 °C", "cmd": "=1+1"}}
    resource = {"resourceType": "Observation", "id": "1", "status": "final",
                "code": {"coding": [{"system": "https://w3id.org/openmhealth", "code": "omh:body-temperature:4.0"}]},
                "subject": {"reference": "Patient/40001"},
                "valueAttachment": {"contentType": "application/json",
                                    "data": base64.b64encode(json.dumps(payload).encode()).decode()}}
    out = tmp_path / "t.csv"
    async with JheClient("http://jhe.test", "t", transport=serving([resource])) as client:
        await export_observations(client, ObservationQuery(ORG), "csv", out,
                                  options=OutputOptions(spreadsheet_safe=safe))
    row = next(csv.DictReader(out.open(newline="")))
    assert row["body_temperature_value"] == "-1.5"  # a number is never a formula
    assert (row["note"], row["cmd"]) == (("'-1.5 °C", "'=1+1") if safe else ("-1.5 °C", "=1+1"))


def test_cli_flags_and_json_summary(tmp_path, capsys):
    from jhe_tui.cli import main

    args = ["export", "observations", "--demo", "--org", str(ORG), "--patient", "40001", "--quiet", "--json"]
    out = tmp_path / "Observation.ndjson"
    assert main([*args, "--format", "ndjson", "--with-patients", "-o", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out.strip())
    assert summary["status"] == "ok" and summary["exit"] == 0 and summary["file"] == str(out)
    assert summary["count"] == len(out.read_text().splitlines()) > 0 and summary["patients"] == 1
    assert summary["patients_file"] == str(tmp_path / "Patient.ndjson")
    assert main([*args, "--format", "csv", "--columns", "wide", "--no-spreadsheet-safe", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("id,patient_id,") and "'" not in captured.out.split("\n")[1][:12]
    assert json.loads(captured.err.strip().splitlines()[-1])["file"] == "-"  # stdout holds the data
    assert main([*args, "--format", "csv", "--with-patients", "-o", str(tmp_path / "p.csv")]) == 2
    failed = capsys.readouterr()
    assert json.loads(failed.out)["status"] == "usage" and "with-patients" in failed.err


def test_import_json_summary_is_the_last_stdout_line(tmp_path, capsys):
    from jhe_tui.cli import main

    source = tmp_path / "p.csv"
    source.write_text("email,last_name,first_name,dob,phone,external_id\n"
                      "json.summary@example.org,Summary,Jay,1980-02-03,,\nnot-an-email,X,Y,1980-02-03,,\n")
    report = tmp_path / "r.csv"
    assert main(["import", str(source), "--demo", "--org", str(ORG), "--report", str(report), "--json"]) == 1
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["command"] == "import" and line["exit"] == 1 and line["status"] == "failed"
    assert line["rows"] == 2 and line["created"] == 1 and line["invalid"] == 1 and line["report"] == str(report)
