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
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from json.scanner import make_scanner
from datetime import date, datetime, time, timezone
from typing import Any

from .models import FhirObservation
from .omh import decode
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


class RawResource(dict):
    """A resource as parsed, with ``text``: its JSON exactly as the server sent it, on one line."""

    __slots__ = ("text",)
    text: str


_scan = make_scanner(json.JSONDecoder())
_SPACE = re.compile(r"[ \t\n\r]*")


def _skip(text: str, i: int, expected: str | None = None) -> int:
    i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
    if expected is not None and text[i:i + 1] != expected:
        raise ValueError(f"expected {expected!r} at {i}")
    return i


def _value(text: str, i: int) -> tuple[Any, int]:
    try:
        return _scan(text, i)
    except StopIteration:
        raise ValueError(f"no JSON value at {i}") from None


_URL_KEY, _RESOURCE_KEY, _RESOURCE_ONLY = '{"fullUrl":"', ',"resource":', '{"resource":'


def _entry(text: str, i: int) -> tuple[dict[str, Any] | None, str, int]:
    """(resource, its JSON text on one line, end) of the entry starting at ``text[i]``.

    The servers' usual compact ``{"fullUrl":"...","resource":{...}}`` (or ``{"resource":{...}}``)
    is walked member by member, so the resource's span is known exactly; any other entry is
    parsed whole and its resource encoded again.
    """
    start = None
    if text.startswith(_URL_KEY, i):
        _, url_end = scanstring(text, i + len(_URL_KEY))
        if text.startswith(_RESOURCE_KEY, url_end):
            start = url_end + len(_RESOURCE_KEY)
    elif text.startswith(_RESOURCE_ONLY, i):
        start = _skip(text, i + len(_RESOURCE_ONLY))
    if start is not None:
        resource, end = _value(text, start)
        raw = text[start:end]
        if text.startswith("}", end) and isinstance(resource, dict) and "\n" not in raw and "\r" not in raw:
            return resource, raw, end + 1
    entry, end = _value(text, i)
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict):
        return None, "", end
    return resource, json.dumps(resource, separators=(",", ":"), ensure_ascii=False), end


def _parsed_entries(text: str, i: int) -> tuple[list[Any], int]:
    """(the resources of the entry array starting at ``text[i]``, each a ``RawResource``, end)."""
    resources: list[Any] = []
    i = _skip(text, i + 1)
    while text[i:i + 1] != "]":
        found, found_text, end = _entry(text, i)
        if found is not None:
            resource = RawResource(found)
            resource.text = found_text
            resources.append(resource)
        i = _skip(text, end)
        if text[i:i + 1] == ",":
            i = _skip(text, i + 1)
            if text[i:i + 1] == "]":
                raise ValueError(f"expected a value at {i}")
        elif text[i:i + 1] != "]":
            raise ValueError(f"expected ',' or ']' at {i}")
    return resources, i + 1


def _texts_of_parsed(text: str, i: int) -> tuple[list[Any], int]:
    resources, end = _parsed_entries(text, i)
    return [resource.text for resource in resources], end


def _entry_texts(text: str, i: int) -> tuple[list[Any], int]:
    """(the JSON text of each resource of the entry array at ``text[i]``, end), without parsing
    the resources: an NDJSON or Bundle export only copies them, and parsing was most of its CPU.

    Servers write the array compactly and alike, entry after entry (``{"resource":{…}}`` at JHE,
    ``{"fullUrl":"…","resource":{…}}`` elsewhere), so the resources are what lies between one
    entry's envelope and the next (``},{"resource":`` or ``},{"fullUrl":"``, the ``}`` closing
    the entry before). That text cannot occur inside a JSON string (its quotes would be escaped
    there), only in a resource that nests an object with such a member (a contained Bundle), and
    a cut there leaves the pieces on either side with unbalanced braces. The count does not tell
    strings apart, so text values whose braces exactly made up for such a cut on both sides of it
    would hide one; ruling that out would mean parsing every resource, the cost this avoids. The
    first and last entries are walked exactly (``_entry``), which proves the envelope's shape (the
    resource is the entry's last member). A piece with unbalanced braces, a line break, or a
    ``search`` member (the one member a search Bundle's entry may have after its resource) sends
    the whole array to ``_parsed_entries``.
    """
    start = _skip(text, i + 1)
    if text[start:start + 1] == "]":
        return [], start + 1
    first, first_text, end = _entry(text, start)
    if first is None or text[end - 1 - len(first_text):end - 1] != first_text:
        return _texts_of_parsed(text, i)
    texts = [first_text]
    with_url = text.startswith(_URL_KEY, start)
    separator = "}," + (_URL_KEY if with_url else _RESOURCE_ONLY)
    if text.startswith(separator, end - 1):
        last = text.rfind(separator)  # before the last entry, which is walked exactly
        between = text[end - 1 + len(separator):last]  # the middle entries, less the first's envelope
        if '},"search":' in between or "\n" in between or "\r" in between:
            return _texts_of_parsed(text, i)
        pieces = between.split(separator) if last > end - 1 else []
        if with_url:
            pieces = [piece.partition('","resource":') for piece in pieces]
            if any(not marker or "\\" in url for url, marker, _ in pieces):
                return _texts_of_parsed(text, i)
            pieces = [resource for _, _, resource in pieces]
        for piece in pieces:
            if piece.count("{") != piece.count("}"):
                return _texts_of_parsed(text, i)
        texts += pieces
        found, last_text, end = _entry(text, last + 2)
        if found is None:
            return _texts_of_parsed(text, i)
        texts.append(last_text)
    end = _skip(text, end)
    if text[end:end + 1] != "]":
        return _texts_of_parsed(text, i)
    return texts, end + 1


def bundle_resources(text: str, *, texts_only: bool = False) -> dict[str, Any]:
    """A search Bundle (or DRF page) parsed once, with ``entry`` (``results``) replaced by the
    list of its items' resources, each a ``RawResource`` carrying its own text, so an export can
    write the resource as received instead of encoding it again (that encoding was about a third
    of the export's CPU). With ``texts_only`` the list holds just each resource's JSON text.

    Each resource is parsed by the C scanner like ``json.loads`` would; only the Bundle's own few
    members and each entry's envelope are walked here. Raises ValueError for anything that is
    not a JSON object.
    """
    entries = _entry_texts if texts_only else _parsed_entries
    head: dict[str, Any] = {}
    i = _skip(text, _skip(text, 0, "{") + 1)
    closed = text[i:i + 1] == "}"
    while not closed:
        key, i = scanstring(text, _skip(text, i, '"') + 1)
        i = _skip(text, _skip(text, i, ":") + 1)
        if key in ("entry", "results") and text[i:i + 1] == "[":
            head[key], i = entries(text, i)
        else:
            head[key], i = _value(text, i)
        i = _skip(text, i)
        closed = text[i:i + 1] == "}"
        if not closed:
            i = _skip(text, i, ",") + 1
    if _skip(text, i + 1) != len(text):
        raise ValueError("extra data after the JSON object")
    return head


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
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
    start = _time(resource.get("effectiveDateTime")) or _time(period.get("start"))
    return FhirObservation(
        id=str(resource.get("id", "")),
        status=resource.get("status"),
        coding_system=coding.get("system"),
        coding_code=coding.get("code"),
        coding_display=coding.get("display"),
        subject_patient_id=_patient_id(resource.get("subject")),
        effective_start=start,
        effective_end=_time(period.get("end")),
        last_updated=_time((resource.get("meta") or {}).get("lastUpdated")),
        payload=payload,
        value=decode(payload, coding.get("code")),
        resource=resource,
    )


def observation_page(data: Any, *, page: int, count: int) -> Page[FhirObservation]:
    """A DRF page of ``{resource}`` or a FHIR Bundle as ``Page[FhirObservation]``."""
    data = data if isinstance(data, dict) else {}
    if data.get("resourceType") == "Bundle":
        wrappers = data.get("entry") or []
        links = {link.get("relation"): link.get("url") for link in data.get("link") or [] if isinstance(link, dict)}
        total, next_url, previous_url = data.get("total"), links.get("next"), links.get("previous")
    else:
        wrappers = data.get("results") or []
        total, next_url, previous_url = data.get("count"), data.get("next"), data.get("previous")
    resources = [w["resource"] for w in wrappers if isinstance(w, dict) and isinstance(w.get("resource"), dict)]
    return Page[FhirObservation](
        count=total if isinstance(total, int) else len(resources),
        items=[observation_from_resource(resource) for resource in resources if resource.get("id") is not None],
        next=next_url,
        previous=previous_url,
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
