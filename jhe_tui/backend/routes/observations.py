"""The admin observation list (contract section 2.7): JHE's filters only, newest first."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import search, serializers
from ..casing import CamelJSONResponse
from ..deps import Conn, CurrentCaller
from ..inputs import query_int
from ..pages import drf_page, page_of

router = APIRouter()


@router.get("/api/v1/observations")
def list_observations(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    """Observations of the patients sharing an organization with the caller. ``study_id`` keeps
    those of the study's patients whose code the study requests (HEAD's reading of the filter)."""
    wanted = search.ObservationFilter(
        organization_id=query_int(request, "organization_id"),
        study_id=query_int(request, "study_id"),
        patient_id=query_int(request, "patient_id"),
        observation_id=query_int(request, "observation_id"),
    )
    page = page_of(request)
    count, ids = search.observations(conn, caller.organization_ids, wanted, offset=page.offset, limit=page.size)
    items = [serializers.observation(row) for row in serializers.observations(conn, ids)]
    return CamelJSONResponse(drf_page(request, page, count, items))
