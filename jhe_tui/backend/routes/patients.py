"""Patients: the list, create, read, update, remove from an organization, lookup across the
exchange and add to an organization (contract section 2.4, guide sections "Add New Patient" to
"Remove Patient from Organization"; invitation links are in ``invitations``).

Status codes, chosen once for the whole backend: a create answers 201 with the object, a delete
204 with no body (the HEAD generation's codes; the guide-era 200 ``{"success":true}`` is not
used). Every change goes through an organization where the caller is a member or manager, and
the patient must belong to it; update and delete name it with ``?organization_id=`` as in JHE
(without it: 403).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from jhe_tui import patient_rules

from .. import db, search
from ..auth import Caller
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import NO_PERMISSION, ApiError, detail, not_found, refused
from ..inputs import MISSING, Fields, birth_date, email, integer, phone, query_int, required_text, text
from ..pages import drf_page, page_of
from ..serializers import get_organization, patient, patients

router = APIRouter()

NOT_A_MEMBER = "This patient is not a member of this organization."


def _optional(check: Callable[[Any], str]) -> Callable[[Any], str | None]:
    """Blank means "none" for the optional fields (phone, external identifier)."""
    return lambda value: None if value is None or value == "" else check(value)


def _demographics(fields: Fields, *, required: bool) -> dict[str, Any]:
    """The updatable fields; ``telecomEmail`` is the login and stays read-only, as in JHE."""
    taken = {
        "name_family": fields.take("name_family", required_text, required=required),
        "name_given": fields.take("name_given", required_text, required=required),
        "birth_date": fields.take("birth_date", birth_date, required=required),
        "telecom_phone": fields.take("telecom_phone", _optional(phone)),
        "identifier": fields.take("identifier", _optional(text)),
    }
    return {name: value for name, value in taken.items() if value is not MISSING}


def _refuse_taken_identifier(conn: sqlite3.Connection, values: dict[str, Any], organization_id: int,
                             patient_id: int | None = None) -> None:
    """An external id is one patient's within an organization (the rule the importer and the
    patient form apply): 400 naming the patient who holds it."""
    identifier = values.get("identifier")
    if not identifier:
        return
    holder = conn.execute(
        "SELECT p.id FROM patient p JOIN patient_organization po ON po.patient_id = p.id"
        " WHERE po.organization_id = ? AND p.identifier = ? AND p.id IS NOT ? LIMIT 1",
        (organization_id, identifier, patient_id)).fetchone()
    if holder is not None:
        raise ApiError(400, {"identifier": [patient_rules.sentence(
            patient_rules.external_id_taken(identifier, holder[0]))]})


def _existing(conn: sqlite3.Connection, patient_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT id, jhe_user_id FROM patient WHERE id = ?", (patient_id,)).fetchone()
    if row is None:
        raise not_found("Patient")
    return row


def _is_member(conn: sqlite3.Connection, patient_id: int, organization_id: int) -> bool:
    return conn.execute(
        "SELECT 1 FROM patient_organization WHERE patient_id = ? AND organization_id = ?", (patient_id, organization_id)
    ).fetchone() is not None


def _through_organization(conn: sqlite3.Connection, request: Request, caller: Caller, patient_id: int) -> int:
    """The ``?organization_id=`` an update or delete acts through, once the caller may use it."""
    _existing(conn, patient_id)
    organization_id = query_int(request, "organization_id")
    if organization_id is None:  # JHE's answer is the bare 403; the hint says what it wants
        raise detail(403, f"{NO_PERMISSION} Name the organization your role is in: ?organization_id=ID.")
    caller.require(organization_id)
    if not _is_member(conn, patient_id, organization_id):
        raise refused(NOT_A_MEMBER)
    return organization_id


@router.get("/api/v1/patients")
def list_patients(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Patients sharing an organization with the caller, by id, narrowed by any filter given."""
    page = page_of(request)
    count, ids = search.patients(
        conn,
        caller.organization_ids,
        organization_id=query_int(request, "organization_id"),
        study_id=query_int(request, "study_id"),
        patient_id=query_int(request, "patient_id"),
        identifier=request.query_params.get("patient_identifier_value") or None,
        offset=page.offset,
        limit=page.size,
    )
    return CamelJSONResponse(drf_page(request, page, count, patients(conn, ids)))


@router.post("/api/v1/patients")
def create_patient(conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Create a patient (and their login) in ``organizationId``; every field the guide lists
    as required is required. An e-mail already used by anyone is refused with the guide's words."""
    with db.transaction(conn):
        fields = Fields(body)
        organization_id = fields.take("organization_id", integer, required=True)
        fields.check()
        get_organization(conn, organization_id)
        caller.require(organization_id)
        address = fields.take("telecom_email", email, required=True)
        values = _demographics(fields, required=True)
        fields.check()
        _refuse_taken_identifier(conn, values, organization_id)
        if conn.execute("SELECT 1 FROM jhe_user WHERE email = ?", (address,)).fetchone():
            raise refused("User with this email already exists")
        user_id = conn.execute(
            "INSERT INTO jhe_user (email, first_name, last_name, user_type) VALUES (?, ?, ?, 'patient')",
            (address, values["name_given"], values["name_family"]),
        ).lastrowid
        patient_id = conn.execute(
            "INSERT INTO patient (jhe_user_id, identifier, name_family, name_given, birth_date, telecom_phone,"
            " last_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, values.get("identifier"), values["name_family"], values["name_given"], values["birth_date"],
             values.get("telecom_phone"), db.timestamp()),
        ).lastrowid
        conn.execute("INSERT INTO patient_organization VALUES (?, ?)", (patient_id, organization_id))
        created = patient(conn, patient_id)
    return CamelJSONResponse(created, 201)


@router.get("/api/v1/patients/global_lookup")
def global_lookup(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Exact e-mail search across the whole exchange (any organization), as in JHE."""
    address = request.query_params.get("email", "").strip()
    if not address:
        raise refused("email parameter required")
    ids = [r[0] for r in conn.execute(
        "SELECT p.id FROM patient p JOIN jhe_user u ON u.id = p.jhe_user_id WHERE u.email = ?", (address,))]
    return CamelJSONResponse(patients(conn, ids))


@router.get("/api/v1/patients/{patient_id:id}")
def get_patient(patient_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    """Any practitioner may read any patient, as in JHE (the guide uses it to check organizations)."""
    return CamelJSONResponse(patient(conn, patient_id))


def _update(patient_id: int, request: Request, conn: sqlite3.Connection, caller: Caller, body: dict,
            *, partial: bool) -> Response:
    with db.transaction(conn):
        organization_id = _through_organization(conn, request, caller, patient_id)
        fields = Fields(body)
        values = _demographics(fields, required=not partial)
        fields.check()
        _refuse_taken_identifier(conn, values, organization_id, patient_id)
        if values:
            assignments = ", ".join(f"{name} = ?" for name in values)
            conn.execute(f"UPDATE patient SET {assignments}, last_updated = ? WHERE id = ?",
                         [*values.values(), db.timestamp(), patient_id])
        updated = patient(conn, patient_id)
    return CamelJSONResponse(updated)


@router.patch("/api/v1/patients/{patient_id:id}")
def patch_patient(patient_id: int, request: Request, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    return _update(patient_id, request, conn, caller, body, partial=True)


@router.put("/api/v1/patients/{patient_id:id}")
def put_patient(patient_id: int, request: Request, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    return _update(patient_id, request, conn, caller, body, partial=False)


@router.delete("/api/v1/patients/{patient_id:id}")
def delete_patient(patient_id: int, request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Remove the patient from one organization, with its enrolments and consents there. With no
    organization left, the patient's observations, record and login are deleted too. 204."""
    with db.transaction(conn):
        organization_id = _through_organization(conn, request, caller, patient_id)
        conn.execute(
            "DELETE FROM study_patient WHERE patient_id = ?"
            " AND study_id IN (SELECT id FROM study WHERE organization_id = ?)",
            (patient_id, organization_id),
        )
        conn.execute("DELETE FROM patient_organization WHERE patient_id = ? AND organization_id = ?",
                     (patient_id, organization_id))
        if conn.execute("SELECT 1 FROM patient_organization WHERE patient_id = ?", (patient_id,)).fetchone() is None:
            user_id = _existing(conn, patient_id)["jhe_user_id"]
            conn.execute("DELETE FROM observation WHERE subject_patient_id = ?", (patient_id,))
            conn.execute("DELETE FROM patient WHERE id = ?", (patient_id,))
            conn.execute("DELETE FROM jhe_user WHERE id = ?", (user_id,))
    return Response(status_code=204)


@router.patch("/api/v1/patients/{patient_id:id}/global_add_organization")
def add_to_organization(patient_id: int, request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Add an existing patient (found with global_lookup) to one of the caller's organizations."""
    with db.transaction(conn):
        _existing(conn, patient_id)
        organization_id = query_int(request, "organization_id")
        if organization_id is None:
            raise refused("organizationId parameter required")
        get_organization(conn, organization_id)
        caller.require(organization_id)
        if _is_member(conn, patient_id, organization_id):
            raise refused("This patient is already a member of this organization.")
        conn.execute("INSERT INTO patient_organization VALUES (?, ?)", (patient_id, organization_id))
        conn.execute("UPDATE patient SET last_updated = ? WHERE id = ?", (db.timestamp(), patient_id))
        updated = patient(conn, patient_id)
    return CamelJSONResponse(updated)
