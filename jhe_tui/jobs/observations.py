"""Which observations a practitioner asked for, and where they are filtered.

The observations screen and the export share one ``ObservationQuery`` and one rule for where each
filter runs:

* the embedded backend and JHE v0.0.13+ search FHIR observations with every filter on the server
  (``patient.organization``, study, patient, ``code``, ``date``);
* JHE before v0.0.13 filters its admin list only by organization, study and patient, so data type
  and date range are applied here, to each page as it arrives ("local" filtering). When a patient is
  chosen, its FHIR search does filter by code, and only the dates stay local.
* The data source (the device or app that sent the reading) is only in the raw OMH header, which
  no server searches, so that filter is always local.

Every record becomes a ``FhirObservation`` (admin-list items get the FHIR resource the server would
have given), so screens and exports deal with one shape. No Textual here.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any

from jhe_tui.api import (
    FhirObservation, InvalidInput, JheClient, Observation, OmhValue, Page, scope_key,
)
from jhe_tui.api.client import FhirFilters
from jhe_tui.api.fhir import within_dates

from .pacing import Pacing, paced_pages

LARGE_PAGE = 1000  # the largest page every JHE generation serves (v0.0.13 caps there)
LOCAL_NOTE = (
    "This server (JHE before v0.0.13) cannot filter by {what}: jhe-tui reads the pages and filters them here, "
    "so counts are those found so far."
)
SOURCE_NOTE = (
    "No JHE server filters by data source: jhe-tui reads the pages and filters them here, "
    "so counts are those found so far."
)


def source_of(payload: Any) -> str:
    """The device or app an OMH data point names in its header: the manufacturer datasheet JHE's
    data carry (``external_datasheets``), else OMH 1.x's ``acquisition_provenance.source_name``;
    "" when it names none."""
    header = payload.get("header") if isinstance(payload, dict) else None
    if not isinstance(header, dict):
        return ""
    sheets = header.get("external_datasheets")
    for sheet in sheets if isinstance(sheets, list) else []:
        if isinstance(sheet, dict) and isinstance(sheet.get("datasheet_reference"), str):
            return sheet["datasheet_reference"]
    provenance = header.get("acquisition_provenance")
    name = provenance.get("source_name") if isinstance(provenance, dict) else None
    return name if isinstance(name, str) else ""


@dataclass(frozen=True)
class ObservationQuery:
    organization_id: int
    study_id: int | None = None
    patient_id: int | None = None
    code: str | None = None  # "system|code" or a bare Open mHealth code such as omh:blood-glucose:4.0
    since: date | None = None
    until: date | None = None
    source: str | None = None  # the data source's name, as ``source_of`` reads it

    def check(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(
                f"The date range starts after it ends ({self.since.isoformat()} is after {self.until.isoformat()})."
            )

    def with_(self, **changes: Any) -> ObservationQuery:
        return replace(self, **changes)

    def of_type_and_patient(self, observation: FhirObservation) -> ObservationQuery:
        """This query narrowed to the data type and patient of ``observation``."""
        system, code = observation.coding_system, observation.coding_code
        return self.with_(patient_id=observation.subject_patient_id, code=f"{system}|{code}" if system else code)

    def describe(self) -> str:
        """"organization 20003, study 30001, data type omh:blood-glucose:4.0, ..." for a summary."""
        parts = [f"organization {self.organization_id}"]
        parts += [f"study {self.study_id}"] if self.study_id else []
        parts += [f"patient {self.patient_id}"] if self.patient_id else []
        parts += [f"data type {self.code.rsplit('|', 1)[-1]}"] if self.code else []
        parts += [f"source {self.source}"] if self.source else []
        if self.since or self.until:
            parts.append(f"dates {self.since or '…'} to {self.until or '…'}")
        return ", ".join(parts)

    @property
    def code_key(self) -> tuple[str, str] | None:
        return scope_key(self.code) if self.code else None

    def matches(self, observation: FhirObservation, *, code: bool = True, dates: bool = True) -> bool:
        """The local stand-in for the server's ``code`` and ``date`` filters, and the data source."""
        if self.source and source_of(observation.payload).casefold() != self.source.casefold():
            return False
        if code and self.code:
            system, wanted = scope_key(self.code)
            if observation.coding_code != wanted or (system and observation.coding_system not in (None, system)):
                return False
        return not dates or within_dates(observation, self.since, self.until)


@dataclass(frozen=True)
class Plan:
    """How one query is answered by one server."""

    source: str  # "fhir" (every filter on the server), "fhir-patient" (v0.0.7, one patient), "admin"
    local_code: bool
    local_dates: bool
    local_source: bool = False

    @property
    def local(self) -> bool:
        return self.local_code or self.local_dates or self.local_source

    def note(self) -> str:
        what = " and ".join(w for w, on in (("data type", self.local_code), ("date", self.local_dates)) if on)
        if what:
            return LOCAL_NOTE.format(what=what + (" (nor any server by data source)" if self.local_source else ""))
        return SOURCE_NOTE if self.local_source else ""


async def check_study(client: JheClient, query: ObservationQuery) -> None:
    """A study of another organization is refused by name (the search would just come back empty)."""
    if query.study_id is None:
        return
    study = await client.study(query.study_id)
    if study.organization_id is not None and study.organization_id != query.organization_id:
        raise InvalidInput(
            f"Study {study.id} belongs to organization {study.organization_id}, not {query.organization_id}."
        )


async def plan_for(client: JheClient, query: ObservationQuery) -> Plan:
    query.check()
    adapter = await client.adapter()
    source = bool(query.source)
    if not adapter.fhir_needs_patient and adapter.fhir_date_filter:
        return Plan("fhir", local_code=False, local_dates=False, local_source=source)
    dates = bool(query.since or query.until) and not adapter.fhir_date_filter
    if query.patient_id is not None:
        return Plan("fhir-patient", local_code=False, local_dates=dates, local_source=source)
    return Plan("admin", local_code=bool(query.code), local_dates=dates, local_source=source)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def from_admin(item: Observation) -> FhirObservation:
    """An admin-list observation as the FHIR Observation JHE would serve for it."""
    value = item.value
    start = value.effective_start if value else None
    end = value.effective_end if value else None
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(item.id),
        "meta": {"lastUpdated": _iso(item.last_updated)},
        "status": "final",
        "code": {"coding": [{"system": item.coding_system, "code": item.coding_code, "display": item.coding_text}]},
        "subject": {"reference": f"Patient/{item.subject_patient_id}"},
    }
    if end is not None:
        resource["effectivePeriod"] = {"start": _iso(start), "end": _iso(end)}
    elif start is not None:
        resource["effectiveDateTime"] = _iso(start)
    raw = json.dumps(item.payload, separators=(",", ":")).encode()
    resource["valueAttachment"] = {"contentType": "application/json", "data": base64.b64encode(raw).decode()}
    return FhirObservation(
        id=str(item.id),
        status="final",
        coding_system=item.coding_system,
        coding_code=item.coding_code,
        coding_display=item.coding_text,
        subject_patient_id=item.subject_patient_id,
        effective_start=start,
        effective_end=end,
        last_updated=item.last_updated,
        payload=item.payload,
        value=value,
        resource=resource,
    )


def patient_names(items: list[Observation]) -> dict[int, str]:
    """Names the admin list carries (FHIR observations only name the patient's id)."""
    names = {}
    for item in items:
        parts = [p for p in (item.patient_name_family, item.patient_name_given) if p]
        if item.subject_patient_id is not None and parts:
            names[item.subject_patient_id] = ", ".join(parts)
    return names


async def names_of(client: JheClient, ids: list[int]) -> dict[int, str]:
    """The names of these patients, those the server could give (FHIR observations carry only ids)."""
    patients = await asyncio.gather(*(client.patient(i) for i in ids), return_exceptions=True)
    return {p.id: p.display_name for p in patients if not isinstance(p, BaseException)}


PageFetch = Callable[[int], Awaitable[Page[Any]]]


def _server_filters(query: ObservationQuery) -> FhirFilters:
    """The query as the client's FHIR search takes it, every filter for the server."""
    return FhirFilters(organization_id=query.organization_id, study_id=query.study_id, patient_id=query.patient_id,
                       code=query.code, date_ge=query.since, date_le=query.until)


def source_pages(
    client: JheClient, query: ObservationQuery, plan: Plan, page_size: int, names: dict[int, str] | None = None
) -> PageFetch:
    """A function fetching page ``n`` of the server's answer, before any local filtering."""

    async def fhir(number: int) -> Page[FhirObservation]:
        return await client.fhir_observations(**_server_filters(query), page=number, count=page_size)

    async def fhir_patient(number: int) -> Page[FhirObservation]:
        return await client.fhir_observations(
            study_id=query.study_id, patient_id=query.patient_id, code=query.code, page=number, count=page_size
        )

    async def admin(number: int) -> Page[FhirObservation]:
        page = await client.observations(
            query.organization_id, query.study_id, query.patient_id, page=number, page_size=page_size
        )
        if names is not None:
            names.update(patient_names(page.items))
        return Page[FhirObservation](
            count=page.count,
            items=[from_admin(item) for item in page.items],
            next=page.next,
            previous=page.previous,
            page=page.page,
            page_size=page.page_size,
        )

    return {"fhir": fhir, "fhir-patient": fhir_patient, "admin": admin}[plan.source]


@dataclass
class ScreenPage:
    items: list[FhirObservation]
    count: int
    exact: bool  # False: local filtering, ``count`` is what was found so far


async def screen_page(
    client: JheClient,
    query: ObservationQuery,
    plan: Plan,
    page: int,
    page_size: int,
    names: dict[int, str] | None = None,
) -> ScreenPage:
    """Page ``page`` of the matching observations, newest first."""
    if not plan.local:
        result = await source_pages(client, query, plan, page_size, names)(page)
        return ScreenPage(result.items, result.count, True)
    # Local filtering: read large server pages until this screen page is full, plus one match
    # to know whether another page follows.
    skip, wanted = (page - 1) * page_size, page_size + 1
    found: list[FhirObservation] = []
    seen = 0
    fetch = source_pages(client, query, plan, LARGE_PAGE, names)
    number, complete = 1, False
    while len(found) < wanted:
        result = await fetch(number)
        for item in result.items:
            if query.matches(item, code=plan.local_code, dates=plan.local_dates):
                if seen >= skip:
                    found.append(item)
                seen += 1
        if not result.next or not result.items:
            complete = True
            break
        number += 1
    more = len(found) > page_size
    return ScreenPage(found[:page_size], seen if complete else skip + len(found), complete and not more)


async def matching(
    client: JheClient, query: ObservationQuery, *, page_size: int = LARGE_PAGE, pacing: Pacing | None = None,
    first: int = 1,
) -> AsyncIterator[tuple[list[FhirObservation], int | None]]:
    """Every matching observation, a server page at a time from page ``first``, with the expected
    total; the pages come as fast as the server serves them (``pacing``).

    The total is exact when the server filters everything, an upper bound otherwise.
    """
    plan = await plan_for(client, query)
    async for page in paced_pages(source_pages(client, query, plan, page_size), pacing or Pacing(), first):
        items = page.items
        if plan.local:
            items = [o for o in items if query.matches(o, code=plan.local_code, dates=plan.local_dates)]
        yield items, page.count


async def readings(client: JheClient, query: ObservationQuery, limit: int) -> list[tuple[datetime, OmhValue]]:
    """(time, value) of the matching observations that hold numbers, up to about ``limit``, for a chart."""
    found: list[tuple[datetime, OmhValue]] = []
    async for items, _ in matching(client, query):
        found += [(o.effective_time, o.value) for o in items if o.value and o.value.values and o.effective_time]
        if len(found) >= limit:
            break
    return found


async def matching_resources(
    client: JheClient, query: ObservationQuery, *, page_size: int = LARGE_PAGE, pacing: Pacing | None = None,
    first: int = 1, texts_only: bool = False,
) -> AsyncIterator[tuple[list[Any], int | None]]:
    """Every matching observation as a FHIR resource dict, a server page at a time (from page
    ``first``, one item per server page), with the total.

    Where the server filters everything (v0.0.13+, the demo) the resources come as the server's
    page holds them, and with ``texts_only`` as compact JSON texts (a ``str``) ready to write; otherwise
    they come from ``matching`` (admin list or local filtering) as dicts.
    """
    plan = await plan_for(client, query)
    if plan.source == "fhir" and not plan.local:

        async def fetch(number: int) -> Page[Any]:
            return await client.fhir_observation_resources(
                **_server_filters(query), page=number, count=page_size, texts_only=texts_only
            )

        async for page in paced_pages(fetch, pacing or Pacing(), first):
            yield page.items, page.count
        return
    async for items, total in matching(client, query, page_size=page_size, pacing=pacing, first=first):
        yield [with_effective(o) for o in items], total


def with_effective(o: FhirObservation) -> dict[str, Any]:
    """The resource, with ``effective[x]`` taken from the OMH time frame when the server left it
    out (v0.0.7 never sends it), so exported Observations say when they were measured."""
    resource = o.resource
    if "effectiveDateTime" in resource or "effectivePeriod" in resource or o.value is None:
        return resource
    start, end = o.value.effective_start, o.value.effective_end
    if end is not None:
        return {**resource, "effectivePeriod": {"start": _iso(start), "end": _iso(end)}}
    if start is not None:
        return {**resource, "effectiveDateTime": _iso(start)}
    return resource
