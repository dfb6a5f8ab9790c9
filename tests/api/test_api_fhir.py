"""FHIR search results in either envelope, with leniently decoded base64 OMH attachments."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone

import pytest

from jhe_tui.api.fhir import decode_attachment, observation_from_resource, observation_page, within_dates

PAYLOAD = {
    "header": {"schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"}},
    "body": {
        "heart_rate": {"unit": "beats/min", "value": 67.5},
        "effective_time_frame": {"date_time": "2026-11-23T19:58:54+00:00"},
    },
}


def legacy_base64(payload: dict) -> str:
    """Like v0.0.7's Postgres encoder: a newline every 76 characters."""
    text = base64.b64encode(json.dumps(payload).encode()).decode()
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def test_base64_with_newlines_every_76_characters():
    data = legacy_base64(PAYLOAD)
    assert "\n" in data
    assert decode_attachment(data) == PAYLOAD


def test_base64_without_padding_or_urlsafe():
    text = base64.urlsafe_b64encode(json.dumps({"a": "???>>>"}).encode()).decode().rstrip("=")
    assert decode_attachment(text) == {"a": "???>>>"}


def test_unreadable_attachments_are_none():
    for data in (None, 12, "%%%", base64.b64encode(b"not json").decode(), base64.b64encode(b"\xff\xfe").decode()):
        assert decode_attachment(data) is None


def test_legacy_drf_page_of_resources():
    resource = {
        "resourceType": "Observation",
        "id": "60007",
        "meta": {"lastUpdated": "2026-11-23T18:58:54.817976+00:00"},
        "status": "final",
        "subject": {"reference": "Patient/40001"},
        "code": {"coding": [{"code": "omh:heart-rate:2.0", "system": "https://w3id.org/openmhealth"}]},
        "valueAttachment": {"data": legacy_base64(PAYLOAD), "contentType": "application/json"},
    }
    data = {
        "count": 2,
        "next": "http://h/fhir/r5/Observation?_count=1&_page=2&patient=40001",
        "previous": None,
        "results": [{"resource": resource}, {"not": "a resource"}],
    }
    page = observation_page(data, page=1, count=1)
    (observation,) = page.items
    assert (page.count, page.next is not None, page.page_size) == (2, True, 1)
    assert (observation.id, observation.subject_patient_id, observation.coding_code) == (
        "60007",
        40001,
        "omh:heart-rate:2.0",
    )
    assert observation.payload == PAYLOAD and observation.value.text == "67.5 bpm"
    assert observation.effective_start is None
    assert observation.effective_time == datetime(2026, 11, 23, 19, 58, 54, tzinfo=timezone.utc)


def test_current_bundle_with_next_link_and_period():
    resource = {
        "resourceType": "Observation",
        "id": "60009",
        "status": "final",
        "effectivePeriod": {"start": "2026-01-01T23:00:00Z", "end": "2026-01-02T06:00:00Z"},
        "code": {
            "coding": [
                {
                    "system": "https://w3id.org/openmhealth",
                    "code": "omh:sleep-duration:2.0",
                    "display": "Sleep duration",
                }
            ]
        },
        "subject": {"reference": "Patient/40001"},
        "valueAttachment": {
            "data": base64.b64encode(b'{"body": {"sleep_duration": {"value": 420, "unit": "min"}}}').decode()
        },
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 5,
        "entry": [{"resource": resource}],
        "link": [{"relation": "self", "url": "s"}, {"relation": "next", "url": "n"}],
    }
    page = observation_page(bundle, page=1, count=1)
    (observation,) = page.items
    assert (page.count, page.next, page.previous) == (5, "n", None)
    assert observation.coding_display == "Sleep duration" and observation.value.text == "7 h"
    assert observation.effective_end == datetime(2026, 1, 2, 6, 0, tzinfo=timezone.utc)


def test_a_resource_without_attachment_or_code_still_parses():
    observation = observation_from_resource({"id": 5, "subject": {"reference": "Group/1"}})
    assert (observation.id, observation.payload, observation.value, observation.subject_patient_id) == (
        "5",
        None,
        None,
        None,
    )


def test_date_range_bounds_are_inclusive_whole_days():
    observation = observation_from_resource({"id": "1", "effectiveDateTime": "2026-02-01T23:59:00+00:00"})
    assert within_dates(observation, date(2026, 2, 1), date(2026, 2, 1))
    assert not within_dates(observation, date(2026, 2, 2), None)
    assert not within_dates(observation, None, date(2026, 1, 31))
    assert within_dates(observation, datetime(2026, 2, 1, 12, 0), None)  # naive bounds are UTC
    undated = observation_from_resource({"id": "2"})
    assert within_dates(undated, None, None) and not within_dates(undated, date(2026, 1, 1), None)
