"""Every error shape JHE produces becomes one readable sentence of the right class."""

from __future__ import annotations

import pytest
from api_fakes import FakeJhe, make_client
from pydantic import ValidationError

from jhe_tui.api import (
    Conflict,
    Forbidden,
    InvalidInput,
    JheError,
    NetworkFailure,
    NotFound,
    PatientDraft,
    ServerFailure,
    Unauthenticated,
)
from jhe_tui.api.errors import error_from_response, invalid_input_from_validation
from jhe_tui.api.http import Request, Response, TimeoutException, TransportError

DEBUG_PAGE = (
    "<!DOCTYPE html><html><head><title>IntegrityError at /api/v1/patients</title></head>"
    "<body><h1>IntegrityError at /api/v1/patients</h1><p>duplicate key value john@example.com</p></body></html>"
)


def test_html_500_becomes_a_sentence_about_what_we_were_doing():
    error = error_from_response(500, "text/html; charset=utf-8", DEBUG_PAGE, "creating the patient")
    assert isinstance(error, ServerFailure)
    assert error.message == "The server failed (HTTP 500) while creating the patient."
    assert error.status == 500 and error.detail is None


def test_html_body_is_recognised_even_when_labelled_json():
    error = error_from_response(502, "application/json", "<html><body>Bad gateway</body></html>", "listing patients")
    assert error.message == "The server failed (HTTP 502) while listing patients."


def test_html_404_says_the_server_lacks_the_operation():
    error = error_from_response(
        404, "text/html", "<html><title>Page not found</title></html>", "generating the invitation link"
    )
    assert isinstance(error, NotFound)
    assert error.message == (
        "Generating the invitation link failed: the server does not offer this (HTTP 404); "
        "it may run a different JHE version."
    )


def test_field_errors_are_keyed_by_our_field_names():
    body = (
        '{"birthDate":["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],'
        '"nameGiven":["Too long."]}'
    )
    error = error_from_response(400, "application/json", body, "updating the patient")
    assert isinstance(error, InvalidInput)
    assert error.field_errors == {
        "birth_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
        "given": ["Too long."],
    }
    assert error.message == (
        "Updating the patient failed: birth date: Date has wrong format. Use one of these formats instead: "
        "YYYY-MM-DD.; given: Too long."
    )


def test_snake_case_client_id_error_keeps_its_name():
    error = error_from_response(400, "application/json", '{"client_id":["This field is required."]}', "inviting")
    assert error.field_errors == {"client_id": ["This field is required."]}


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (400, '["email parameter required"]', InvalidInput, "email parameter required"),
        (401, '{"detail":"Authentication credentials were not provided."}', Unauthenticated, "not provided"),
        (403, '{"detail":"Practitioner role is not valid."}', Forbidden, "Practitioner role is not valid."),
        (404, '{"detail":"No Patient matches the given query."}', NotFound, "No Patient matches"),
        (400, '{"error": "invalid_grant"}', InvalidInput, "invalid_grant"),
        (409, '{"detail":"Invitation has already been used."}', Conflict, "already been used"),
        (410, '{"detail":"Invitation has expired."}', NotFound, "expired"),
        (
            403,
            '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing",'
            '"diagnostics":"Current user is not authorized to access Patient/40003."}]}',
            Forbidden,
            "not authorized to access Patient/40003",
        ),
    ],
)
def test_json_error_shapes(status, body, kind, text):
    error = error_from_response(status, "application/json", body, "doing it")
    assert type(error) is kind
    assert text in error.message and error.message.startswith("Doing it failed: ")
    assert error.status == status


@pytest.mark.parametrize(
    "text",
    [
        "Could not save the patient because of a data conflict. Please check the values and try again.",
        "This patient is already a member of this organization.",
        "The external identifier urn:mrn|MRN-9 is already in use by another patient.",
    ],
)
def test_known_conflict_400s_are_conflicts(text):
    error = error_from_response(400, "application/json", f'["{text}"]', "creating the patient")
    assert isinstance(error, Conflict) and isinstance(error, JheError)


def test_email_addresses_and_markup_never_reach_a_message():
    body = '{"detail":"User <b>john.smith@example.com</b> exists"}'
    error = error_from_response(400, "application/json", body, "creating the patient")
    assert "@" not in error.message and "<" not in error.message
    assert "‹e-mail›" in error.message


def test_overlong_server_text_is_cut():
    error = error_from_response(400, "application/json", '["' + "x" * 2000 + '"]', "importing")
    assert len(error.message) < 400 and error.message.endswith("…")


def test_5xx_with_json_detail_keeps_the_detail():
    error = error_from_response(503, "application/json", '{"detail":"Maintenance until 10:00."}', "listing patients")
    assert error.message == "The server failed (HTTP 503) while listing patients: Maintenance until 10:00."


def test_validation_error_of_user_input_becomes_invalid_input_without_the_value():
    with pytest.raises(ValidationError) as caught:
        PatientDraft(email="a@b.org", birth_date="01/01/1980")
    error = invalid_input_from_validation(caught.value, "patient")
    assert set(error.field_errors) == {"birth_date"}
    assert "01/01/1980" not in error.message and error.message.startswith("The patient is not valid: birth date:")


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (TimeoutException("read timed out for http://jhe.test/x?email=a@b.org"), "did not answer in time"),
        (TransportError("connection refused to http://jhe.test/?email=a@b.org"), "Could not reach the server"),
    ],
)
async def test_network_failures_say_so_without_the_url(exc, text):
    def fail(request: Request) -> Response:
        raise exc

    fake = FakeJhe().on("POST", "/api/v1/studies/1/patients", fail)
    async with make_client(fake) as client:
        with pytest.raises(NetworkFailure) as caught:
            await client.request("POST", "/api/v1/studies/1/patients", doing="enrolling patients in the study")
    assert text in caught.value.message and "enrolling patients in the study" in caught.value.message
    assert "http" not in caught.value.message and "@" not in caught.value.message
    assert len(fake.requests) == 1  # a POST is never retried on a network error
