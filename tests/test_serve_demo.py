"""`jhe-tui serve-demo` in a real process on loopback answers the user guide's curl
sequence ("Complete Patient Onboarding via REST API") with the guide's shapes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.serving import serve_demo


@pytest.fixture
def served(tmp_path):
    with serve_demo(tmp_path / "d") as printed:
        yield printed


def test_guide_curl_sequence(served, tmp_path):
    base, token = served["JHE_URL"], served["JHE_TOKEN"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=10) as http:
        orgs = http.get("/api/v1/organizations").json()["results"]
        org = next(o for o in orgs if o["currentUserRole"] in ("manager", "member"))
        studies = http.get("/api/v1/studies", params={"organization_id": org["id"]}).json()["results"]
        assert studies, "the demo organization has studies"
        study = studies[0]

        # 1. Create patient (guide: 201 with the Patient object)
        created = http.post(
            "/api/v1/patients",
            json={
                "telecomEmail": "john.smith@example.com",
                "nameFamily": "Smith",
                "nameGiven": "John",
                "birthDate": "1980-01-01",
                "telecomPhone": "555-1234",
                "organizationId": org["id"],
            },
        )
        assert created.status_code == 201, created.text
        patient = created.json()
        assert patient["nameFamily"] == "Smith" and patient["birthDate"] == "1980-01-01"
        assert patient["telecomEmail"] == "john.smith@example.com"
        assert any(o["id"] == org["id"] for o in patient["organizations"])
        pid = patient["id"]

        # 2. Enroll in study (snake_case body, as the guide sends it)
        enrolled = http.post(f"/api/v1/studies/{study['id']}/patients", json={"patient_ids": [pid]})
        assert enrolled.status_code in (200, 201), enrolled.text

        # 3. Generate and send invitation
        inv = http.get(f"/api/v1/patients/{pid}/invitation_link", params={"send_email": "true"})
        assert inv.status_code == 200, inv.text
        link = inv.json()["invitationLink"]
        assert re.search(r"cloud_sharing=127\.0\.0\.1%3A\d+%7C[A-Za-z0-9]{30}$", link), link

        # 4. Verify patient status: the new enrolment is pending every requested scope
        consents = http.get(f"/api/v1/patients/{pid}/consents").json()
        assert consents["patient"]["id"] == pid
        pending = [s for s in consents["studiesPendingConsent"] if s["id"] == study["id"]]
        assert pending and pending[0]["pendingScopeConsents"]
        assert all(c["consented"] is None for c in pending[0]["pendingScopeConsents"])

        # Common issue: the same e-mail again is a clear 400, not a 500
        again = http.post(
            "/api/v1/patients",
            json={"telecomEmail": "john.smith@example.com", "nameFamily": "Smith", "nameGiven": "John",
                  "birthDate": "1980-01-01", "organizationId": org["id"]},
        )
        assert again.status_code == 400
        assert "User with this email already exists" in again.text


async def test_the_client_over_loopback_through_its_own_transport(served):
    """JheClient with no transport injected: the requests the console sends, on real sockets."""
    from jhe_tui.api import JheClient
    from jhe_tui.api.transport import AsyncioTransport

    async with JheClient(served["JHE_URL"], served["JHE_TOKEN"]) as client:
        assert isinstance(client._session._http._transport, AsyncioTransport)
        org = next(o for o in await client.my_organizations() if o.current_user_role in ("manager", "member"))
        created = await client.create_patient(org.id, {
            "email": "loopback@example.org", "family": "Loop", "given": "Back", "birth_date": "1990-02-03",
        })
        assert (await client.find_patient_by_email("loopback@example.org")).id == created.patient.id
        assert await client.find_patient_by_email("nobody@example.org") is None
