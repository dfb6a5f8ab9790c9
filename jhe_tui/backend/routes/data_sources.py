"""Data sources and the list of codeable concepts (contract section 2.8)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller
from ..pages import drf_page, page_of, slice_of
from ..serializers import codeable_concept, data_sources

router = APIRouter()


@router.get("/api/v1/data_sources")
def list_data_sources(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    items = data_sources(conn)
    page = page_of(request)
    return CamelJSONResponse(drf_page(request, page, len(items), slice_of(page, items)))


@router.get("/api/v1/data_sources/all_scopes")
def all_scopes(conn: Conn, caller: CurrentCaller) -> Response:
    """Every codeable concept, by text: the only list of them JHE offers."""
    rows = conn.execute("SELECT * FROM codeable_concept ORDER BY text, id")
    return CamelJSONResponse([codeable_concept(row) for row in rows])
