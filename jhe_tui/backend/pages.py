"""DRF-style page numbers for every paginated list, FHIR searches included.

Choices, the same for every list:

* ``page`` and ``page_size`` (``_page``/``_count`` for FHIR); the default size is 20 and sizes
  above 1000 are cut to 1000;
* a value that is not a positive integer falls back to the default, as in the guide-era JHE;
* a page past the end is answered 200 with an empty ``results`` (``entry`` for FHIR), never 404;
* ``next``/``previous`` are absolute URLs built from the request's own URL, so they point at
  whichever host the client used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

DEFAULT_SIZE = 20
MAX_SIZE = 1000


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    page_name: str
    size_name: str

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def link(self, request: Request, number: int) -> str:
        return str(request.url.include_query_params(**{self.page_name: number}))

    def next_link(self, request: Request, count: int) -> str | None:
        return self.link(request, self.number + 1) if self.offset + self.size < count else None

    def previous_link(self, request: Request) -> str | None:
        return self.link(request, self.number - 1) if self.number > 1 else None


def _positive(raw: str | None, default: int) -> int:
    if raw is None or not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
        return default
    return int(raw) or default


def page_of(request: Request, *, page_name: str = "page", size_name: str = "page_size") -> Page:
    size = min(_positive(request.query_params.get(size_name), DEFAULT_SIZE), MAX_SIZE)
    return Page(_positive(request.query_params.get(page_name), 1), size, page_name, size_name)


def drf_page(request: Request, page: Page, count: int, results: list[Any]) -> dict[str, Any]:
    return {
        "count": count,
        "next": page.next_link(request, count),
        "previous": page.previous_link(request),
        "results": results,
    }


def slice_of(page: Page, items: list[Any]) -> list[Any]:
    """The page's part of a list already in memory (small lists: organizations, data sources)."""
    return items[page.offset: page.offset + page.size]
