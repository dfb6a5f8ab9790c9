"""The resources of one FHIR search answer (a Bundle, or v0.0.7's DRF page), for the export.

The answer is parsed whole by orjson, and for the NDJSON and Bundle files each resource is written
again by it on one line, compact and in UTF-8 as the servers write them. orjson does both in C,
faster than the standard ``json``: the export is bound by the CPU the client shares with the
server. A hand-written splitter that cut each resource's text out of the page unparsed was not
faster by enough, end to end, to keep its code.

orjson refuses a few things the standard ``json`` reads and a server might still send (an escaped
lone surrogate, ``NaN``): such an answer is read by ``json`` instead and its resources written
escaped to ASCII, so the file stays valid UTF-8. orjson reads an integer beyond 64 bits as a float;
FHIR's integers are 32-bit (``integer64`` travels as a string), and JHE's values are inside the
base64 attachment, which is copied as it came.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_ENTRY_KEYS = ("entry", "results")  # a Bundle's, a DRF page's
_ascii = json.JSONEncoder(separators=(",", ":")).encode


def _compact(resource: dict[str, Any]) -> str:
    return orjson.dumps(resource).decode()


def bundle_resources(text: str, *, texts_only: bool = False) -> dict[str, Any]:
    """The answer's object with ``entry`` (``results``) replaced by its entries' resources (dicts),
    or with ``texts_only`` by each resource's JSON on one line. Entries without a resource object
    are left out. Raises ValueError for anything that is not a JSON object."""
    encode: Callable[[dict[str, Any]], str] = _compact
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data, encode = json.loads(text), _ascii
    if not isinstance(data, dict):
        raise ValueError("a search answer is a JSON object")
    for key in _ENTRY_KEYS:
        entries = data.get(key)
        if isinstance(entries, list):
            resources = [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
            data[key] = list(map(encode, resources)) if texts_only else resources
    return data
