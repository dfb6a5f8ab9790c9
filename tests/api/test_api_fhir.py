"""FHIR search results in either envelope, with leniently decoded base64 OMH attachments."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jhe_tui.api.fhir import (bundle_resources, decode_attachment, observation_from_resource, observation_page,
                              within_dates)

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


def test_bundle_resources_keep_the_text_each_resource_came_as():
    text = ('{"resourceType":"Bundle","total":2,"entry":[{"fullUrl":"http://x/Observation/1","resource":'
            '{"id":"1","note":"a \\"quoted\\",\\"resource\\": é"}},{"fullUrl":"u","resource":{"id":"2"}}]}')
    data = bundle_resources(text)
    assert data["total"] == 2 and data["resourceType"] == "Bundle"
    assert data["entry"] == [{"id": "1", "note": 'a "quoted","resource": é'}, {"id": "2"}]
    assert [r.text for r in data["entry"]] == ['{"id":"1","note":"a \\"quoted\\",\\"resource\\": é"}', '{"id":"2"}']


def test_bundle_resources_re_encode_entries_written_another_way():
    text = '{ "results" : [ {"resource": {"id": "1",\n "b": [1, 2]}, "fullUrl": "u"}, 7, {"x": 1} ], "count": 1 }'
    data = bundle_resources(text)
    assert data["count"] == 1 and data["results"] == [{"id": "1", "b": [1, 2]}]
    assert data["results"][0].text == '{"id":"1","b":[1,2]}'


def test_bundle_resources_take_the_last_of_repeated_keys_like_json_loads():
    text = '{"entry":[{"fullUrl":"u","resource":{"id":"1"},"resource":{"id":"2"}}]}'
    (resource,) = bundle_resources(text)["entry"]
    assert resource == {"id": "2"} and resource.text == '{"id":"2"}'


@pytest.mark.parametrize("text", ["", "[1]", '{"a":}', '{"a":1', '{"a":1} x', '{"entry":[1 2]}', '{"entry":[1,]}',
                                  '{"entry":[{"fullUrl":"u","resource":{"id":"1"}]}'])
def test_bundle_resources_refuse_what_is_not_a_json_object(text):
    with pytest.raises(ValueError):
        bundle_resources(text)


def _bundle(resources, *, with_url=True, search=False):
    """A search Bundle written the compact way servers write them."""
    def entry(n, r):
        e = {"fullUrl": f"http://x/Observation/{n}"} if with_url else {}
        e["resource"] = r
        if search:
            e["search"] = {"mode": "match"}
        return e
    body = {"resourceType": "Bundle", "total": len(resources), "entry": [entry(n, r) for n, r in enumerate(resources)],
            "link": [{"relation": "self", "url": "http://x/?a=1"}]}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


TRICKY = [
    {"resourceType": "Observation", "id": "1", "note": 'ends }},{"fullUrl":" inside a string'},
    {"resourceType": "Observation", "id": "2", "note": "unbalanced } and { and ]"},
    {"resourceType": "Observation", "id": "3", "contained": [{"resourceType": "Bundle", "entry": [
        {"fullUrl": "a", "resource": {"id": "in"}}, {"fullUrl": "b", "resource": {"id": "in2"}}]}]},
    {"resourceType": "Observation", "id": "4", "x": [{"resource": {"a": {}}}, {"resource": {"b": 1}}]},
    {"resourceType": "Observation", "id": "5", "text": "line\nbreak é \\ \"q\""},
    # Not first in their array, so the nested envelope is exactly the one between entries.
    {"resourceType": "Observation", "id": "6", "x": [{"a": {}}, {"resource": {"b": 1}}]},
    {"resourceType": "Observation", "id": "7", "x": [{"a": {}}, {"fullUrl": "u", "resource": {"b": 1}}]},
]


@pytest.mark.parametrize("with_url", [True, False])
@pytest.mark.parametrize("search", [False, True])
@pytest.mark.parametrize("resources", [[], TRICKY[:1], TRICKY, TRICKY[2:4] * 3, [{"id": "0"}, TRICKY[5], {"id": "9"}],
                                       [{"id": "0"}, TRICKY[6], {"id": "9"}],
                                       [{"id": str(i)} for i in range(50)]])
def test_resource_texts_are_exactly_the_resources_sent(resources, with_url, search):
    text = _bundle(resources, with_url=with_url, search=search)
    data = bundle_resources(text, texts_only=True)
    assert data["total"] == len(resources) and data["link"][0]["relation"] == "self"
    assert all(isinstance(t, str) and "\n" not in t for t in data["entry"])
    assert [json.loads(t) for t in data["entry"]] == resources
    assert [t for t in data["entry"]] == [r.text for r in bundle_resources(text)["entry"]]


def test_resource_texts_of_a_pretty_printed_bundle_are_re_encoded_on_one_line():
    text = json.dumps({"entry": [{"resource": r} for r in TRICKY]}, indent=2)
    texts = bundle_resources(text, texts_only=True)["entry"]
    assert [json.loads(t) for t in texts] == TRICKY and all("\n" not in t for t in texts)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='{}[]",:\\ab\n é'),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["fullUrl", "resource", "search", "id", "{", "}"]), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["id", "resource", "fullUrl", "x"]), _JSON, max_size=4), max_size=6),
       st.booleans())
def test_resource_texts_match_a_full_parse_whatever_the_resources_hold(resources, with_url):
    text = _bundle(resources, with_url=with_url)
    texts = bundle_resources(text, texts_only=True)["entry"]
    assert [json.loads(t) for t in texts] == [json.loads(json.dumps(r)) for r in resources]


def test_a_member_after_a_later_resource_is_not_taken_for_part_of_it():
    entries = [{"resource": {"id": "1"}}, {"resource": {"id": "2"}, "search": {"mode": "include"}}, {"resource": {"id": "3"}}]
    text = json.dumps({"entry": entries}, separators=(",", ":"))
    assert bundle_resources(text, texts_only=True)["entry"] == ['{"id":"1"}', '{"id":"2"}', '{"id":"3"}']


def test_a_resource_written_over_several_lines_is_put_on_one():
    text = '{"entry":[{"resource":{"id":"1"}},{"resource":{"id":\n"2",\r\n"a":[1]}},{"resource":{"id":"3"}}]}'
    assert bundle_resources(text, texts_only=True)["entry"] == ['{"id":"1"}', '{"id":"2","a":[1]}', '{"id":"3"}']
