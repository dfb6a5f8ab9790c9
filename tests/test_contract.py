"""The user guide, through JheClient, against the embedded backend in process.

"Example: Complete Patient Onboarding via REST API" step by step, then every case of
the guide's "Common Issues" section, each asserting what a practitioner would see.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date

import httpx
import pytest

from jhe_tui.api import (
    Conflict,
    Forbidden,
    Generation,
    InvalidInput,
    NotFound,
    PatientDraft,
    Unauthenticated,
)

JOHN = PatientDraft(
    email="john.smith@example.com",
    family="Smith",
    given="John",
    birth_date=date(1980, 1, 1),
    phone="555-1234",
)


async def _my_org_and_study(client, roles=("manager", "member")):
    orgs = [o for o in await client.my_organizations() if o.current_user_role in roles]
    for org in orgs:
        studies = await client.studies(org.id)
        if studies:
            return org, studies[0]
    raise AssertionError("the demo data has an organization with a study for this role")


def _outbox_bodies(backend) -> str:
    """Decoded text of every outbox message: the files are MIME, often quoted-printable."""
    bodies = []
    for path in backend.outbox_dir.iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        bodies.extend(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
    return "\n".join(bodies)


def _raw(backend, role="manager") -> httpx.AsyncClient:
    """Plain HTTP, as curl would send it: the backend's own answers, without the client's checks."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=backend.app),
        base_url=backend.site_url,
        headers={"Authorization": f"Bearer {backend.token_for(role)}"},
    )


async def _foreign_org_id(client):
    return next(o.id for o in await client.organizations() if o.current_user_role is None and o.id != 0)


async def test_the_demo_is_detected_as_such(client_for):
    async with client_for() as client:
        info = await client.server_info()
    assert info.generation is Generation.DEMO


async def test_complete_patient_onboarding(client_for, demo_backend):
    async with client_for("manager") as client:
        org, study = await _my_org_and_study(client)

        # 1. Create patient
        result = await client.create_patient(org.id, JOHN)
        assert result.action == "created"
        patient = result.patient
        assert (patient.name_family, patient.name_given) == ("Smith", "John")
        assert patient.birth_date == date(1980, 1, 1)
        assert patient.telecom_email == "john.smith@example.com"
        assert org.id in patient.organization_ids

        # 2. Enroll in study
        enrolment = await client.enroll_patients(study.id, [patient.id])
        assert enrolment.enrolled == [patient.id]
        in_study = await client.patients(organization_id=org.id, study_id=study.id, page_size=1000)
        assert patient.id in {p.id for p in in_study.items}

        # 3. Generate and send invitation
        invitation = await client.invitation_link(patient.id, send_email=True)
        assert re.search(r"cloud_sharing=[^|]+%7C[A-Za-z0-9]{30}$", invitation.link)
        assert invitation.sent_by_email
        assert invitation.link in _outbox_bodies(demo_backend)

        # 4. Verify patient status: pending for every scope the study requests
        consents = await client.consents(patient.id)
        requested = {s.scope_code.coding_code for s in await client.study_scope_requests(study.id)}
        pending = next(s for s in consents.pending if s.id == study.id)
        assert {c.code.coding_code for c in pending.scopes} == requested
        assert all(c.consented is None for c in pending.scopes)

        # Consent on the patient's behalf: grant, then revoke shows as declined with a time
        scope = pending.scopes[0].code
        granted = await client.grant_consent(patient.id, study.id, scope)
        assert granted.consented is True
        revoked = await client.revoke_consent(patient.id, study.id, scope)
        assert revoked.consented is False
        answered = next(s for s in (await client.consents(patient.id)).answered if s.id == study.id)
        declined = next(c for c in answered.scopes if c.code.coding_code == scope.coding_code)
        assert declined.consented is False and declined.consented_time is not None

        # Update, remove from study, remove from organization (the guide's later sections)
        updated = await client.update_patient(patient.id, org.id, {"phone": "555-9999"})
        assert updated.telecom_phone == "555-9999"
        await client.unenroll_patients(study.id, [patient.id])
        assert not any(s.id == study.id for s in (await client.consents(patient.id)).answered)
        await client.remove_patient_from_organization(patient.id, org.id)
        with pytest.raises(NotFound):
            await client.patient(patient.id)


async def test_patient_already_exists_becomes_add_to_organization(client_for):
    """Common issue "Patient Already Exists": the client looks the e-mail up first."""
    async with client_for("manager") as client:
        org, _ = await _my_org_and_study(client)
        others = [o for o in await client.my_organizations() if o.id != org.id and o.current_user_role == "manager"]
        assert others, "the demo manager manages more than one organization"
        first = await client.create_patient(org.id, JOHN)
        again = await client.create_patient(others[0].id, JOHN)
        assert again.action == "added"
        assert again.patient.id == first.patient.id
        assert {org.id, others[0].id} <= set(again.patient.organization_ids)
        found = await client.find_patient_by_email("john.smith@example.com")
        assert found is not None and found.id == first.patient.id
        with pytest.raises(Conflict) as caught:
            await client.create_patient(org.id, JOHN)
        assert "already exists" in caught.value.message
        assert "john.smith" not in caught.value.message  # no patient data in messages


async def test_backend_refuses_duplicate_email_with_the_guides_message(client_for, demo_backend):
    """Without the client's guard rail, the backend itself answers the guide's 400."""
    async with client_for("manager") as client, _raw(demo_backend) as raw:
        org, _ = await _my_org_and_study(client)
        await client.create_patient(org.id, JOHN)
        body = {"telecomEmail": JOHN.email, "nameFamily": "Smith", "nameGiven": "John",
                "birthDate": "1980-01-01", "organizationId": org.id}
        response = await raw.post("/api/v1/patients", json=body)
    assert response.status_code == 400
    assert "User with this email already exists" in response.text


async def test_cannot_enroll_patient_of_another_organization(client_for, demo_backend):
    """Common issue "Cannot Enroll Patient in Study": refused before any write, with the reason."""
    async with client_for("manager") as client, _raw(demo_backend) as raw:
        org, study = await _my_org_and_study(client)
        others = [o for o in await client.my_organizations() if o.id != org.id and o.current_user_role == "manager"]
        outsider = (await client.create_patient(others[0].id, JOHN)).patient
        with pytest.raises(InvalidInput) as caught:
            await client.enroll_patients(study.id, [outsider.id])
        assert str(outsider.id) in caught.value.message
        assert "organization" in caught.value.message
        # and the backend's own answer, for clients without the guard rail
        response = await raw.post(f"/api/v1/studies/{study.id}/patients", json={"patient_ids": [outsider.id]})
        assert response.status_code == 400
        assert "Patient and study must share the same organization" in response.text
        enrolled = await client.patients(organization_id=others[0].id, study_id=study.id)
        assert outsider.id not in {p.id for p in enrolled.items}


async def test_invitation_link_is_new_each_time(client_for):
    """Common issue "Invitation Link Doesn't Work": generating a new link is the fix."""
    async with client_for("member") as client:
        org, _ = await _my_org_and_study(client)
        patient = (await client.patients(organization_id=org.id)).items[0]
        first = await client.invitation_link(patient.id)
        second = await client.invitation_link(patient.id)
    assert first.link != second.link
    assert not first.sent_by_email


async def test_permission_denied_for_a_viewer(client_for):
    """Common issue "Permission Denied": a viewer's role shows in /organizations and every
    write is refused with a readable sentence."""
    async with client_for("viewer") as client:
        roles = {o.current_user_role for o in await client.my_organizations()}
        assert roles == {"viewer"}
        org = (await client.my_organizations())[0]
        with pytest.raises(Forbidden) as caught:
            await client.create_patient(org.id, JOHN)
        assert "<" not in caught.value.message and caught.value.message.endswith(".")
        patient = (await client.patients(organization_id=org.id)).items[0]
        with pytest.raises(Forbidden):
            await client.update_patient(patient.id, org.id, {"phone": "1"})
        with pytest.raises(Forbidden):
            await client.remove_patient_from_organization(patient.id, org.id)


async def test_bad_birth_date_is_a_field_error(client_for):
    async with client_for() as client:
        org, _ = await _my_org_and_study(client)
        with pytest.raises(InvalidInput) as caught:
            await client.create_patient(org.id, {"email": "x@example.org", "family": "X", "given": "Y",
                                                 "birth_date": "2999-01-01"})
    assert "birth_date" in caught.value.field_errors


async def test_unknown_ids_and_missing_token(client_for, demo_backend):
    async with client_for() as client:
        with pytest.raises(NotFound):
            await client.patient(99999999)
    from jhe_tui.api import JheClient
    from jhe_tui.api.http import ASGITransport

    async with JheClient(demo_backend.site_url, "wrong-token", transport=ASGITransport(app=demo_backend.app)) as anon:
        with pytest.raises(Unauthenticated) as caught:
            await anon.profile()
    assert "wrong-token" not in caught.value.message


async def test_patients_of_a_foreign_organization_are_not_visible(client_for):
    async with client_for() as client:
        foreign = await _foreign_org_id(client)
        assert (await client.patients(organization_id=foreign)).count == 0


async def test_set_up_a_study_then_onboard_into_it(client_for, demo_backend):
    """What the web console's managers do before anyone is enrolled, then the guide's onboarding
    in what they set up: a sub-organization, a colleague as member, a study with two data types
    and a data source; the colleague onboards a patient with an invitation."""
    async with client_for("manager") as manager:
        lab = await manager.create_organization("Sleep Lab", "laboratory", 20003)
        await manager.add_member(lab.id, "member@demo.jhe.example", "member")
        study = await manager.create_study(lab.id, "Sleep Study", "Sleep and heart rate at home")
        await manager.add_scope_request(study.id, "omh:heart-rate:2.0")
        await manager.add_scope_request(study.id, "omh:blood-pressure:4.0")
        await manager.add_study_data_source(study.id, 70004)
    async with client_for("member") as member:
        assert next(o for o in await member.my_organizations() if o.id == lab.id).current_user_role == "member"
        patient = (await member.create_patient(lab.id, JOHN)).patient
        assert (await member.enroll_patients(study.id, [patient.id])).enrolled == [patient.id]
        invitation = await member.invitation_link(patient.id, send_email=True)
        assert invitation.link in _outbox_bodies(demo_backend)
        pending = next(s for s in (await member.consents(patient.id)).pending if s.id == study.id)
        assert {c.code.coding_code for c in pending.scopes} == {"omh:heart-rate:2.0", "omh:blood-pressure:4.0"}
        assert [s.name for s in await member.study_data_sources(study.id)] == ["Oura Ring"]
    async with client_for("viewer") as viewer:
        with pytest.raises(Forbidden):
            await viewer.create_study(20003, "Viewer study", "refused")
