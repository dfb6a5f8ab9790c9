"""Models accept both generations' shapes, ignore unknown fields and serialise per generation."""

from __future__ import annotations

from datetime import date

import pytest

from jhe_tui.api import (
    Identifier,
    Invitation,
    Observation,
    Page,
    Patient,
    PatientChanges,
    PatientConsents,
    PatientDraft,
    ScopeConsent,
    Study,
    UserProfile,
)

V7_PATIENT = {
    "id": 40006,
    "jheUserId": 10012,
    "identifier": "MRN-12345",
    "nameFamily": "Smith",
    "nameGiven": "John",
    "birthDate": "1980-01-01",
    "telecomPhone": "555-1234",
    "telecomEmail": "john.smith@example.com",
    "organizations": [
        {"id": 20003, "name": "BIDS", "type": "edu", "partOf": 20002, "currentUserRole": None, "children": []}
    ],
}


def test_patient_from_v0_0_7_has_one_identifier_in_the_list():
    patient = Patient.model_validate(V7_PATIENT)
    assert [i.value for i in patient.identifiers] == ["MRN-12345"] and patient.external_ids == "MRN-12345"
    assert (patient.birth_date, patient.telecom_email, patient.organization_ids) == (
        date(1980, 1, 1),
        "john.smith@example.com",
        [20003],
    )
    assert patient.display_name == "Smith, John"


@pytest.mark.parametrize("identifier", [None, ""])
def test_patient_with_empty_v0_0_7_identifier_has_none(identifier):
    assert Patient.model_validate({**V7_PATIENT, "identifier": identifier}).identifiers == []


def test_patient_from_v0_0_13_keeps_all_identifiers_and_ignores_new_fields():
    data = {
        **V7_PATIENT,
        "identifier": None,
        "lastUpdated": "2026-01-01T00:00:00Z",
        "futureField": {"x": 1},
        "identifiers": [
            {"id": 1, "system": "https://openwearables.io/ns/patient-id", "value": "abc123"},
            {"id": 2, "system": "urn:oid:1.2.3.4", "value": "E1234"},
        ],
    }
    patient = Patient.model_validate(data)
    assert patient.external_ids == "abc123, E1234" and patient.identifiers[1].system == "urn:oid:1.2.3.4"


def test_patient_inside_an_enrolment_answer_has_organization_ids_only():
    patient = Patient.model_validate(
        {"id": 40006, "nameFamily": None, "jheUser": 10012, "organizations": [20003, 20006]}
    )
    assert patient.organization_ids == [20003, 20006] and patient.display_name == "Patient 40006"


def test_study_organization_as_object_or_id():
    nested = Study.model_validate(
        {"id": 30001, "name": "BP", "organization": {"id": 20003, "name": "BIDS", "type": "edu"}}
    )
    flat = Study.model_validate({"id": 30001, "name": "BP", "organization": 20003, "iconUrl": None})
    assert (nested.organization_id, nested.organization.name) == (20003, "BIDS")
    assert (flat.organization_id, flat.organization) == (20003, None)


def test_draft_wire_body_per_generation():
    draft = PatientDraft(
        email=" a@b.org ", family="Doe", given="Jane", birth_date="1975-05-15", phone="555", external_id="MRN-9"
    )
    common = {
        "telecomEmail": "a@b.org",
        "nameFamily": "Doe",
        "nameGiven": "Jane",
        "birthDate": "1975-05-15",
        "telecomPhone": "555",
    }
    assert draft.wire_body(identifier_list=False, only_set=False) == {**common, "identifier": "MRN-9"}
    assert draft.wire_body(identifier_list=True, only_set=False) == {
        **common,
        "identifiers": [{"system": "urn:jhe-tui:external-id", "value": "MRN-9"}],
    }
    assert PatientDraft(email="a@b.org").wire_body(identifier_list=True, only_set=False) == {"telecomEmail": "a@b.org"}


def test_changes_send_exactly_what_was_set():
    assert PatientChanges(given="Jon").wire_body(identifier_list=True, only_set=True) == {"nameGiven": "Jon"}
    cleared = PatientChanges(phone=None, external_id=None)
    assert cleared.wire_body(identifier_list=False, only_set=True) == {"telecomPhone": None, "identifier": ""}
    assert cleared.wire_body(identifier_list=True, only_set=True) == {"telecomPhone": None, "identifiers": []}
    explicit = PatientChanges(
        identifiers=[Identifier(system="urn:mrn", value="9"), Identifier(system="urn:x", value="y")]
    )
    assert explicit.wire_body(identifier_list=True, only_set=True) == {
        "identifiers": [{"system": "urn:mrn", "value": "9"}, {"system": "urn:x", "value": "y"}]
    }
    assert explicit.wire_body(identifier_list=False, only_set=True) == {"identifier": "9"}


def test_draft_problems():
    assert PatientDraft(email="a@b.org").problems(birth_date_required=False) == {}
    assert set(PatientDraft(email="nope").problems(birth_date_required=True)) == {"email", "birth_date"}


def test_profiles_of_practitioners_and_patients():
    practitioner = UserProfile.model_validate(
        {
            "id": 10002,
            "email": "m@x.org",
            "firstName": "Mary",
            "lastName": "Lewis",
            "patient": None,
            "userType": "practitioner",
            "isSuperuser": False,
            "settings": {"currentOrganizationId": 20003},
        }
    )
    patient_user = UserProfile.model_validate(
        {
            "id": 10012,
            "patient": {"id": 40006, "jheUserId": 10012, "identifiers": [], "organizations": []},
            "userType": None,
        }
    )
    assert practitioner.display_name == "Mary Lewis" and practitioner.settings["currentOrganizationId"] == 20003
    assert patient_user.patient.id == 40006 and patient_user.email is None and patient_user.display_name == ""


def test_consent_document_and_written_consent():
    code = {"id": 50002, "codingSystem": "s", "codingCode": "c", "text": "BP"}
    doc = PatientConsents.model_validate(
        {
            "patient": V7_PATIENT,
            "consolidatedConsentedScopes": [code],
            "studiesPendingConsent": [
                {"id": 1, "pendingScopeConsents": [{"code": {**code, "codingCode": "d"}, "consented": None}]}
            ],
            "studies": [
                {
                    "id": 1,
                    "scopeConsents": [{"code": code, "consented": False, "consentedTime": "2026-01-01T00:00:00Z"}],
                }
            ],
        }
    )
    assert doc.enrolled_study_ids == {1}
    assert doc.scope(1, "s", "c").consented is False and doc.scope(1, "s", "d").consented is None
    assert doc.scope(1, "s", "e") is None and doc.scope(2, "s", "c") is None
    written = ScopeConsent.model_validate(
        {"id": 9, "scopeCode": code, "consented": True, "consentedTime": "2026-01-01T00:00:00Z"}
    )
    assert written.code.display == "BP" and written.consented_time.year == 2026


def test_observation_reads_either_payload_key():
    payload = {"body": {"heart_rate": {"value": 60, "unit": "beats/min"}}}
    old = Observation.model_validate({"id": 1, "codingCode": "omh:heart-rate:2.0", "valueAttachmentData": payload})
    new = Observation.model_validate(
        {
            "id": 2,
            "codingCode": "omh:heart-rate:2.0",
            "omhData": payload,
            "jheUserId": 7,
            "lastUpdated": "2026-01-01T00:00:00Z",
        }
    )
    assert old.payload == new.payload == payload
    assert old.value.text == new.value.text == "60 bpm"
    assert old.effective_time is None and new.effective_time.year == 2026


def test_invitation_and_generic_page():
    invitation = Invitation.model_validate(
        {"invitationLink": "https://l", "client_id": 2, "tokenHash": "h", "status": "issued"}
    )
    assert (invitation.link, invitation.client_id, invitation.sent_by_email) == ("https://l", 2, False)
    page = Page[Patient](count=41, items=[V7_PATIENT], page=2, page_size=20)
    assert page.items[0].id == 40006 and page.page_count == 3
