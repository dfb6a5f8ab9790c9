"""Studies created, changed and deleted, and what they request and draw from (contract sections
2.3 and 9.3), as JHE v0.0.13 answers: 201 with the study (its organization as an id), PATCH 200,
DELETE 204; scope requests 201 with the item; data sources 201 with no body.

Stricter than JHE: every write, the scope requests and data sources included, takes a manager or
member of the study's organization (JHE lets anyone change those two); a repeated or unknown
scope request or data source is a JSON 400 (JHE: a 500, or at v0.0.7 a second row).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from fastapi import APIRouter
from starlette.responses import Response

from .. import casing, db
from ..auth import Caller
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import ApiError, refused
from ..inputs import MISSING, Fields, integer, nullable, required_text, text
from ..serializers import codeable_concept, get_organization, marks, study_with_patients
from .studies import readable_study

router = APIRouter()


def _missing(field: str, value: int) -> ApiError:
    return ApiError(400, {field: [f'Invalid pk "{value}" - object does not exist.']})


def _study_answer(conn: sqlite3.Connection, study_id: int) -> dict:
    row = conn.execute("SELECT id, name, description, organization_id AS organization, icon_url FROM study"
                       " WHERE id = ?", (study_id,)).fetchone()
    return dict(row)


def delete_studies(conn: sqlite3.Connection, study_ids: Sequence[int]) -> None:
    """Delete studies with their enrolments (consents go by cascade), requests and sources; the
    patients stay, as do the data they sent."""
    ids = list(study_ids)
    if not ids:
        return
    for table in ("study_patient", "study_scope_request", "study_data_source", "study_client"):
        conn.execute(f"DELETE FROM {table} WHERE study_id IN ({marks(ids)})", ids)
    conn.execute(f"DELETE FROM observation_study WHERE study_id IN ({marks(ids)})", ids)
    conn.execute(f"DELETE FROM study WHERE id IN ({marks(ids)})", ids)


def _writable(conn: sqlite3.Connection, caller: Caller, study_id: int) -> sqlite3.Row:
    row = readable_study(conn, caller, study_id)
    caller.require(row["organization_id"])
    return row


@router.post("/api/v1/studies")
def create_study(conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    with db.transaction(conn):
        fields = Fields(body)
        name = fields.take("name", required_text, required=True)
        description = fields.take("description", required_text, required=True)
        organization_id = fields.take("organization", integer, required=True)
        icon_url = fields.take("icon_url", nullable(text), default=None)
        fields.check()
        get_organization(conn, organization_id)
        caller.require(organization_id)
        study_id = conn.execute("INSERT INTO study (name, description, organization_id, icon_url) VALUES (?, ?, ?, ?)",
                                (name, description, organization_id, icon_url or None)).lastrowid
        answer = _study_answer(conn, study_id)
    return CamelJSONResponse(answer, 201)


@router.patch("/api/v1/studies/{study_id:id}")
def update_study(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    with db.transaction(conn):
        _writable(conn, caller, study_id)
        fields = Fields(body)
        changes = {
            "name": fields.take("name", required_text),
            "description": fields.take("description", required_text),
            "icon_url": fields.take("icon_url", nullable(text)),
        }
        fields.check()
        if changes["icon_url"] == "":
            changes["icon_url"] = None  # an empty address clears the icon
        for column, value in changes.items():
            if value is not MISSING:
                conn.execute(f"UPDATE study SET {column} = ? WHERE id = ?", (value, study_id))
        answer = _study_answer(conn, study_id)
    return CamelJSONResponse(answer)


@router.delete("/api/v1/studies/{study_id:id}")
def delete_study(study_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    with db.transaction(conn):
        _writable(conn, caller, study_id)
        delete_studies(conn, [study_id])
    return Response(status_code=204)


def _linked_id(body: dict, field: str) -> int:
    fields = Fields(body)
    value = fields.take(field, integer, required=True)
    fields.check()
    return value


@router.post("/api/v1/studies/{study_id:id}/scope_requests")
def add_scope_request(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Request a data type. Observations of that type already sent by enrolled patients become
    the study's (the study's observation index follows)."""
    with db.transaction(conn):
        row = _writable(conn, caller, study_id)
        code_id = _linked_id(body, "scope_code_id")
        concept = conn.execute("SELECT * FROM codeable_concept WHERE id = ?", (code_id,)).fetchone()
        if concept is None:
            raise _missing("scopeCodeId", code_id)
        if conn.execute("SELECT 1 FROM study_scope_request WHERE study_id = ? AND scope_code_id = ?",
                        (study_id, code_id)).fetchone():
            raise refused("This study already requests this data type.")
        request_id = conn.execute("INSERT INTO study_scope_request (study_id, scope_code_id) VALUES (?, ?)",
                                  (study_id, code_id)).lastrowid
        conn.execute(
            "INSERT OR IGNORE INTO observation_study (study_id, observation_id) SELECT ?, o.id FROM observation o"
            " WHERE o.codeable_concept_id = ? AND o.subject_patient_id IN"
            " (SELECT patient_id FROM study_patient WHERE study_id = ?)", (study_id, code_id, study_id))
        answer = {"id": request_id, "study": study_with_patients(conn, row), "scope_code": codeable_concept(concept)}
    return CamelJSONResponse(answer, 201)


@router.delete("/api/v1/studies/{study_id:id}/scope_requests")
def remove_scope_request(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Stop requesting a data type: the answers patients gave for it go, and its observations
    leave the study's index (they stay on the server)."""
    with db.transaction(conn):
        _writable(conn, caller, study_id)
        code_id = _linked_id(body, "scope_code_id")
        conn.execute("DELETE FROM study_scope_request WHERE study_id = ? AND scope_code_id = ?", (study_id, code_id))
        conn.execute("DELETE FROM scope_consent WHERE scope_code_id = ? AND study_patient_id IN"
                     " (SELECT id FROM study_patient WHERE study_id = ?)", (code_id, study_id))
        conn.execute("DELETE FROM observation_study WHERE study_id = ? AND observation_id IN"
                     " (SELECT id FROM observation WHERE codeable_concept_id = ?)", (study_id, code_id))
    return Response(status_code=204)


def link(conn: sqlite3.Connection, caller: Caller, study_id: int, body: dict, *, table: str, field: str,
         target: str, already: str) -> None:
    """Link the study to the row of ``target`` the body's ``field`` names (JSON 400 when unknown or
    already linked, where JHE answers 500)."""
    with db.transaction(conn):
        _writable(conn, caller, study_id)
        target_id = _linked_id(body, field)
        if conn.execute(f"SELECT 1 FROM {target} WHERE id = ?", (target_id,)).fetchone() is None:
            raise _missing(casing.to_camel(field), target_id)
        if conn.execute(f"SELECT 1 FROM {table} WHERE study_id = ? AND {field} = ?", (study_id, target_id)).fetchone():
            raise refused(already)
        conn.execute(f"INSERT INTO {table} (study_id, {field}) VALUES (?, ?)", (study_id, target_id))


def unlink(conn: sqlite3.Connection, caller: Caller, study_id: int, body: dict, *, table: str, field: str) -> None:
    with db.transaction(conn):
        _writable(conn, caller, study_id)
        target_id = _linked_id(body, field)
        conn.execute(f"DELETE FROM {table} WHERE study_id = ? AND {field} = ?", (study_id, target_id))


@router.post("/api/v1/studies/{study_id:id}/data_sources")
def add_data_source(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    link(conn, caller, study_id, body, table="study_data_source", field="data_source_id", target="data_source",
         already="This data source is already linked to this study.")
    return Response(status_code=201)


@router.delete("/api/v1/studies/{study_id:id}/data_sources")
def remove_data_source(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    unlink(conn, caller, study_id, body, table="study_data_source", field="data_source_id")
    return Response(status_code=204)
