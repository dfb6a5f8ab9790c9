"""The caller's own profile and organizations (contract section 2.1)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller
from ..serializers import marks, organization

router = APIRouter()


@router.get("/api/v1/users/profile")
def profile(caller: CurrentCaller) -> Response:
    return CamelJSONResponse({
        "id": caller.id,
        "email": caller.email,
        "first_name": caller.first_name,
        "last_name": caller.last_name,
        "patient": None,
        "user_type": "practitioner",
        "is_superuser": caller.superuser,
    })


@router.get("/api/v1/users/organizations")
def my_organizations(conn: Conn, caller: CurrentCaller) -> Response:
    """Organizations where the caller has a role; JHE leaves ``currentUserRole`` null here."""
    ids = sorted(caller.organization_ids)
    rows = conn.execute(f"SELECT * FROM organization WHERE id IN ({marks(ids)}) ORDER BY name, id", ids)
    return CamelJSONResponse([organization(row) for row in rows])
