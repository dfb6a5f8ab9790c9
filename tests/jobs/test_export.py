"""Export: three formats against the embedded backend and against recorded JHE pages, the file
rules (0600, no overwrite without --force, a .partial file on a mid-export failure), CSV formula
neutralization, and the CLI's exit codes."""

from __future__ import annotations

import base64
import csv
import json
import stat
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_recordings import MISSING_REASON, load_exchanges  # noqa: E402

from jhe_tui.api import Generation, JheClient, MockTransport  # noqa: E402
from jhe_tui.api.fhir import decode_attachment  # noqa: E402
from jhe_tui.cli import main  # noqa: E402
from jhe_tui.jobs.export import (  # noqa: E402
    ExportFailed, ExportRefused, OutputOptions, export_observations,
)
from jhe_tui.jobs.observations import ObservationQuery, matching  # noqa: E402
from jhe_tui.jobs.wide_csv import COLUMNS, neutralize  # noqa: E402

ORG, STUDY = 20003, 30001
WIDE = OutputOptions(columns="wide")


def check_fhir_observation(resource: dict) -> dict:
    """The FHIR-shaped check: what an R5 Observation from JHE must carry; returns the OMH payload."""
    assert resource["resourceType"] == "Observation"
    assert resource["id"] and resource["status"] == "final"
    coding = resource["code"]["coding"][0]
    assert coding["system"] and coding["code"]
    assert resource["subject"]["reference"].startswith("Patient/")
    assert "effectiveDateTime" in resource or {"start", "end"} <= set(resource["effectivePeriod"])
    attachment = resource["valueAttachment"]
    assert "json" in attachment["contentType"]
    payload = decode_attachment(attachment["data"])
    assert isinstance(payload, dict) and "body" in payload
    return payload


async def expected(client: JheClient, query: ObservationQuery) -> list:
    return [o async for items, _ in matching(client, query) for o in items]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_csv_values_match_the_decoded_observations(client_for, tmp_path):
    query = ObservationQuery(ORG, study_id=STUDY, since=date(2000, 1, 1))
    out = tmp_path / "study.csv"
    async with client_for() as client:
        result = await export_observations(client, query, "csv", out, options=WIDE)
        wanted = await expected(client, query)
    assert result.count == len(wanted) > 100
    assert mode(out) == 0o600
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    assert [r["id"] for r in rows] == [o.id for o in wanted]
    for row, o in zip(rows, wanted, strict=True):
        assert row["patient_id"] == str(o.subject_patient_id)
        assert row["code_coding_0_code"] == o.coding_code
        assert row["value_text"] == o.value.text
        if o.value.value is not None:
            assert float(row["value"]) == pytest.approx(o.value.value)
        when = row["effective_time_frame_date_time"] or row["effective_time_frame_time_interval_start_date_time"]
        assert datetime.fromisoformat(when) == o.value.effective_start.astimezone(timezone.utc)
        key = o.value.name.replace("-", "_")
        if key == "blood_pressure":
            assert float(row["systolic_blood_pressure_value"]) == o.value.values["systolic"]
            assert float(row["diastolic_blood_pressure_value"]) == o.value.values["diastolic"]
        elif key in {"blood_glucose", "heart_rate", "step_count"}:
            assert float(row[f"{key}_value"]) == o.value.value and row[f"{key}_unit"] == o.value.unit


@pytest.mark.parametrize("page_size", [1000, 3], ids=["one-page", "pages-of-3"])
async def test_ndjson_and_bundle_round_trip(client_for, tmp_path, page_size):
    query = ObservationQuery(ORG, code="omh:blood-glucose:4.0")
    async with client_for() as client:
        wanted = await expected(client, query)
        await export_observations(client, query, "ndjson", tmp_path / "o.ndjson", page_size=page_size)
        await export_observations(client, query, "fhir", tmp_path / "o.json", page_size=page_size)
    lines = (tmp_path / "o.ndjson").read_text().splitlines()
    bundle = json.loads((tmp_path / "o.json").read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert [json.loads(line) for line in lines] == resources
    assert [r["id"] for r in resources] == [o.id for o in wanted] and wanted
    for resource, o in zip(resources, wanted, strict=True):
        assert check_fhir_observation(resource) == o.payload
        assert resource["code"]["coding"][0]["code"] == "omh:blood-glucose:4.0"
    assert mode(tmp_path / "o.ndjson") == mode(tmp_path / "o.json") == 0o600


async def test_refuses_to_overwrite_without_force(client_for, tmp_path):
    out = tmp_path / "exists.csv"
    out.write_text("keep me")
    out.chmod(0o644)
    query = ObservationQuery(ORG, patient_id=40001)
    async with client_for() as client:
        with pytest.raises(ExportRefused, match="already exists"):
            await export_observations(client, query, "csv", out)
        assert out.read_text() == "keep me"
        await export_observations(client, query, "csv", out, force=True)
    assert out.read_text().startswith("resource_type,code,") and mode(out) == 0o600


def test_formula_cells_are_neutralized_numbers_are_not():
    assert neutralize("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert [neutralize(c) for c in ("+1+1", "-2+3", "@SUM(A1)", "\tx")] == ["'+1+1", "'-2+3", "'@SUM(A1)", "'\tx"]
    assert neutralize("-5.5") == "-5.5" and neutralize(-5) == -5 and neutralize("plain") == "plain"


def fhir_handler(payloads, fail_on_page=None):
    """A FHIR server of Bundles with one observation per page; fails with a 500 on one page."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return httpx.Response(200, json={"status": "ok", "version": "v0.0.13"})
        page = int(request.url.params.get("_page", 1))
        if page == fail_on_page:
            return httpx.Response(500, html="<html><title>boom</title></html>")
        payload = payloads[page - 1]
        resource = {
            "resourceType": "Observation", "id": str(page), "status": "final",
            "code": {"coding": [{"system": "https://w3id.org/openmhealth", "code": "omh:heart-rate:2.0"}]},
            "subject": {"reference": "Patient/40001"}, "effectiveDateTime": "2026-01-01T00:00:00Z",
            "valueAttachment": {"contentType": "application/json",
                                "data": base64.b64encode(json.dumps(payload).encode()).decode()},
        }
        links = [{"relation": "next", "url": "x"}] if page < len(payloads) else []
        return httpx.Response(200, json={"resourceType": "Bundle", "total": len(payloads),
                                         "entry": [{"resource": resource}], "link": links})

    return handle


async def test_a_server_error_mid_export_leaves_a_partial_file(tmp_path):
    payloads = [{"body": {"heart_rate": {"value": 60 + i, "unit": "beats/min"}}} for i in range(5)]
    out = tmp_path / "hr.csv"
    transport = MockTransport(fhir_handler(payloads, fail_on_page=4))
    async with JheClient("http://jhe.test", "t", transport=transport, max_retries=0) as client:
        with pytest.raises(ExportFailed) as failed:
            await export_observations(client, ObservationQuery(ORG), "csv", out, page_size=1)
    message = str(failed.value)
    partial = failed.value.partial
    assert "stopped after 3 observations" in message and str(partial) in message
    assert message.count(".") >= 1 and "\n" not in message and "<" not in message
    assert not out.exists()
    assert partial.name.startswith("hr.csv.") and partial.name.endswith(".partial") and mode(partial) == 0o600
    assert len(partial.read_text().splitlines()) == 4  # header + 3 rows


async def test_an_unreadable_payload_is_exported_raw_not_a_crash(tmp_path):
    payloads = [{"body": {"heart_rate": {"value": 61, "unit": "beats/min"}}}, {"body": "not an omh body"}]
    async with JheClient("http://jhe.test", "t", transport=MockTransport(fhir_handler(payloads))) as client:
        await export_observations(client, ObservationQuery(ORG), "csv", tmp_path / "x.csv", page_size=1, options=WIDE)
        await export_observations(client, ObservationQuery(ORG), "ndjson", tmp_path / "x.ndjson", page_size=1)
    rows = list(csv.DictReader((tmp_path / "x.csv").open(newline="")))
    assert rows[0]["heart_rate_value"] == "61" and rows[1]["value_text"] == "(unreadable payload)"
    second = json.loads((tmp_path / "x.ndjson").read_text().splitlines()[1])
    assert decode_attachment(second["valueAttachment"]["data"]) == payloads[1]


# --- recorded JHE pages ---------------------------------------------------------------------------

EXCHANGES = load_exchanges()


def recorded(version: str, label: str):
    return next(e for e in EXCHANGES if e.version == version and e.label == label)


def replay(routes: dict[str, object], generation_health: bool):
    seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, dict(request.url.params)))
        if request.url.path == "/health":
            if generation_health:
                return httpx.Response(200, json={"status": "ok", "version": "v0.0.13"})
            return httpx.Response(404, html="<html><title>Page not found</title></html>")
        if request.url.path == "/api/v1/studies/30001":  # the study check before exporting
            return httpx.Response(200, json={"id": 30001, "name": "BP & HR", "organization": {"id": 20003}})
        if request.url.path == "/api/v1/data_sources/all_scopes":  # the data type check before exporting
            return httpx.Response(200, json=[{"id": 50002, "codingSystem": "https://w3id.org/openmhealth",
                                              "codingCode": "omh:blood-pressure:4.0", "text": "Blood pressure"}])
        exchange = routes[request.url.path]
        return httpx.Response(exchange.status, headers={"content-type": exchange.content_type},
                              content=exchange.body.encode())

    return handle, seen


@pytest.mark.skipif(not EXCHANGES, reason=MISSING_REASON)
@pytest.mark.parametrize("fmt", ["csv", "ndjson", "fhir"])
async def test_recorded_v007_admin_pages(tmp_path, fmt):
    """v0.0.7: the admin list, code and dates filtered here, FHIR resources built from it."""
    exchange = recorded("v0.0.7", "observations list (guide params, seeded peter)")
    handle, seen = replay({"/api/v1/observations": exchange}, generation_health=False)
    query = ObservationQuery(20003, study_id=30001, code="omh:blood-pressure:4.0", since=date(2020, 1, 1))
    out = tmp_path / f"v7.{fmt}"
    async with JheClient("http://jhe.test", "t", transport=MockTransport(handle)) as client:
        assert (await client.server_info()).generation is Generation.LEGACY
        result = await export_observations(client, query, fmt, out)
    # Only the parameters v0.0.7 knows were sent (it answers 500 to any other).
    assert seen[-1] == ("/api/v1/observations", {"organization_id": "20003", "study_id": "30001", "page_size": "1000"})
    items = [i for i in exchange.json["results"] if i["codingCode"] == "omh:blood-pressure:4.0"]
    assert result.count == len(items) > 0
    check_exported(out, fmt, [(str(i["id"]), i["valueAttachmentData"]) for i in items])


@pytest.mark.skipif(not EXCHANGES, reason=MISSING_REASON)
@pytest.mark.parametrize("fmt", ["csv", "ndjson", "fhir"])
async def test_recorded_v0013_fhir_bundle(tmp_path, fmt):
    """v0.0.13: a FHIR search with the filters on the server, resources passed through."""
    exchange = recorded("v0.0.13", "FHIR Observation /FHIR/R5")
    handle, seen = replay({"/FHIR/R5/Observation": exchange}, generation_health=True)
    query = ObservationQuery(20003, study_id=30001, patient_id=40001)
    out = tmp_path / f"v13.{fmt}"
    async with JheClient("http://jhe.test", "t", transport=MockTransport(handle)) as client:
        result = await export_observations(client, query, fmt, out)
    path, params = seen[-1]
    assert path == "/FHIR/R5/Observation" and params["patient.organization"] == "20003"
    assert params["_count"] == "1000" and params["patient"] == "40001"
    resources = [e["resource"] for e in exchange.json["entry"]]
    assert result.count == len(resources) > 0
    check_exported(out, fmt, [(r["id"], decode_attachment(r["valueAttachment"]["data"])) for r in resources])
    if fmt == "ndjson":
        assert [json.loads(line) for line in out.read_text().splitlines()] == resources


def check_exported(out: Path, fmt: str, wanted: list[tuple[str, dict]]) -> None:
    if fmt == "csv":
        rows = list(csv.DictReader(out.open(newline="")))
        assert [r["id"] for r in rows] == [i for i, _ in wanted]
        for row, (_, payload) in zip(rows, wanted, strict=True):
            body = payload["body"]
            for key, item in body.items():
                if isinstance(item, dict) and "value" in item and f"{key}_value" in row:
                    assert float(row[f"{key}_value"]) == item["value"]
                    assert row[f"{key}_unit"] == item["unit"]
        return
    if fmt == "ndjson":
        resources = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        resources = [e["resource"] for e in json.loads(out.read_text())["entry"]]
    assert [r["id"] for r in resources] == [i for i, _ in wanted]
    for resource, (_, payload) in zip(resources, wanted, strict=True):
        assert check_fhir_observation(resource) == payload


# --- the command line -----------------------------------------------------------------------------


def test_cli_exit_codes(tmp_path, capsys):
    out = tmp_path / "cli.ndjson"
    args = ["export", "observations", "--demo", "--org", str(ORG), "--patient", "40001", "--format", "ndjson", "-o"]
    assert main([*args, str(out)]) == 0
    assert out.read_text() and mode(out) == 0o600
    assert main([*args, str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*args, str(out), "--since", "2026-02-01", "--until", "2026-01-01", "--force"]) == 2
    assert "starts after it ends" in capsys.readouterr().err
    assert main([*args, str(out), "--since", "yesterday", "--force"]) == 2
    assert main([*args, str(tmp_path / "missing" / "x.ndjson")]) == 2
    capsys.readouterr()
    # An unknown patient: the server refuses, the export fails (1) with one sentence.
    # A study of another organization: refused by name, nothing written.
    study_elsewhere = ["export", "observations", "--demo", "--org", "20004", "--study", str(STUDY), "--format", "csv"]
    assert main([*study_elsewhere, "-o", str(tmp_path / "s.csv")]) == 2
    assert f"Study {STUDY} belongs to organization {ORG}, not 20004." in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()
    base = ["export", "observations", "--demo", "--org", str(ORG), "--patient", "49999", "--format", "csv", "-o"]
    assert main([*base, str(tmp_path / "u.csv")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("jhe-tui: ") and "\n" not in err and "49999" in err
    assert not (tmp_path / "u.csv").exists() and not list(tmp_path.glob("u.csv*.partial"))



def test_cli_progress_bar_on_a_terminal_and_none_when_quiet(tmp_path, monkeypatch, capsys):
    args = ["export", "observations", "--demo", "--org", str(ORG), "--format", "csv", "-o"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main([*args, str(tmp_path / "bar.csv")]) == 0
    assert "Exported" in capsys.readouterr().err and (tmp_path / "bar.csv").read_text().count("\n") > 100
    assert main([*args, str(tmp_path / "quiet.csv"), "--quiet"]) == 0
    quiet = capsys.readouterr().err
    assert quiet.startswith("Exported") and quiet.count("\n") == 1 and "\x1b" not in quiet  # the summary only
    assert (tmp_path / "quiet.csv").read_text().count("\n") > 100

@pytest.mark.skipif(not EXCHANGES, reason=MISSING_REASON)
async def test_recorded_v007_fhir_page_for_one_patient(tmp_path):
    """v0.0.7 with a patient: its FHIR search (a DRF page of resources, base64 with newlines);
    the date range is applied here because that server has no ``date`` parameter."""
    exchange = recorded("v0.0.7", "FHIR Observation /fhir/r5 (guide shape, real ids)")
    handle, seen = replay({"/fhir/r5/Observation": exchange}, generation_health=False)
    query = ObservationQuery(20003, study_id=30001, patient_id=40001, since=date(2020, 1, 1), until=date(2099, 1, 1))
    out = tmp_path / "v7p.ndjson"
    async with JheClient("http://jhe.test", "t", transport=MockTransport(handle)) as client:
        result = await export_observations(client, query, "ndjson", out)
    path, params = seen[-1]
    assert path == "/fhir/r5/Observation" and "date" not in params and params["patient"] == "40001"
    resources = [w["resource"] for w in exchange.json["results"]]
    assert result.count == len(resources) > 0
    check_exported(out, "ndjson", [(r["id"], decode_attachment(r["valueAttachment"]["data"])) for r in resources])


def test_cli_code_by_bare_name_and_unknown_codes(tmp_path, capsys):
    """``--code blood-pressure`` is the server's omh:blood-pressure:4.0; a code the server does not
    know is an error that lists those it knows, not an empty file."""
    args = ["export", "observations", "--demo", "--org", str(ORG), "--patient", "40001", "--format", "csv", "--quiet"]
    out = tmp_path / "bp.csv"
    assert main([*args, "--code", "blood-pressure", "-o", str(out)]) == 0
    with out.open(newline="") as f:
        exported = list(csv.DictReader(f))
    assert exported and {r["code_coding_0_code"] for r in exported} == {"omh:blood-pressure:4.0"}
    capsys.readouterr()
    for same in ("Blood-Pressure", "omh:blood-pressure", "https://w3id.org/openmhealth|omh:blood-pressure:4.0"):
        assert main([*args, "--code", same, "-o", str(tmp_path / "same.csv"), "--force"]) == 0
        assert (tmp_path / "same.csv").read_text() == out.read_text()
    capsys.readouterr()
    assert main([*args, "--code", "blood-pressur", "-o", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert "blood-pressur" in err and "omh:blood-pressure:4.0" in err and "omh:heart-rate:2.0" in err
    assert err.count("\n") == 1 and not (tmp_path / "none.csv").exists()
