"""Invitations: the guide's link for a patient (contract section 2.5, old) and the list of every
invitation issued (section 9.4, v0.0.13's ``GET /api/v1/invitation``).

The demo issues links the guide's way, but lists them as v0.0.13 does, so a client can find out
after a lost answer or a crash whether an invitation went out: one DRF page of up to 1,000 (JHE's
global page size; ``page_size`` is not read), newest first, ``token`` always null since only the
code's digest is kept. Like v0.0.13, any signed-in caller sees them all.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import db, invitations
from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller, ServerSettings
from ..errors import forbidden
from ..inputs import query_flag
from ..pages import MAX_SIZE, Page, drf_page, page_of
from ..serializers import patient

router = APIRouter()


@router.get("/api/v1/patients/{patient_id:id}/invitation_link")
def invitation_link(patient_id: int, request: Request, conn: Conn, caller: CurrentCaller,
                    settings: ServerSettings) -> Response:
    """A new invitation link (earlier ones stop working); ``send_email=true`` also mails it.
    Takes a member or manager role in one of the patient's organizations."""
    with db.transaction(conn):
        subject = patient(conn, patient_id)
        if not caller.can_write_any({o["id"] for o in subject["organizations"]}):
            raise forbidden()
        send = query_flag(request, "send_email")
        link = invitations.issue(conn, patient_id, settings.site_url, emailed=send)
        if send:
            invitations.send(conn, settings.outbox_dir, to=subject["telecom_email"],
                             given_name=subject["name_given"], link=link)
    return CamelJSONResponse({"invitation_link": link})


@router.get("/api/v1/invitation")
def list_invitations(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Every invitation, newest first (``caller``: refused without a valid token)."""
    page = Page(page_of(request).number, MAX_SIZE, "page", "page_size")
    count = conn.execute("SELECT count(*) FROM invitation").fetchone()[0]
    rows = conn.execute("SELECT * FROM invitation ORDER BY id DESC LIMIT ? OFFSET ?", (page.size, page.offset))
    results = [invitations.record(row) for row in rows]
    return CamelJSONResponse(drf_page(request, page, count, results))
