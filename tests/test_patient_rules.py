"""One validation of a patient's fields (issue 15 item 2): what the importer lets through, the
client's draft, the embedded backend and the patient form all accept, and what one refuses they
all refuse. The form's side is in tests/ui/test_edit.py."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from jhe_tui import patient_rules
from jhe_tui.api import PatientDraft
from jhe_tui.backend import DemoBackend
from jhe_tui.jobs.imports import read_source

GOOD = {"email": "new.one@example.org", "family": "Okafor", "given": "Ada", "birth_date": "1980-01-31",
        "phone": "+1 (555) 010-2030", "external_id": "MRN-77"}
BAD = [
    ("phone", "abc"),
    ("phone", "((((((("),
    ("email", "a@b"),
    ("birth_date", "1880-01-01"),
    ("birth_date", "2999-01-01"),
    ("birth_date", "1980-02-30"),
    ("family", ""),
    ("given", "x" * 300),
]
WIRE = {"email": "telecomEmail", "family": "nameFamily", "given": "nameGiven", "birth_date": "birthDate",
        "phone": "telecomPhone", "external_id": "identifier"}


def importer_problems(tmp_path, values: dict[str, str]) -> str:
    path = tmp_path / "one.csv"
    order = ("email", "family", "given", "birth_date", "phone", "external_id")
    path.write_text("email,last_name,first_name,dob,phone,external_id\n" + ",".join(values[k] for k in order) + "\n")
    return read_source(path, today=date(2026, 6, 1)).rows[0].reason


def draft_problems(values: dict[str, str]) -> dict:
    fields = {k: (v or None) for k, v in values.items() if k != "email"}
    try:
        draft = PatientDraft(email=values["email"], **fields)
    except ValueError as exc:  # pydantic refuses a date that does not exist
        return {"birth_date": [str(exc)]}
    return draft.problems(birth_date_required=True)


async def backend_answer(tmp_path, values: dict[str, str]) -> httpx.Response:
    backend = DemoBackend(tmp_path / "demo")
    body = {WIRE[k]: v for k, v in values.items()} | {"organizationId": 20003}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url=backend.site_url) as http:
        return await http.post("/api/v1/patients", json=body,
                               headers={"Authorization": f"Bearer {backend.token_for('manager')}"})


async def test_a_good_patient_passes_everywhere(tmp_path):
    assert patient_rules.problems(GOOD) == {}
    assert importer_problems(tmp_path, GOOD) == ""
    assert draft_problems(GOOD) == {}
    assert (await backend_answer(tmp_path, GOOD)).status_code == 201


@pytest.mark.parametrize(("name", "value"), BAD)
async def test_what_one_refuses_every_one_refuses(tmp_path, name, value):
    values = {**GOOD, name: value}
    assert name in patient_rules.problems(values, today=date(2026, 6, 1))
    assert importer_problems(tmp_path, values) != ""
    if not (name == "family" or (name == "birth_date" and value == "1980-02-30")):
        assert name in draft_problems(values)  # the draft takes a missing name as None; a bad date never builds
    answer = await backend_answer(tmp_path, values)
    assert answer.status_code == 400 and WIRE[name] in answer.json(), answer.text


def test_the_rules_import_nothing_of_the_package():
    """The backend and the client both import them: they may import neither."""
    source = (patient_rules.__file__ and open(patient_rules.__file__).read())
    assert "import jhe_tui" not in source and "from jhe_tui" not in source and "from ." not in source
