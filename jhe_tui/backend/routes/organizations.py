"""Organizations, their tree, members and studies, as read (contract section 2.2).

Every practitioner may read every organization, as in JHE; ``currentUserRole`` tells the caller
where they have a role. The writes are in ``organization_admin`` and ``members``.
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..auth import Caller
from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller
from ..inputs import query_int
from ..pages import drf_page, page_of, slice_of
from ..serializers import get_organization, organization

router = APIRouter()

ORGANIZATION_TYPES = {
    "root": "Root",
    "prov": "Healthcare Provider",
    "dept": "Hospital Department",
    "team": "Organizational team",
    "govt": "Government",
    "ins": "Insurance Company",
    "pay": "Payer",
    "edu": "Educational Institute",
    "reli": "Religious Institution",
    "crs": "Clinical Research Sponsor",
    "cg": "Community Group",
    "bus": "Non-Healthcare Business or Corporation",
    "other": "Other",
    "laboratory": "Laboratory",
    "imaging": "Imaging Center",
    "pharmacy": "Pharmacy",
    "health-information-network": "Health Information Network",
    "health-data-aggregator": "Health Data Aggregator",
}


def _with_role(row: sqlite3.Row, caller: Caller) -> dict:
    return organization(row, caller.roles.get(row["id"]))


@router.get("/api/v1/organizations")
def list_organizations(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """All organizations, ROOT included, by name; ``part_of`` narrows to one parent's children."""
    part_of = query_int(request, "part_of")
    if part_of is None:
        rows = conn.execute("SELECT * FROM organization ORDER BY name, id").fetchall()
    else:
        rows = conn.execute("SELECT * FROM organization WHERE part_of = ? ORDER BY name, id", (part_of,)).fetchall()
    page = page_of(request)
    return CamelJSONResponse(drf_page(request, page, len(rows), [_with_role(r, caller) for r in slice_of(page, rows)]))


@router.get("/api/v1/organizations/types")
def organization_types(caller: CurrentCaller) -> Response:
    return CamelJSONResponse(ORGANIZATION_TYPES)


@router.get("/api/v1/organizations/{organization_id:id}")
def get_one(organization_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    return CamelJSONResponse(_with_role(get_organization(conn, organization_id), caller))


@router.get("/api/v1/organizations/{organization_id:id}/tree")
def tree(organization_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    root = get_organization(conn, organization_id)
    children: dict[int, list[sqlite3.Row]] = {}
    for row in conn.execute("SELECT * FROM organization WHERE part_of IS NOT NULL AND id != 0 ORDER BY name, id"):
        children.setdefault(row["part_of"], []).append(row)

    def build(row: sqlite3.Row, seen: frozenset[int]) -> dict:
        kids = [build(kid, seen | {kid["id"]}) for kid in children.get(row["id"], []) if kid["id"] not in seen]
        return organization(row, caller.roles.get(row["id"]), kids)

    return CamelJSONResponse(build(root, frozenset({root["id"]})))


@router.get("/api/v1/organizations/{organization_id:id}/users")
def members(organization_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    get_organization(conn, organization_id)
    rows = conn.execute(
        "SELECT u.id, u.email, u.first_name, u.last_name, po.role FROM practitioner_organization po"
        " JOIN jhe_user u ON u.id = po.user_id WHERE po.organization_id = ? ORDER BY u.last_name, u.id",
        (organization_id,),
    )
    return CamelJSONResponse([dict(row) for row in rows])


@router.get("/api/v1/organizations/{organization_id:id}/studies")
def studies(organization_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    get_organization(conn, organization_id)
    rows = conn.execute(
        "SELECT id, name, description, organization_id AS organization, icon_url FROM study"
        " WHERE organization_id = ? ORDER BY name, id",
        (organization_id,),
    )
    return CamelJSONResponse([dict(row) for row in rows])
