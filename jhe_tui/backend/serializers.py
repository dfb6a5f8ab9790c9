"""JHE's response shapes (contract section 2), built from rows, in snake_case.

``casing.CamelJSONResponse`` renames the keys on the way out. Shapes that hold lists
(patients with their organizations, data sources with their scopes) load those in one extra
query for the whole page, never one per item.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .errors import not_found

STUDY_COLUMNS = (
    "s.id, s.name, s.description, s.icon_url, s.organization_id,"
    " o.name AS organization_name, o.type AS organization_type"
)
STUDY_FROM = "FROM study s JOIN organization o ON o.id = s.organization_id"
STUDY_SELECT = f"SELECT {STUDY_COLUMNS} {STUDY_FROM}"


def marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def organization(row: sqlite3.Row, role: str | None = None, children: list[dict] | None = None) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "part_of": row["part_of"],
        "current_user_role": role,
        "children": children or [],
    }


def organization_brief(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "name": row["name"], "type": row["type"]}


def codeable_concept(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "coding_system": row["coding_system"], "coding_code": row["coding_code"],
            "text": row["text"]}


def get_organization(conn: sqlite3.Connection, organization_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM organization WHERE id = ?", (organization_id,)).fetchone()
    if row is None:
        raise not_found("Organization")
    return row


def patients(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict]:
    """Patient objects in the order of ``ids``."""
    if not ids:
        return []
    rows = conn.execute(
        "SELECT p.*, u.email FROM patient p JOIN jhe_user u ON u.id = p.jhe_user_id"
        f" WHERE p.id IN ({marks(ids)})",
        list(ids),
    ).fetchall()
    organizations: dict[int, list[dict]] = defaultdict(list)
    for row in conn.execute(
        "SELECT po.patient_id, o.* FROM patient_organization po JOIN organization o ON o.id = po.organization_id"
        f" WHERE po.patient_id IN ({marks(ids)}) ORDER BY o.id",
        list(ids),
    ):
        organizations[row["patient_id"]].append(organization(row))
    by_id = {
        row["id"]: {
            "id": row["id"],
            "jhe_user_id": row["jhe_user_id"],
            "identifier": row["identifier"],
            "name_family": row["name_family"],
            "name_given": row["name_given"],
            "birth_date": row["birth_date"],
            "telecom_phone": row["telecom_phone"],
            "telecom_email": row["email"],
            "organizations": organizations[row["id"]],
        }
        for row in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def patient(conn: sqlite3.Connection, patient_id: int) -> dict:
    found = patients(conn, [patient_id])
    if not found:
        raise not_found("Patient")
    return found[0]


def study(row: sqlite3.Row) -> dict:
    """StudyOrganizationSerializer: the organization as a small object."""
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "organization": {"id": row["organization_id"], "name": row["organization_name"],
                         "type": row["organization_type"]},
        "icon_url": row["icon_url"],
    }


def study_with_patients(conn: sqlite3.Connection, row: sqlite3.Row) -> dict:
    """StudySerializer as nested in scope requests and enrolments: organization as an id."""
    patient_ids = [r[0] for r in conn.execute(
        "SELECT patient_id FROM study_patient WHERE study_id = ? ORDER BY patient_id", (row["id"],))]
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "icon_url": row["icon_url"],
        "organization": row["organization_id"],
        "patients": patient_ids,
    }


def data_sources(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT * FROM data_source ORDER BY id").fetchall()
    scopes: dict[int, list[dict]] = defaultdict(list)
    for row in conn.execute(
        "SELECT s.data_source_id, c.* FROM data_source_supported_scope s"
        " JOIN codeable_concept c ON c.id = s.scope_code_id ORDER BY c.id"
    ):
        scopes[row["data_source_id"]].append(codeable_concept(row))
    return [{"id": r["id"], "name": r["name"], "type": r["type"], "supported_scopes": scopes[r["id"]]} for r in rows]


def observations(conn: sqlite3.Connection, ids: Sequence[int]) -> list[sqlite3.Row]:
    """Observation rows with their code and their patient's name; newest first."""
    if not ids:
        return []
    return conn.execute(
        "SELECT o.*, d.value_attachment_data, p.name_family, p.name_given, c.coding_system, c.coding_code, c.text"
        " FROM observation o JOIN observation_data d ON d.id = o.id JOIN patient p ON p.id = o.subject_patient_id"
        " JOIN codeable_concept c ON c.id = o.codeable_concept_id"
        f" WHERE o.id IN ({marks(ids)}) ORDER BY o.id DESC",
        list(ids),
    ).fetchall()


def observation(row: sqlite3.Row) -> dict:
    return {
        "id": row["id"],
        "subject_patient_id": row["subject_patient_id"],
        "patient_name_family": row["name_family"],
        "patient_name_given": row["name_given"],
        "codeable_concept_id": row["codeable_concept_id"],
        "coding_system": row["coding_system"],
        "coding_code": row["coding_code"],
        "coding_text": row["text"],
        "last_updated": row["last_updated"],
        "value_attachment_data": json.loads(row["value_attachment_data"]),
    }
