"""Finding a user by e-mail (``GET /api/v1/users/search_by_email``), as the web console does
before adding a member (contract sections 2.1 and 9.2).

JHE's answers: the user, with the whole patient for a patient's login; for an unknown e-mail a
200 with empty fields and no ``id``. Open to any signed-in practitioner, as in JHE. Unlike JHE,
no ``email`` is a 400 (JHE answers with the first user of all).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller
from ..errors import invalid
from ..inputs import REQUIRED
from ..serializers import patients

router = APIRouter()

NOBODY = {"email": "", "first_name": "", "last_name": "", "user_type": None, "is_superuser": False}


@router.get("/api/v1/users/search_by_email")
def search_by_email(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    email = (request.query_params.get("email") or "").strip()
    if not email:
        raise invalid("email", REQUIRED)
    row = conn.execute("SELECT id, email, first_name, last_name, user_type FROM jhe_user WHERE email = ?",
                       (email,)).fetchone()
    if row is None:
        return CamelJSONResponse(NOBODY)
    patient_id = conn.execute("SELECT id FROM patient WHERE jhe_user_id = ?", (row["id"],)).fetchone()
    found = patients(conn, [patient_id[0]]) if patient_id else []
    return CamelJSONResponse({"id": row["id"], "email": row["email"], "first_name": row["first_name"],
                              "last_name": row["last_name"], "patient": found[0] if found else None,
                              "user_type": row["user_type"], "is_superuser": False})
