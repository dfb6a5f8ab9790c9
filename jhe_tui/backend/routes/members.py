"""Who belongs to an organization, changed by its manager (contract sections 2.2 and 9.2).

The wire shapes and messages are JHE's (``{"error": "jhe_user_id is required"}``, ``{"error":
"Practitioner not found"}``). Where JHE answers 500 (no role, a patient's ``userType``) or stores
nonsense (a role "owner"), this answers a JSON 400; and where JHE lets an organization lose its
last manager (which only a superuser can then repair), this refuses.
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter
from starlette.responses import Response

from .. import db
from ..auth import MANAGERS
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import ApiError, refused
from ..inputs import Fields, integer, one_of
from ..serializers import get_organization, organization

router = APIRouter()

LAST_MANAGER = "An organization must keep at least one manager; add another manager first."


def _user_id(body: dict) -> int:
    if "jhe_user_id" not in body:
        raise ApiError(400, {"error": "jhe_user_id is required"})
    fields = Fields(body)
    user_id = fields.take("jhe_user_id", integer, required=True)
    fields.check()
    return user_id


def _practitioner(conn: sqlite3.Connection, user_id: int) -> sqlite3.Row:
    row = conn.execute(
        "SELECT id, email, first_name, last_name FROM jhe_user WHERE id = ? AND user_type = 'practitioner'",
        (user_id,),
    ).fetchone()
    if row is None:
        raise ApiError(404, {"error": "Practitioner not found"})
    return row


def _role_of(conn: sqlite3.Connection, user_id: int, organization_id: int) -> str | None:
    row = conn.execute("SELECT role FROM practitioner_organization WHERE user_id = ? AND organization_id = ?",
                       (user_id, organization_id)).fetchone()
    return row[0] if row else None


def _keeps_a_manager(conn: sqlite3.Connection, user_id: int, organization_id: int) -> None:
    """Refuse taking away the last manager role of an organization."""
    if _role_of(conn, user_id, organization_id) != "manager":
        return
    managers = conn.execute("SELECT COUNT(*) FROM practitioner_organization WHERE organization_id = ?"
                            " AND role = 'manager'", (organization_id,)).fetchone()[0]
    if managers <= 1:
        raise refused(LAST_MANAGER)


@router.post("/api/v1/organizations/{organization_id:id}/user")
def add_member(organization_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Give a practitioner a role here (201), or change their role (200). Managers only."""
    with db.transaction(conn):
        org = get_organization(conn, organization_id)
        caller.require(organization_id, MANAGERS)
        user_id = _user_id(body)
        fields = Fields(body)
        role = fields.take("organization_partitioner_role", one_of("manager", "member", "viewer"), required=True)
        fields.check()
        practitioner = _practitioner(conn, user_id)
        existed = _role_of(conn, user_id, organization_id) is not None
        if role != "manager":
            _keeps_a_manager(conn, user_id, organization_id)
        conn.execute(
            "INSERT INTO practitioner_organization VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, organization_id) DO UPDATE SET role = excluded.role",
            (user_id, organization_id, role),
        )
        organizations = [r[0] for r in conn.execute(
            "SELECT organization_id FROM practitioner_organization WHERE user_id = ? ORDER BY organization_id",
            (user_id,))]
    person = {"id": practitioner["id"], "name_family": practitioner["last_name"],
              "name_given": practitioner["first_name"], "jhe_user": practitioner["id"], "organizations": organizations}
    org_fields = {k: v for k, v in organization(org).items() if k in ("id", "name", "type", "part_of")}
    answer = {"organization": org_fields, "practitioner": person, "role": role}
    return CamelJSONResponse(answer, 200 if existed else 201)


@router.delete("/api/v1/organizations/{organization_id:id}/remove_user")
def remove_member(organization_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    """Take a practitioner's role away (204, also when they had none). Managers only."""
    with db.transaction(conn):
        get_organization(conn, organization_id)
        caller.require(organization_id, MANAGERS)
        user_id = _user_id(body)
        _practitioner(conn, user_id)
        _keeps_a_manager(conn, user_id, organization_id)
        conn.execute("DELETE FROM practitioner_organization WHERE user_id = ? AND organization_id = ?",
                     (user_id, organization_id))
    return Response(status_code=204)
