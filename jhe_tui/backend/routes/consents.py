"""A patient's consents per study and scope (contract section 2.6, guide "Manage Patient Consent").

The guide's semantics, without JHE's 500s: POST records an answer or changes an existing one
(so POST ``consented:false`` revokes), PATCH does the same, DELETE forgets answers so the scopes
are pending again. POST answers 201, PATCH 200, DELETE 204. Every item of a request is checked
before anything is written: the study exists, the caller is a member or manager of its
organization, the patient is enrolled in it, and the code is a known scope the study requests.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from .. import db
from ..auth import Caller
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import detail, not_found, refused
from ..inputs import MAX_LIST, Fields, boolean, integer, text
from ..serializers import STUDY_COLUMNS, STUDY_FROM, codeable_concept, data_sources, marks, patient, study

router = APIRouter()
PATH = "/api/v1/patients/{patient_id:id}/consents"


@router.get(PATH)
def consents(patient_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    subject = patient(conn, patient_id)
    if not caller.organization_ids & {o["id"] for o in subject["organizations"]}:
        raise detail(403, "This Practitioner not authorized to access this Patient")
    enrolments = conn.execute(
        f"SELECT sp.id AS enrolment_id, {STUDY_COLUMNS} {STUDY_FROM}"
        " JOIN study_patient sp ON sp.study_id = s.id WHERE sp.patient_id = ? ORDER BY s.id",
        (patient_id,),
    ).fetchall()
    study_ids = [row["id"] for row in enrolments]
    sources = {ds["id"]: ds for ds in data_sources(conn)}
    linked: dict[int, list[dict]] = defaultdict(list)
    requested: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for row in conn.execute(
        f"SELECT study_id, data_source_id FROM study_data_source WHERE study_id IN ({marks(study_ids)}) ORDER BY id",
        study_ids,
    ):
        linked[row["study_id"]].append(sources[row["data_source_id"]])
    for row in conn.execute(
        "SELECT r.study_id, c.* FROM study_scope_request r JOIN codeable_concept c ON c.id = r.scope_code_id"
        f" WHERE r.study_id IN ({marks(study_ids)}) ORDER BY r.id",
        study_ids,
    ):
        requested[row["study_id"]].append(row)
    answers = {
        (row["study_patient_id"], row["scope_code_id"]): row
        for row in conn.execute(
            "SELECT * FROM scope_consent WHERE study_patient_id IN"
            " (SELECT id FROM study_patient WHERE patient_id = ?)", (patient_id,))
    }
    consolidated: dict[int, dict] = {}
    pending, answered = [], []
    for row in enrolments:
        base = {**study(row), "data_sources": linked[row["id"]]}
        waiting, given = [], []
        for code in requested[row["id"]]:
            answer = answers.get((row["enrolment_id"], code["id"]))
            item = {
                "code": codeable_concept(code),
                "consented": None if answer is None else bool(answer["consented"]),
                "consented_time": None if answer is None else answer["consented_time"],
            }
            (waiting if answer is None else given).append(item)
            if item["consented"]:
                consolidated[code["id"]] = item["code"]
        if waiting:
            pending.append({**base, "pending_scope_consents": waiting})
        if given:
            answered.append({**base, "scope_consents": given})
    return CamelJSONResponse({
        "patient": subject,
        "consolidated_consented_scopes": [consolidated[k] for k in sorted(consolidated)],
        "studies_pending_consent": pending,
        "studies": answered,
    })


def _member(value: Any, label: str, key: str, check: Callable[[Any], Any]) -> Any:
    if key not in value:
        raise ValueError(f"{label} is required.")
    try:
        return check(value[key])
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None


def _objects(value: Any, what: str) -> list[dict]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"Expected a non-empty list of {what} objects.")
    if len(value) > MAX_LIST:
        raise ValueError(f"Ensure this field has no more than {MAX_LIST} elements.")
    return value


def _requests(body: dict, *, answered: bool) -> list[tuple[int, list[tuple[str, str, bool | None]]]]:
    """``studyScopeConsents`` as (study id, [(coding system, coding code, consented)])."""

    def check(value: Any) -> list[tuple[int, list[tuple[str, str, bool | None]]]]:
        wanted = []
        for item in _objects(value, "{studyId, scopeConsents}"):
            study_id = _member(item, "studyId", "study_id", integer)
            scopes = _member(item, "scopeConsents", "scope_consents",
                             lambda v: _objects(v, "{codingSystem, codingCode, consented}"))
            wanted.append((study_id, [
                (_member(s, "codingSystem", "coding_system", text), _member(s, "codingCode", "coding_code", text),
                 _member(s, "consented", "consented", boolean) if answered else None)
                for s in scopes
            ]))
        return wanted

    fields = Fields(body)
    wanted = fields.take("study_scope_consents", check, required=True)
    fields.check()
    return wanted


def _write(patient_id: int, conn: sqlite3.Connection, caller: Caller, body: dict, *, answered: bool) -> list[dict]:
    """Check every item, then record (``answered``) or forget the answers; returns what was recorded."""
    with db.transaction(conn):
        if conn.execute("SELECT 1 FROM patient WHERE id = ?", (patient_id,)).fetchone() is None:
            raise not_found("Patient")
        planned = []
        for study_id, scopes in _requests(body, answered=answered):
            row = conn.execute("SELECT organization_id FROM study WHERE id = ?", (study_id,)).fetchone()
            if row is None:
                raise not_found("Study")
            caller.require(row["organization_id"])
            enrolment = conn.execute(
                "SELECT id FROM study_patient WHERE study_id = ? AND patient_id = ?", (study_id, patient_id)
            ).fetchone()
            if enrolment is None:
                raise refused(f"Patient {patient_id} is not enrolled in study {study_id}.")
            for system, code, consented in scopes:
                concept = conn.execute(
                    "SELECT * FROM codeable_concept WHERE coding_system = ? AND coding_code = ?", (system, code)
                ).fetchone()
                if concept is None:
                    raise refused(f"Unknown scope code {system}|{code}.")
                if conn.execute("SELECT 1 FROM study_scope_request WHERE study_id = ? AND scope_code_id = ?",
                                (study_id, concept["id"])).fetchone() is None:
                    raise refused(f"Study {study_id} does not request {code}.")
                planned.append((study_id, enrolment["id"], concept, consented))
        recorded = []
        now = db.timestamp()
        for study_id, enrolment_id, concept, consented in planned:
            if not answered:
                conn.execute("DELETE FROM scope_consent WHERE study_patient_id = ? AND scope_code_id = ?",
                             (enrolment_id, concept["id"]))
                continue
            consent_id = conn.execute(
                "INSERT INTO scope_consent (study_patient_id, scope_code_id, consented, consented_time)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (study_patient_id, scope_code_id)"
                " DO UPDATE SET consented = excluded.consented, consented_time = excluded.consented_time"
                " RETURNING id",
                (enrolment_id, concept["id"], int(consented), now),
            ).fetchone()[0]
            recorded.append({
                "id": consent_id,
                "study_patient": {"id": enrolment_id, "study": study_id, "patient": patient_id},
                "scope_code": codeable_concept(concept),
                "consented": consented,
                "consented_time": now,
            })
    return recorded


@router.post(PATH)
def record(patient_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    return CamelJSONResponse({"study_scope_consents": _write(patient_id, conn, caller, body, answered=True)}, 201)


@router.patch(PATH)
def change(patient_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    return CamelJSONResponse({"study_scope_consents": _write(patient_id, conn, caller, body, answered=True)})


@router.delete(PATH)
def forget(patient_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    _write(patient_id, conn, caller, body, answered=False)
    return Response(status_code=204)
