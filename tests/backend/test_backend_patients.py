"""The guide's patient workflows: create, look up, add to an organization, update, invite, delete."""

from __future__ import annotations

import re

LINK = re.compile(
    r"https://play\.google\.com/store/apps/details\?id=org\.thecommonsproject\.android\.phr\.dev"
    r"&referrer=cloud_sharing=127\.0\.0\.1%3A8765%7C([A-Za-z0-9]{30})"
)



async def test_create_answers_201_with_the_patient_object(api) -> None:
    created = await api.create_patient("john.smith@example.com", telecomPhone="555-1234", identifier="MRN-12345")
    assert created["id"] > 40060 and created["jheUserId"] > 10000
    assert created["identifier"] == "MRN-12345" and created["telecomEmail"] == "john.smith@example.com"
    assert "organizationId" not in created
    assert created["organizations"] == [{"id": 20003, "name": "Cardiometabolic Research Lab", "type": "laboratory",
                                         "partOf": 20002, "currentUserRole": None, "children": []}]
    assert (await api.get(f"/api/v1/patients/{created['id']}")).json() == created
    listed = (await api.get(f"/api/v1/patients?organization_id=20003&patient_id={created['id']}")).json()
    assert listed["results"] == [created]
    by_identifier = (await api.get("/api/v1/patients?patient_identifier_value=MRN-12345")).json()
    assert [p["id"] for p in by_identifier["results"]] == [created["id"]]


async def test_lookup_then_add_to_organization(api) -> None:
    created = await api.create_patient("moving@example.org", organization_id=20004)
    found = (await api.get("/api/v1/patients/global_lookup?email=Moving@example.org")).json()
    assert [p["id"] for p in found] == [created["id"]]
    assert (await api.get("/api/v1/patients/global_lookup?email=nobody@example.org")).json() == []
    added = await api.patch(f"/api/v1/patients/{created['id']}/global_add_organization?organizationId=20003")
    assert added.status_code == 200
    assert [o["id"] for o in added.json()["organizations"]] == [20003, 20004]
    again = await api.patch(f"/api/v1/patients/{created['id']}/global_add_organization?organization_id=20003")
    assert again.status_code == 400 and again.json() == ["This patient is already a member of this organization."]


async def test_update_needs_the_organization_and_keeps_the_email(api) -> None:
    created = await api.create_patient("update.me@example.org")
    path = f"/api/v1/patients/{created['id']}"
    assert (await api.patch(path, json={"nameGiven": "Jonathan"})).status_code == 403
    updated = await api.patch(f"{path}?organization_id=20003",
                              json={"nameGiven": "Jonathan", "telecomPhone": "555-5678",
                                    "telecomEmail": "changed@example.org", "identifier": ""})
    assert updated.status_code == 200
    body = updated.json()
    assert (body["nameGiven"], body["telecomPhone"], body["telecomEmail"], body["identifier"]) == (
        "Jonathan", "555-5678", "update.me@example.org", None)
    partial_put = await api.request("PUT", f"{path}?organization_id=20003", json={"nameGiven": "Jo"})
    assert partial_put.status_code == 400
    assert set(partial_put.json()) == {"nameFamily", "birthDate"}


async def test_delete_from_one_organization_then_the_last(api) -> None:
    # A seeded patient in both labs, enrolled in studies of both, with observations.
    (pid,) = api.rows("""
        SELECT p.patient_id FROM patient_organization p
        JOIN study_patient a ON a.patient_id = p.patient_id AND a.study_id IN (30001, 30002)
        JOIN study_patient b ON b.patient_id = p.patient_id AND b.study_id = 30003
        WHERE p.organization_id = 20004 AND EXISTS (SELECT 1 FROM observation WHERE subject_patient_id = p.patient_id)
        LIMIT 1""")[0]
    observations = api.rows("SELECT COUNT(*) FROM observation WHERE subject_patient_id = ?", pid)[0][0]
    assert observations > 0

    assert (await api.delete(f"/api/v1/patients/{pid}?organization_id=20003")).status_code == 204
    remaining = (await api.get(f"/api/v1/patients/{pid}")).json()
    assert [o["id"] for o in remaining["organizations"]] == [20004]
    assert api.rows("SELECT study_id FROM study_patient WHERE patient_id = ?", pid) == [(30003,)]
    assert api.rows("SELECT COUNT(*) FROM scope_consent c JOIN study_patient s ON s.id = c.study_patient_id"
                               " WHERE s.patient_id = ? AND s.study_id IN (30001, 30002)", pid) == [(0,)]
    assert api.rows("SELECT COUNT(*) FROM observation WHERE subject_patient_id = ?", pid)[0][0] == observations
    in_lab = (await api.get(f"/api/v1/observations?organization_id=20003&patient_id={pid}")).json()
    assert in_lab["count"] == 0
    assert (await api.get(f"/api/v1/observations?organization_id=20004&patient_id={pid}")).json()["count"] > 0

    email = remaining["telecomEmail"]
    assert (await api.delete(f"/api/v1/patients/{pid}?organization_id=20004")).status_code == 204
    assert (await api.get(f"/api/v1/patients/{pid}")).status_code == 404
    assert (await api.get(f"/api/v1/patients/global_lookup?email={email}")).json() == []
    for table, column in (("observation", "subject_patient_id"), ("study_patient", "patient_id"),
                          ("invitation", "patient_id")):
        assert api.rows(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", pid) == [(0,)]
    assert api.rows("SELECT COUNT(*) FROM observation_organization o LEFT JOIN observation x"
                               " ON x.id = o.observation_id WHERE x.id IS NULL") == [(0,)]
    assert api.rows("SELECT COUNT(*) FROM jhe_user WHERE email = ?", email) == [(0,)]
    gone = await api.delete(f"/api/v1/patients/{pid}?organization_id=20004")
    assert gone.status_code == 404


async def test_delete_through_an_organization_the_patient_is_not_in(api) -> None:
    created = await api.create_patient("elsewhere@example.org", organization_id=20004)
    response = await api.delete(f"/api/v1/patients/{created['id']}?organization_id=20003")
    assert response.status_code == 400 and response.json() == ["This patient is not a member of this organization."]
    assert (await api.delete(f"/api/v1/patients/{created['id']}")).status_code == 403


async def test_invitation_link_format_and_outbox(api) -> None:
    created = await api.create_patient("invitee@example.org", nameGiven="Ines")
    path = f"/api/v1/patients/{created['id']}/invitation_link"
    first = (await api.get(path)).json()["invitationLink"]
    assert LINK.fullmatch(first)
    assert list(api.backend.outbox_dir.iterdir()) == []
    second = (await api.get(f"{path}?send_email=true")).json()["invitationLink"]
    assert LINK.fullmatch(second) and second != first
    assert api.rows("SELECT status FROM invitation WHERE patient_id = ? ORDER BY id", created["id"]) == [
        ("reissued",), ("issued",)]
    (mail,) = api.backend.outbox_dir.iterdir()
    text = mail.read_text()
    assert mail.suffix == ".eml" and "To: invitee@example.org" in text and "Dear Ines," in text and second in text
    assert api.rows("SELECT to_address, file_name FROM outbox") == [("invitee@example.org", mail.name)]
    assert (await api.request("POST", path)).status_code == 405


async def test_list_filters(api) -> None:
    study = (await api.get("/api/v1/patients?organization_id=20003&study_id=30002&page_size=100")).json()
    enrolled = {r[0] for r in api.rows("SELECT patient_id FROM study_patient WHERE study_id = 30002")}
    assert {p["id"] for p in study["results"]} == enrolled and study["count"] == len(enrolled)
    through_study = (await api.get("/api/v1/studies/30002/patients?page_size=100")).json()
    assert through_study["results"] == study["results"]
    member_view = (await api.get("/api/v1/patients?page_size=1000", role="member")).json()
    lab = {r[0] for r in api.rows("SELECT patient_id FROM patient_organization WHERE organization_id = 20003")}
    assert {p["id"] for p in member_view["results"]} == lab
    manager_view = (await api.get("/api/v1/patients?page_size=1000")).json()
    main_tree = {r[0] for r in api.rows("SELECT DISTINCT patient_id FROM patient_organization"
                                                   " WHERE organization_id IN (20001, 20002, 20003, 20004)")}
    assert [p["id"] for p in manager_view["results"]] == sorted(main_tree)
    other_tree = (await api.get("/api/v1/patients?organization_id=20007", role="member")).json()
    shared = {r[0] for r in api.rows("SELECT patient_id FROM patient_organization WHERE organization_id = 20007"
                                                " AND patient_id IN (SELECT patient_id FROM patient_organization"
                                                " WHERE organization_id = 20003)")}
    assert {p["id"] for p in other_tree["results"]} == shared and shared


async def test_an_external_id_is_one_patients_within_an_organization(api) -> None:
    """The rule the importer and the patient form apply (issue 15 item 2): a create or an update
    giving a patient an id another patient of the organization holds is refused, naming them."""
    holder = await api.create_patient("holder@example.org", identifier="MRN-TAKEN")
    again = await api.post("/api/v1/patients", json={
        "telecomEmail": "second@example.org", "nameFamily": "Smith", "nameGiven": "Jo", "birthDate": "1980-01-01",
        "organizationId": 20003, "identifier": "MRN-TAKEN"})
    assert again.status_code == 400
    assert again.json() == {"identifier": [f"External id MRN-TAKEN is already used by patient {holder['id']} "
                                           "of this organization."]}
    elsewhere = await api.create_patient("elsewhere@example.org", organization_id=20004, identifier="MRN-TAKEN")
    other = await api.create_patient("other@example.org")
    changed = await api.patch(f"/api/v1/patients/{other['id']}?organization_id=20003", json={"identifier": "MRN-TAKEN"})
    assert changed.status_code == 400 and "identifier" in changed.json()
    kept = await api.patch(f"/api/v1/patients/{holder['id']}?organization_id=20003", json={"identifier": "MRN-TAKEN"})
    assert kept.status_code == 200 and elsewhere["identifier"] == "MRN-TAKEN"
    phone = await api.patch(f"/api/v1/patients/{other['id']}?organization_id=20003", json={"telecomPhone": "abc"})
    assert phone.status_code == 400 and "telecomPhone" in phone.json()


async def test_ids_of_a_deleted_patient_are_never_given_again(api) -> None:
    """Issue 15 item 3: the newest patient, removed from their last organization, is deleted; the
    next one created got their patient id and user id, and the audit log's lines for the old one
    then pointed at the new one."""
    gone = await api.create_patient("gone@example.org")
    deleted = await api.delete(f"/api/v1/patients/{gone['id']}?organization_id=20003")
    assert deleted.status_code == 204
    assert api.rows("SELECT id FROM patient WHERE id = ?", gone["id"]) == []
    new = await api.create_patient("new.after.gone@example.org")
    assert new["id"] > gone["id"] and new["jheUserId"] > gone["jheUserId"]
