"""No control character is stored: any text of a request body holding C0 (but tab), DEL or C1
is refused with a 400 in DRF's field-error shape, and nothing is written."""

from __future__ import annotations

import pytest

NAMES = ("\x1b]0;PWNED\x1b\\x", "\x1b[2J", "\x1b]52;c;cHduZWQ=\x1b\\x",
         "\x1b]8;;http://evil.example/\x1b\\x\x1b]8;;\x1b\\", "C1\u009b2J", "nul\x00", "del\x7f", "two\nlines")
MESSAGE = "This field may not contain control characters."
PATIENT = {"telecomEmail": "ctl@example.org", "nameFamily": "Smith", "nameGiven": "John", "birthDate": "1980-01-01",
           "organizationId": 20003}


@pytest.mark.parametrize("name", NAMES)
async def test_a_new_patient_with_a_control_character_is_refused_and_not_stored(api, name) -> None:
    response = await api.post("/api/v1/patients", json={**PATIENT, "nameFamily": name, "identifier": f"M{name}"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"nameFamily": [MESSAGE], "identifier": [MESSAGE]}
    assert api.value("SELECT count(*) FROM jhe_user WHERE email = 'ctl@example.org'") == 0


async def test_an_edit_with_a_control_character_is_refused_and_the_record_kept(api) -> None:
    created = await api.create_patient("keep.me@example.org")
    path = f"/api/v1/patients/{created['id']}?organization_id=20003"
    response = await api.patch(path, json={"nameGiven": "Jo\x9b2J", "telecomPhone": "555\x1b[2J"})
    assert response.status_code == 400
    assert response.json() == {"nameGiven": [MESSAGE], "telecomPhone": [MESSAGE]}
    assert api.rows("SELECT name_given, telecom_phone FROM patient WHERE id = ?", created["id"]) == [
        ("John", None)]


async def test_nested_texts_and_field_names_are_checked_too(api) -> None:
    nested = await api.post("/api/v1/patients", json={**PATIENT, "identifiers": [{"value": "\x1b[2J"}]})
    assert nested.status_code == 400 and nested.json() == {"identifiers": [MESSAGE]}
    key = await api.post("/api/v1/patients", json={**PATIENT, "name\x1bFamily": "x"})
    assert key.status_code == 400 and list(key.json()) == ["nonFieldErrors"]


async def test_a_tab_and_ordinary_unicode_are_accepted(api) -> None:
    created = await api.create_patient("tab@example.org", nameFamily="Núñez\tGarcía", nameGiven="Zoë")
    assert created["nameFamily"] == "Núñez\tGarcía"
