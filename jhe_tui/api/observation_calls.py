"""Observations, in the JHE list form and as FHIR searches; where a generation cannot filter on
the server (v0.0.7 has no FHIR date filter), the filter is applied here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

from .client_core import LARGE_PAGE, ClientCore, Scope, _reading, scope_key
from .errors import InvalidInput
from .fhir import date_query, observation_page, resource_page, within_dates
from .generation import FHIR_STUDY
from .models import FhirObservation, Observation
from .pages import DEFAULT_PAGE_SIZE, Page, iterate

Day = date | datetime


class FhirFilters(TypedDict, total=False):
    """What a FHIR observation search filters by; each is optional."""

    patient_id: int | None
    study_id: int | None
    organization_id: int | None
    code: Scope | None
    date_ge: Day | None
    date_le: Day | None


class ObservationCalls(ClientCore):
    async def observations(
        self,
        organization_id: int | None = None,
        study_id: int | None = None,
        patient_id: int | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Observation]:
        """Observations with their raw OMH payload and decoded value; newest first."""
        filters = {"organization_id": organization_id, "study_id": study_id, "patient_id": patient_id}
        path, doing = "/api/v1/observations", "listing observations"
        return await self._page(Observation, "observations", path, filters, page, page_size, doing)

    def iter_observations(
        self,
        organization_id: int | None = None,
        study_id: int | None = None,
        patient_id: int | None = None,
        page_size: int = LARGE_PAGE,
    ) -> AsyncIterator[Observation]:
        filters = {"organization_id": organization_id, "study_id": study_id, "patient_id": patient_id}
        return self._walk(Observation, "observations", "/api/v1/observations", filters, page_size,
                          "listing observations")

    async def _fhir_request(
        self, filters: FhirFilters, page: int, count: int
    ) -> tuple[str, dict[str, str | list[str]], bool]:
        """(path, query) of one FHIR search page, and whether the date range is left to the caller."""
        adapter = await self.adapter()
        if adapter.fhir_needs_patient and filters.get("patient_id") is None:
            raise InvalidInput(
                "This server (JHE before v0.0.13) searches FHIR observations one patient at a time; choose a patient."
            )
        date_ge, date_le, code = filters.get("date_ge"), filters.get("date_le"), filters.get("code")
        local_dates = not adapter.fhir_date_filter and (date_ge is not None or date_le is not None)
        query = adapter.query(
            "fhir_observations",
            {
                "patient": filters.get("patient_id"),
                FHIR_STUDY: filters.get("study_id"),
                "patient.organization": filters.get("organization_id"),
                "code": "|".join(scope_key(code)) if code is not None else None,
                "date": date_query(date_ge, date_le) if adapter.fhir_date_filter else None,
                "_count": count if count != DEFAULT_PAGE_SIZE else None,
                "_page": page if page != 1 else None,
            },
        )
        return f"{adapter.fhir_base}/Observation", query, local_dates

    async def _fhir_search(
        self, filters: FhirFilters, page: int, count: int, link: str | None = None
    ) -> tuple[Page[FhirObservation], bool]:
        """One page as the server returns it (``link``: the previous page's ``next``), and whether
        the date range must be applied locally."""
        path, query, local_dates = await self._fhir_request(filters, page, count)
        doing = "searching FHIR observations"
        data = await self._get(self._link(link), doing) if link is not None else await self._get(path, doing, query)
        with _reading(doing):
            return observation_page(data, page=page, count=count), local_dates

    async def fhir_observation_resources(
        self, *, page: int = 1, count: int = 100, texts_only: bool = False, **filters: Unpack[FhirFilters]
    ) -> Page[Any]:
        """One page of FHIR observations as resources, for a caller that copies them (the export):
        no models, no attachment decoding. Each item is the resource's dict, or with ``texts_only``
        its JSON text on one line. A body that is not a JSON object reads as an empty page.

        Every filter runs on the server, so a date range is refused where it cannot (JHE before
        v0.0.13; ``fhir_observations`` applies it locally there).
        """
        path, query, local_dates = await self._fhir_request(filters, page, count)
        if local_dates:
            raise InvalidInput("This server (JHE before v0.0.13) cannot search FHIR observations by date.")
        text = await self.request_text("GET", path, params=query, doing="searching FHIR observations")
        return resource_page(text, page=page, count=count, texts_only=texts_only)

    async def fhir_observations(
        self, *, page: int = 1, count: int = 100, **filters: Unpack[FhirFilters]
    ) -> Page[FhirObservation]:
        """One page of FHIR observations.

        Where the server has no ``date`` filter (v0.0.7) the range is applied to this page
        locally, and ``count`` stays the unfiltered total.
        """
        result, local_dates = await self._fhir_search(filters, page, count)
        if local_dates:
            result.items = [o for o in result.items if within_dates(o, filters.get("date_ge"), filters.get("date_le"))]
        return result

    async def iter_fhir_observations(
        self, *, count: int = LARGE_PAGE, **filters: Unpack[FhirFilters]
    ) -> AsyncIterator[FhirObservation]:
        """Every matching FHIR observation; pages are fetched whole and, on v0.0.7, filtered here."""
        local_dates = False

        async def fetch(number: int, link: str | None) -> Page[FhirObservation]:
            nonlocal local_dates
            result, local_dates = await self._fhir_search(filters, number, count, link)
            return result

        async for observation in iterate(fetch):
            if not local_dates or within_dates(observation, filters.get("date_ge"), filters.get("date_le")):
                yield observation
