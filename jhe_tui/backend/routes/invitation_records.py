"""What became of the invitations: v0.0.13's per-patient history (``consolidated_clients``) and
the redemption a patient's app makes (``POST /api/v1/invitation/<code>``), so a demo can "redeem"
a link from the outbox (``curl -X POST …/api/v1/invitation/<code>`` against `serve-demo`).

The demo issues links for one app, so a patient's history is one client's. Unlike v0.0.13, which
lets any practitioner read any patient's, the history takes a role in one of the patient's
organizations, as reading the patient's consents does.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from .. import db, invitations
from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller
from ..errors import detail
from ..serializers import patient

router = APIRouter()


@router.get("/api/v1/patients/{patient_id:id}/consolidated_clients")
def consolidated_clients(patient_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    """The patient's app with every invitation issued for it, newest first."""
    subject = patient(conn, patient_id)
    if not caller.organization_ids & {o["id"] for o in subject["organizations"]}:
        raise detail(403, "This Practitioner not authorized to access this Patient")
    rows = conn.execute("SELECT * FROM invitation WHERE patient_id = ? ORDER BY id DESC", (patient_id,))
    return CamelJSONResponse([{**invitations.DEMO_APP, "patient_invitations": [invitations.record(r) for r in rows]}])


@router.post("/api/v1/invitation/{code}")
def redeem(code: str, conn: Conn) -> Response:
    """No sign-in, as for the app: the code (or the whole link, URL-quoted) is the credential."""
    with db.transaction(conn):
        refusal = invitations.redeem(conn, invitations.code_of(code))
    if refusal is not None:
        raise refusal
    return CamelJSONResponse({"detail": "Invitation redeemed."})
