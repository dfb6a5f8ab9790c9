"""Organizations created, changed and deleted (contract sections 2.2 and 9.1), as JHE v0.0.13
answers: 201 with the new organization (``currentUserRole`` null, although the creator is now
its manager), PATCH 200, DELETE 204 with the whole subtree going along.

The role rules are JHE's permission table: a sub-organization takes a manager of its parent; a
change or a delete takes a manager of the parent (of the organization itself when top-level); a
top-level organization takes a superuser (the demo's admin@demo.jhe.example). Where JHE answers 500 (an
unknown id on PATCH or DELETE) this answers a JSON 404.
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter
from starlette.responses import Response

from .. import db
from ..auth import MANAGERS, Caller
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import ApiError, forbidden
from ..inputs import Fields, integer, one_of, required_text
from ..serializers import get_organization, marks, organization
from .organizations import ORGANIZATION_TYPES
from .study_admin import delete_studies

router = APIRouter()

TYPES = one_of(*(code for code in ORGANIZATION_TYPES if code != "root"))


def _require_change(caller: Caller, org: sqlite3.Row) -> None:
    """A manager of the parent, or of the organization itself when it is top-level."""
    if org["id"] == 0:
        raise forbidden()
    top_level = org["part_of"] in (None, 0)
    caller.require(org["id"] if top_level else org["part_of"], MANAGERS)


@router.post("/api/v1/organizations")
def create_organization(conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    with db.transaction(conn):
        fields = Fields(body)
        name = fields.take("name", required_text, required=True)
        org_type = fields.take("type", TYPES, required=True)
        part_of = fields.take("part_of", integer, default=None)
        if part_of in (None, 0) and not caller.superuser:
            raise forbidden()  # a top-level organization takes a superuser
        fields.check()
        part_of = part_of or 0  # top-level organizations hang below the root
        if conn.execute("SELECT 1 FROM organization WHERE id = ?", (part_of,)).fetchone() is None:
            raise ApiError(400, {"part_of": [f'Invalid pk "{part_of}" - object does not exist.']})
        caller.require(part_of, MANAGERS)
        new_id = conn.execute("INSERT INTO organization (name, type, part_of) VALUES (?, ?, ?)",
                              (name, org_type, part_of)).lastrowid
        conn.execute("INSERT INTO practitioner_organization VALUES (?, ?, 'manager')", (caller.id, new_id))
        row = get_organization(conn, new_id)
    return CamelJSONResponse(organization(row), 201)


@router.patch("/api/v1/organizations/{organization_id:id}")
def update_organization(organization_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    with db.transaction(conn):
        org = get_organization(conn, organization_id)
        _require_change(caller, org)
        fields = Fields(body)
        name = fields.take("name", required_text, default=None)
        org_type = fields.take("type", TYPES, default=None)
        fields.check()
        if name is not None:
            conn.execute("UPDATE organization SET name = ? WHERE id = ?", (name, organization_id))
        if org_type is not None:
            conn.execute("UPDATE organization SET type = ? WHERE id = ?", (org_type, organization_id))
        row = get_organization(conn, organization_id)
    return CamelJSONResponse(organization(row, caller.roles.get(organization_id)))


def subtree_ids(conn: sqlite3.Connection, organization_id: int) -> list[int]:
    """The organization and everything under it, deepest first (the order a delete needs)."""
    rows = conn.execute(
        "WITH RECURSIVE below(id, depth) AS (SELECT ?, 0 UNION SELECT o.id, below.depth + 1 FROM organization o"
        " JOIN below ON o.part_of = below.id WHERE o.id != 0 AND below.depth < 64)"
        " SELECT id FROM below GROUP BY id ORDER BY MAX(depth) DESC, id", (organization_id,))
    return [row[0] for row in rows]


@router.delete("/api/v1/organizations/{organization_id:id}")
def delete_organization(organization_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    """Delete it and its subtree: their studies (with enrolments and consents) and every role in
    them; patients lose those organizations and keep any other (one left in none stays, unseen,
    as at JHE)."""
    with db.transaction(conn):
        org = get_organization(conn, organization_id)
        _require_change(caller, org)
        ids = subtree_ids(conn, organization_id)
        studies = [r[0] for r in conn.execute(f"SELECT id FROM study WHERE organization_id IN ({marks(ids)})", ids)]
        delete_studies(conn, studies)
        for table in ("patient_organization", "practitioner_organization"):
            conn.execute(f"DELETE FROM {table} WHERE organization_id IN ({marks(ids)})", ids)
        for org_id in ids:
            conn.execute("DELETE FROM organization WHERE id = ?", (org_id,))
    return Response(status_code=204)
