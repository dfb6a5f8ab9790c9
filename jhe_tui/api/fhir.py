"""FHIR Observation search results, whichever envelope the server uses.

v0.0.7 wraps resources in a DRF page (``{count, next, results: [{resource}]}``); v0.0.13 and the
demo answer a real Bundle (``{total, entry: [{resource}], link: [{relation: "next"}]}``). The shape
is recognised from the body itself. The OMH payload travels base64-encoded; v0.0.7's encoder puts
a newline every 76 characters, so decoding ignores whitespace and missing padding.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime, time, timezone
from typing import Any

from .fhir_pages import bundle_resources
from .models import FhirObservation
from .omh import decode, parse_time
from .pages import Page


def decode_attachment(data: Any) -> Any:
    """The JSON inside a base64 ``valueAttachment.data``, or None when it is not readable."""
    if not isinstance(data, str):
        return None
    compact = "".join(data.split())
    compact += "=" * (-len(compact) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return json.loads(decoder(compact).decode("utf-8"))
        except (binascii.Error, ValueError):
            continue
    return None


def _patient_id(subject: Any) -> int | None:
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if isinstance(reference, str) and reference.startswith("Patient/"):
        tail = reference.removeprefix("Patient/")
        return int(tail) if tail.isdigit() else None
    return None


def observation_from_resource(resource: dict[str, Any]) -> FhirObservation:
    codings = (resource.get("code") or {}).get("coding") or [{}]
    coding = codings[0] if isinstance(codings[0], dict) else {}
    attachment = resource.get("valueAttachment") or {}
    payload = decode_attachment(attachment.get("data"))
    period = resource.get("effectivePeriod") or {}
    start = parse_time(resource.get("effectiveDateTime")) or parse_time(period.get("start"))
    return FhirObservation(
        id=str(resource.get("id", "")),
        status=resource.get("status"),
        coding_system=coding.get("system"),
        coding_code=coding.get("code"),
        coding_display=coding.get("display"),
        subject_patient_id=_patient_id(resource.get("subject")),
        effective_start=start,
        effective_end=parse_time(period.get("end")),
        last_updated=parse_time((resource.get("meta") or {}).get("lastUpdated")),
        payload=payload,
        value=decode(payload, coding.get("code")),
        resource=resource,
    )


def _envelope(data: Any) -> tuple[Any, Any, Any, Any]:
    """(items, total, next, previous) of a FHIR Bundle or a DRF page; each as found, unchecked."""
    data = data if isinstance(data, dict) else {}
    if data.get("resourceType") == "Bundle":
        links = {link.get("relation"): link.get("url") for link in data.get("link") or [] if isinstance(link, dict)}
        return data.get("entry"), data.get("total"), links.get("next"), links.get("previous")
    return data.get("results"), data.get("count"), data.get("next"), data.get("previous")


def observation_page(data: Any, *, page: int, count: int) -> Page[FhirObservation]:
    """A DRF page of ``{resource}`` or a FHIR Bundle as ``Page[FhirObservation]``."""
    wrappers, total, next_url, previous_url = _envelope(data)
    resources = [w["resource"] for w in wrappers or [] if isinstance(w, dict) and isinstance(w.get("resource"), dict)]
    return Page[FhirObservation](
        count=total if isinstance(total, int) else len(resources),
        items=[observation_from_resource(resource) for resource in resources if resource.get("id") is not None],
        next=next_url,
        previous=previous_url,
        page=page,
        page_size=count,
    )


def resource_page(text: str, *, page: int, count: int, texts_only: bool) -> Page[Any]:
    """A search answer's resources as dicts, or with ``texts_only`` as their JSON texts
    (see ``bundle_resources``), in a ``Page`` built without validating them one by one."""
    try:
        data = bundle_resources(text, texts_only=texts_only)
    except ValueError:
        data = {}
    found, total, next_url, previous_url = _envelope(data)
    kind = str if texts_only else dict
    resources = [r for r in found if isinstance(r, kind)] if isinstance(found, list) else []
    return Page[Any].model_construct(
        count=total if isinstance(total, int) else len(resources),
        items=resources,
        next=next_url if isinstance(next_url, str) else None,
        previous=previous_url if isinstance(previous_url, str) else None,
        page=page,
        page_size=count,
    )


def _bound(value: date | datetime, *, end: bool) -> datetime:
    """A date filter bound as an aware datetime; a plain date covers its whole day."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.max if end else time.min)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def date_query(date_ge: date | datetime | None, date_le: date | datetime | None) -> list[str] | None:
    """FHIR ``date`` values (repeat the parameter for a range)."""
    values = [f"{prefix}{bound.isoformat()}" for prefix, bound in (("ge", date_ge), ("le", date_le)) if bound]
    return values or None


def within_dates(
    observation: FhirObservation, date_ge: date | datetime | None, date_le: date | datetime | None
) -> bool:
    """Local stand-in for the ``date`` search parameter on servers without one (v0.0.7)."""
    when = observation.effective_time
    if when is None:
        return date_ge is None and date_le is None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    if date_ge is not None and when < _bound(date_ge, end=False):
        return False
    return not (date_le is not None and when > _bound(date_le, end=True))
