"""Text from a server is made visible where it enters the client: every string of every model
(nested too), every error message and every OAuth refusal; terminal controls become marks."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest

from jhe_tui.api import Observation, Patient, PatientConsents, ServerInfo, UserProfile
from jhe_tui.api.errors import error_from_response
from jhe_tui.api.fhir import observation_from_resource
from jhe_tui.api.generation import Generation
from jhe_tui.api.oauth import Endpoints, LoginFailed, PkceLogin, exchange_code
from jhe_tui.api.text import has_control, visible, visible_tree

# Anything that would reach the terminal as a control: C0 but tab, DEL, C1.
RAW = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
ESC_NAMES = ("\x1b]0;PWNED\x1b\\x", "\x1b[2J", "\x1b]52;c;cHduZWQ=\x1b\\x",
             "\x1b]8;;http://evil.example/\x1b\\x\x1b]8;;\x1b\\", "C1\u009b2J")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;PWNED\x1b\\x", "␛]0;PWNED␛\\x"),
        ("\x1b[2J", "␛[2J"),
        ("\x1b]52;c;cHduZWQ=\x07", "␛]52;c;cHduZWQ=␇"),
        ("C1\u009b2J", "C1\ufffd2J"),
        ("a\x00b\x7fc", "a␀b␡c"),
        ("two\nlines\r", "two␊lines␍"),
        ("tab\tkept", "tab\tkept"),
        ("evil\u202eadm.exe", "evil\ufffdadm.exe"),  # a bidi override, shown instead of reordering
        ("iso\u2066late\u2069", "iso\ufffdlate\ufffd"),
        ("line\u2028sep\u2029", "line\ufffdsep\ufffd"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("Núñez, عائشة\u200f, 👩\u200d⚕️", "Núñez, عائشة\u200f, 👩\u200d⚕️"),  # RLM and ZWJ kept
    ],
)
def test_visible_shows_each_terminal_control_as_a_mark(raw, shown):
    assert visible(raw) == shown
    assert visible(shown) == shown  # marks are not controls: cleaning twice changes nothing
    assert not RAW.search(visible(raw))


def test_clean_text_is_returned_as_is_and_trees_are_not_copied():
    text = "Smith"
    assert visible(text) is text
    tree = {"body": {"unit": "steps", "values": [1, "x"]}}
    assert visible_tree(tree) is tree
    assert visible_tree({"k\x1b": ["\x9b"]}) == {"k␛": ["\ufffd"]}


def test_the_input_rule_refuses_controls_but_tab():
    assert all(has_control(name) for name in ESC_NAMES)
    assert has_control("a\nb") and has_control("\x7f") and has_control("\x85")
    assert not has_control("O'Neil\tJr") and not has_control("Núñez")


@pytest.mark.parametrize("name", ESC_NAMES)
def test_every_string_of_a_patient_nested_too_is_visible(name):
    patient = Patient.model_validate({
        "id": 1, "nameFamily": name, "nameGiven": name, "telecomEmail": name, "telecomPhone": name,
        "identifiers": [{"system": name, "value": name}], "organizations": [{"id": 2, "name": name}],
    })
    assert not RAW.search(repr(patient.model_dump()))
    assert patient.name_family == visible(name) and patient.organizations[0].name == visible(name)
    assert patient.identifiers[0].value == visible(name)
    legacy = Patient.model_validate({"id": 1, "identifier": name})  # v0.0.7's single identifier
    assert legacy.external_ids == visible(name)


def test_consents_profile_and_server_version_are_visible():
    consents = PatientConsents.model_validate({
        "studiesPendingConsent": [{
            "id": 3, "name": "Study\x1b[2J", "organization": {"id": 2, "name": "Lab\x9b"},
            "dataSources": [{"name": "Ring\x07"}],
            "pendingScopeConsents": [{"code": {"codingSystem": "s", "codingCode": "c", "text": "Glucose\x1b]8;;x\x1b\\"}}],
        }],
    })
    study = consents.pending[0]
    assert (study.name, study.organization.name, study.data_sources[0].name) == ("Study␛[2J", "Lab\ufffd", "Ring␇")
    assert study.scopes[0].code.display == "Glucose␛]8;;x␛\\"
    profile = UserProfile.model_validate({"email": "m@x.org", "firstName": "\x1b[2J", "settings": {"k": "\x1b"}})
    assert profile.display_name == "␛[2J" and profile.settings == {"k": "␛"}
    assert ServerInfo(generation=Generation.CURRENT, version="0.0.13\x1b]0;x\x07").describe() == "JHE 0.0.13␛]0;x␇"


def test_observation_payloads_values_and_fhir_resources_are_visible():
    payload = {"header": {"schema_id": {"namespace": "omh", "name": "blood-glucose", "version": "4.0"}},
               "body": {"blood_glucose": {"value": 98, "unit": "mg/dL\x1b[6n"},
                        "temporal_relationship_to_meal": "fasting\u009b2J"}}
    observation = Observation.model_validate({"id": 1, "codingText": "Glucose\x1b[2J", "omhData": payload})
    assert observation.coding_text == "Glucose␛[2J"
    assert observation.value.text == "98 mg/dL␛[6n (fasting\ufffd2J)"
    assert not RAW.search(repr(observation.payload))
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    fhir = observation_from_resource({
        "id": "9", "code": {"coding": [{"system": "s", "code": "omh:blood-glucose:4.0", "display": "G\x1b[2J"}]},
        "valueAttachment": {"data": data},
    })
    assert fhir.coding_display == "G␛[2J" and fhir.value.text == "98 mg/dL␛[6n (fasting\ufffd2J)"
    assert not RAW.search(repr(fhir.payload))
    # The resource itself is kept as sent, for export files (v0.0.7's base64 has line breaks).
    assert fhir.resource["code"]["coding"][0]["display"] == "G\x1b[2J"


@pytest.mark.parametrize(
    "body",
    [
        '{"detail": "No \\u001b]0;PWNED\\u0007 here \\u009b2J"}',
        '["No \\u001b]0;PWNED\\u0007 here \\u009b2J"]',
        '{"error": "invalid_request", "error_description": "No \\u001b]0;PWNED\\u0007 here \\u009b2J"}',
        '{"resourceType": "OperationOutcome", "issue": [{"diagnostics": "No \\u001b]0;PWNED\\u0007 here \\u009b2J"}]}',
        '{"nameFamily\\u001b[2J": ["No \\u001b]0;PWNED\\u0007 here \\u009b2J"]}',
    ],
)
def test_error_messages_quote_the_server_with_marks(body):
    error = error_from_response(400, "application/json", body, "saving the patient")
    assert "␛]0;PWNED␇ here \ufffd2J" in error.message
    assert not RAW.search(error.message) and not RAW.search(error.detail or "")
    assert all(not RAW.search(name + " ".join(texts)) for name, texts in getattr(error, "field_errors", {}).items())


def _endpoints() -> Endpoints:
    return Endpoints("https://jhe.example.org", "https://jhe.example.org/o/authorize/",
                     "https://jhe.example.org/o/token/", "https://jhe.example.org/o/revoke_token/")


def test_a_callback_error_description_is_quoted_with_marks():
    login = PkceLogin.for_console(_endpoints(), "cid")
    with pytest.raises(LoginFailed) as refused:
        login.code_from("https://jhe.example.org/auth/callback?error=access_denied"
                        "&error_description=%1B%5D52%3Bc%3BcHduZWQ%3D%07%C2%9B")
    assert "␛]52;c;cHduZWQ=␇\ufffd" in refused.value.message and not RAW.search(refused.value.message)


async def test_a_token_refusal_is_quoted_with_marks():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "weird\x1b]0;PWNED\x07", "error_description": "\x9b2J"})

    login = PkceLogin.for_console(_endpoints(), "cid")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(LoginFailed) as refused:
            await exchange_code(http, login, "CODE" * 8)
    assert "weird␛]0;PWNED␇" in refused.value.message and not RAW.search(refused.value.message)
