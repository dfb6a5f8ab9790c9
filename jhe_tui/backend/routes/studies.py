"""Studies, what they request, and who is enrolled (contract section 2.3).

A study is visible to practitioners with any role in its organization. Enrolling and
unenrolling take a member or manager there (JHE lets anyone), and enrolment checks every patient
before writing any: all must exist and belong to the study's organization, or nothing changes.
Enrolling an enrolled patient is harmless, and so is unenrolling one who is not enrolled.
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import db, search
from ..auth import Caller
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import detail, not_found, refused
from ..inputs import Fields, id_list, query_int
from ..pages import drf_page, page_of, slice_of
from ..serializers import STUDY_SELECT, codeable_concept, marks, patients, study, study_with_patients

router = APIRouter()

SAME_ORGANIZATION = "Patient and study must share the same organization"


def readable_study(conn: sqlite3.Connection, caller: Caller, study_id: int) -> sqlite3.Row:
    row = conn.execute(f"{STUDY_SELECT} WHERE s.id = ?", (study_id,)).fetchone()
    if row is None:
        raise not_found("Study")
    if row["organization_id"] not in caller.roles:
        raise detail(403, "Current User does not have authorization to access this Study.")
    return row


@router.get("/api/v1/studies")
def list_studies(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Studies of the caller's organizations (or of one of them), by name."""
    organization_id = query_int(request, "organization_id")
    orgs = sorted(caller.organization_ids if organization_id is None else caller.organization_ids & {organization_id})
    rows = conn.execute(
        f"{STUDY_SELECT} WHERE s.organization_id IN ({marks(orgs)}) ORDER BY s.name, s.id", orgs
    ).fetchall()
    page = page_of(request)
    return CamelJSONResponse(drf_page(request, page, len(rows), [study(r) for r in slice_of(page, rows)]))


@router.get("/api/v1/studies/{study_id:id}")
def get_study(study_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    return CamelJSONResponse(study(readable_study(conn, caller, study_id)))


@router.get("/api/v1/studies/{study_id:id}/scope_requests")
def scope_requests(study_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    nested = study_with_patients(conn, readable_study(conn, caller, study_id))
    rows = conn.execute(
        "SELECT r.id AS request_id, c.* FROM study_scope_request r JOIN codeable_concept c ON c.id = r.scope_code_id"
        " WHERE r.study_id = ? ORDER BY r.id",
        (study_id,),
    )
    items = [{"id": r["request_id"], "study": nested, "scope_code": codeable_concept(r)} for r in rows]
    return CamelJSONResponse(items)


@router.get("/api/v1/studies/{study_id:id}/data_sources")
def study_data_sources(study_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    nested = study_with_patients(conn, readable_study(conn, caller, study_id))
    rows = conn.execute(
        "SELECT l.id AS link_id, d.id, d.name, d.type FROM study_data_source l"
        " JOIN data_source d ON d.id = l.data_source_id WHERE l.study_id = ? ORDER BY l.id",
        (study_id,),
    )
    return CamelJSONResponse([
        {"id": r["link_id"], "study": nested, "data_source": {"id": r["id"], "name": r["name"], "type": r["type"]}}
        for r in rows
    ])


@router.get("/api/v1/studies/{study_id:id}/patients")
def enrolled(study_id: int, request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    readable_study(conn, caller, study_id)
    page = page_of(request)
    count, ids = search.patients(conn, caller.organization_ids, study_id=study_id, offset=page.offset, limit=page.size)
    return CamelJSONResponse(drf_page(request, page, count, patients(conn, ids)))


def _patient_ids(body: dict) -> list[int]:
    fields = Fields(body)
    ids = fields.take("patient_ids", id_list, required=True)
    fields.check()
    return list(dict.fromkeys(ids))


@router.post("/api/v1/studies/{study_id:id}/patients")
def enrol(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Enrol patients; 201 with every requested enrolment (``studyPatients``).

    The nested study leaves out JHE's ``patients`` id list: repeated in every item of a bulk
    enrolment it would grow with the square of the study's size.
    """
    with db.transaction(conn):
        row = readable_study(conn, caller, study_id)
        caller.require(row["organization_id"])
        ids = _patient_ids(body)
        known = {r[0] for r in conn.execute(f"SELECT id FROM patient WHERE id IN ({marks(ids)})", ids)}
        if len(known) < len(ids):
            raise not_found("Patient")
        members = {r[0] for r in conn.execute(
            f"SELECT patient_id FROM patient_organization WHERE organization_id = ? AND patient_id IN ({marks(ids)})",
            [row["organization_id"], *ids],
        )}
        if len(members) < len(ids):
            raise refused(SAME_ORGANIZATION)
        conn.executemany("INSERT OR IGNORE INTO study_patient (study_id, patient_id) VALUES (?, ?)",
                         [(study_id, pid) for pid in ids])
        enrolment_ids = dict(conn.execute(
            f"SELECT patient_id, id FROM study_patient WHERE study_id = ? AND patient_id IN ({marks(ids)})",
            [study_id, *ids],
        ).fetchall())
        updated = dict(conn.execute(f"SELECT id, last_updated FROM patient WHERE id IN ({marks(ids)})", ids).fetchall())
        nested = {k: v for k, v in study_with_patients(conn, row).items() if k != "patients"}
        items = [
            {"id": enrolment_ids[p["id"]], "study": nested, "patient": _enrolled_patient(p, updated[p["id"]])}
            for p in patients(conn, ids)
        ]
    return CamelJSONResponse({"study_patients": items}, 201)


def _enrolled_patient(p: dict, last_updated: str) -> dict:
    """The patient as JHE nests it in an enrolment: user and organizations as ids."""
    return {
        "id": p["id"],
        "identifier": p["identifier"],
        "name_family": p["name_family"],
        "name_given": p["name_given"],
        "birth_date": p["birth_date"],
        "telecom_phone": p["telecom_phone"],
        "last_updated": last_updated,
        "jhe_user": p["jhe_user_id"],
        "organizations": [o["id"] for o in p["organizations"]],
    }


@router.delete("/api/v1/studies/{study_id:id}/patients")
def unenrol(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Unenrol patients and drop their consents for this study; 204. Data already sent stays."""
    with db.transaction(conn):
        row = readable_study(conn, caller, study_id)
        caller.require(row["organization_id"])
        ids = _patient_ids(body)
        conn.execute(f"DELETE FROM study_patient WHERE study_id = ? AND patient_id IN ({marks(ids)})",
                     [study_id, *ids])
    return Response(status_code=204)
