"""A FHIR search answer's resources for the export (``jhe_tui.api.fhir_pages``): whatever the
envelope, the entries' shape or the resources hold, each resource comes out as itself, as a dict
or as its JSON on one line, and that text is valid UTF-8."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jhe_tui.api.fhir_pages import bundle_resources


def compact(resource) -> str:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)


def test_resources_come_as_dicts_or_as_compact_utf8_texts():
    text = ('{"resourceType":"Bundle","total":2,"entry":[{"fullUrl":"http://x/Observation/1","resource":'
            '{"id":"1","note":"a \\"quoted\\",\\"resource\\": \\u00e9"}},{"fullUrl":"u","resource":{"id":"2"}}]}')
    data = bundle_resources(text)
    assert data["total"] == 2 and data["resourceType"] == "Bundle"
    assert data["entry"] == [{"id": "1", "note": 'a "quoted","resource": é'}, {"id": "2"}]
    assert bundle_resources(text, texts_only=True)["entry"] == ['{"id":"1","note":"a \\"quoted\\",\\"resource\\": é"}',
                                                                '{"id":"2"}']


def test_a_page_written_another_way_keeps_only_the_entries_with_a_resource():
    text = '{ "results" : [ {"resource": {"id": "1",\n "b": [1, 2]}, "fullUrl": "u"}, 7, {"x": 1} ], "count": 1 }'
    assert bundle_resources(text) == {"count": 1, "results": [{"id": "1", "b": [1, 2]}]}
    assert bundle_resources(text, texts_only=True)["results"] == ['{"id":"1","b":[1,2]}']


def test_the_last_of_repeated_keys_counts_like_json_loads():
    text = '{"entry":[{"fullUrl":"u","resource":{"id":"1"},"resource":{"id":"2"}}]}'
    assert bundle_resources(text)["entry"] == [{"id": "2"}]
    assert bundle_resources(text, texts_only=True)["entry"] == ['{"id":"2"}']


@pytest.mark.parametrize("text", ["", "[1]", '{"a":}', '{"a":1', '{"a":1} x', '{"entry":[1 2]}', '{"entry":[1,]}',
                                  '{"entry":[{"fullUrl":"u","resource":{"id":"1"}]}', '"\\ud800"'])
def test_what_is_not_a_json_object_is_refused(text):
    with pytest.raises(ValueError):
        bundle_resources(text)


def test_an_answer_orjson_refuses_is_read_by_json_and_written_in_ascii():
    """An escaped lone surrogate (and NaN) is what ``json`` reads and orjson does not; written
    escaped, the file stays valid UTF-8 and reads back as the same resource."""
    text = '{"entry":[{"resource":{"id":"1","note":"\\ud800 \\u00e9"}},{"resource":{"id":"2","v":NaN}}]}'
    texts = bundle_resources(text, texts_only=True)["entry"]
    assert texts == ['{"id":"1","note":"\\ud800 \\u00e9"}', '{"id":"2","v":NaN}']
    assert "\n".join(texts).encode("utf-8") and json.loads(texts[0]) == {"id": "1", "note": "\ud800 é"}
    assert bundle_resources(text)["entry"][0] == {"id": "1", "note": "\ud800 é"}


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
    return compact(body)


TRICKY = [
    {"resourceType": "Observation", "id": "1", "note": 'ends }},{"fullUrl":" inside a string'},
    {"resourceType": "Observation", "id": "2", "note": "unbalanced } and { and ]"},
    {"resourceType": "Observation", "id": "3", "contained": [{"resourceType": "Bundle", "entry": [
        {"fullUrl": "a", "resource": {"id": "in"}}, {"fullUrl": "b", "resource": {"id": "in2"}}]}]},
    {"resourceType": "Observation", "id": "4", "x": [{"resource": {"a": {}}}, {"resource": {"b": 1}}]},
    {"resourceType": "Observation", "id": "5", "text": "line\nbreak é \\ \"q\" \x1f \u2028"},
    {"resourceType": "Observation", "id": "6", "x": [{"a": {}}, {"resource": {"b": 1}}]},
    {"resourceType": "Observation", "id": "7", "x": [{"a": {}}, {"fullUrl": "u", "resource": {"b": 1}}]},
]


@pytest.mark.parametrize("with_url", [True, False])
@pytest.mark.parametrize("search", [False, True])
@pytest.mark.parametrize("resources", [[], TRICKY[:1], TRICKY, TRICKY[2:4] * 3, [{"id": "0"}, TRICKY[5], {"id": "9"}],
                                       [{"id": "0"}, TRICKY[6], {"id": "9"}],
                                       [{"id": str(i)} for i in range(50)]])
def test_resource_texts_are_the_resources_sent_each_on_one_line(resources, with_url, search):
    text = _bundle(resources, with_url=with_url, search=search)
    data = bundle_resources(text, texts_only=True)
    assert data["total"] == len(resources) and data["link"][0]["relation"] == "self"
    assert data["entry"] == [compact(r) for r in resources]
    assert all("\n" not in t for t in data["entry"])
    assert bundle_resources(text)["entry"] == resources


def test_resource_texts_of_a_pretty_printed_bundle_are_written_on_one_line():
    text = json.dumps({"entry": [{"resource": r} for r in TRICKY]}, indent=2)
    assert bundle_resources(text, texts_only=True)["entry"] == [compact(r) for r in TRICKY]


# orjson holds integers up to 64 bits (FHIR's are 32); wider ones it reads as floats.
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(alphabet='{}[]",:\\ab\n é\x00\u2028'),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["fullUrl", "resource", "search", "id", "{", "}"]), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["id", "resource", "fullUrl", "x"]), _JSON, max_size=4), max_size=6),
       st.booleans(), st.booleans())
def test_resources_match_a_full_parse_whatever_they_hold(resources, with_url, search):
    text = _bundle(resources, with_url=with_url, search=search)
    texts = bundle_resources(text, texts_only=True)["entry"]
    assert [json.loads(t) for t in texts] == resources == bundle_resources(text)["entry"]
    assert all("\n" not in t for t in texts)


def test_a_member_after_a_later_resource_is_not_taken_for_part_of_it():
    entries = [{"resource": {"id": "1"}}, {"resource": {"id": "2"}, "search": {"mode": "include"}}, {"resource": {"id": "3"}}]
    text = json.dumps({"entry": entries}, separators=(",", ":"))
    assert bundle_resources(text, texts_only=True)["entry"] == ['{"id":"1"}', '{"id":"2"}', '{"id":"3"}']


def test_a_resource_written_over_several_lines_is_put_on_one():
    text = '{"entry":[{"resource":{"id":"1"}},{"resource":{"id":\n"2",\r\n"a":[1]}},{"resource":{"id":"3"}}]}'
    assert bundle_resources(text, texts_only=True)["entry"] == ['{"id":"1"}', '{"id":"2","a":[1]}', '{"id":"3"}']
