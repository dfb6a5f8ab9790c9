"""camelCase on the wire, snake_case inside, as djangorestframework-camel-case does for JHE.

Routes only ever see snake_case: query parameter names are rewritten by ``QueryNamesMiddleware``
before routing, JSON bodies by ``underscoreize`` when read. Routes only ever produce snake_case:
``CamelJSONResponse`` renames on the way out. Contract section 1.2 lists the rules kept here:

* a key is turned into snake_case by putting ``_`` before each capitalised word and before a run
  of digits, then lower-casing (``birthDate`` -> ``birth_date``, ``Group`` -> ``_group``,
  ``value2`` -> ``value_2``); snake_case keys pass through unchanged;
* OAuth-ish keys (``client_id`` ...) are never renamed, in either direction;
* the OMH payload (``value_attachment_data``) keeps its own snake_case keys.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

IGNORE_KEYS = frozenset(
    {"response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method", "grant_type",
     "code_verifier"}
)
IGNORE_FIELDS = frozenset({"value_attachment_data"})

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?=[A-Z][a-z])|(?<=[a-zA-Z])(?=[0-9])")
_UNDERSCORE = re.compile(r"[a-z0-9]?_[a-z0-9]")


def to_snake(name: str) -> str:
    snake = _WORD_START.sub("_", name).lower()
    return name if name in IGNORE_KEYS or snake in IGNORE_KEYS else snake


@lru_cache(maxsize=4096)  # a page of 100 observations renames the same ten keys 100 times
def to_camel(name: str) -> str:
    if name in IGNORE_KEYS or "_" not in name:
        return name
    return _UNDERSCORE.sub(lambda m: m.group()[:-2] + m.group()[-1].upper(), name)


def underscoreize(data: Any) -> Any:
    if isinstance(data, dict):
        return {to_snake(k): v if to_snake(k) in IGNORE_FIELDS else underscoreize(v) for k, v in data.items()}
    if isinstance(data, list):
        return [underscoreize(v) for v in data]
    return data


def camelize(data: Any) -> Any:
    if isinstance(data, dict):
        return {to_camel(k): v if k in IGNORE_FIELDS else camelize(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camelize(v) for v in data]
    return data


class CamelJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(camelize(content), ensure_ascii=False, separators=(",", ":")).encode()


class QueryNamesMiddleware:
    """Rename query parameter names to snake_case on every request; values are left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            scope = dict(scope, query_string=urlencode([(to_snake(k), v) for k, v in pairs]).encode("latin-1"))
        await self.app(scope, receive, send)
