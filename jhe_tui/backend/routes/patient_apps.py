"""v0.0.13's patient apps (contract sections 2.3 and 9.3): ``GET /api/v1/clients``, one DRF page of
every app invitations can be issued for, and a study's apps, ``GET/POST/DELETE
/api/v1/studies/{id}/clients`` with the application's pk as ``client_id`` (``clientId`` too, as
the web console sends it).

Stricter than JHE: adding or removing a study's app takes a manager or member of the study's
organization (JHE lets anyone), and a repeated or unknown app is a JSON 400 (JHE: a 500). The
nested application leaves out its secret, which JHE hands out hashed.
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..pages import MAX_SIZE, Page, drf_page, page_of
from ..serializers import study_with_patients
from .studies import readable_study
from .study_admin import link, unlink

router = APIRouter()


def _app(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "name": row["name"], "clientId": row["client_id"], "invitation_url": row["invitation_url"]}


@router.get("/api/v1/clients")
def list_apps(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Open to any signed-in caller, newest first, as at JHE."""
    page = Page(page_of(request).number, MAX_SIZE, "page", "page_size")
    count = conn.execute("SELECT count(*) FROM jhe_client").fetchone()[0]
    rows = conn.execute("SELECT * FROM jhe_client ORDER BY id DESC LIMIT ? OFFSET ?", (page.size, page.offset))
    return CamelJSONResponse(drf_page(request, page, count, [_app(row) for row in rows]))


@router.get("/api/v1/studies/{study_id:id}/clients")
def study_apps(study_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    study = study_with_patients(conn, readable_study(conn, caller, study_id))
    rows = conn.execute("SELECT sc.id AS link_id, c.* FROM study_client sc JOIN jhe_client c ON c.id = sc.client_id"
                        " WHERE sc.study_id = ? ORDER BY sc.id", (study_id,))
    links = [{"id": row["link_id"], "study": study,
              "client": {"id": row["id"], "client_id": row["client_id"], "name": row["name"],
                         "client_type": "public", "authorization_grant_type": "authorization-code"}}
             for row in rows]
    return CamelJSONResponse(links)


def _client_id(body: dict) -> dict:
    return {"client_id": body["clientId"]} if "clientId" in body and "client_id" not in body else body


@router.post("/api/v1/studies/{study_id:id}/clients")
def add_study_app(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    link(conn, caller, study_id, _client_id(body), table="study_client", field="client_id", target="jhe_client",
         already="This patient app is already one of this study's.")
    return Response(status_code=201)


@router.delete("/api/v1/studies/{study_id:id}/clients")
def remove_study_app(study_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    unlink(conn, caller, study_id, _client_id(body), table="study_client", field="client_id")
    return Response(status_code=204)
