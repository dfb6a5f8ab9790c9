"""One page of a server-side list, and walking all of them.

JHE pages are DRF's ``{count, next, previous, results}``; FHIR searches at v0.0.13 are Bundles.
Both become ``Page[T]``. The iterator asks for the next page number while the server says there is
a ``next`` page, instead of requesting the ``next`` URL itself: that URL carries the host the
server believes it has (wrong behind a proxy or in the in-process demo) and, at v0.0.7, the query
rebuilt from its own converted names.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20  # JHE's default for every paginated list and FHIR search


class Page(BaseModel, Generic[T]):
    count: int = 0
    items: list[T] = []
    next: str | None = None
    previous: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.count / self.page_size)) if self.page_size > 0 else 1


def drf_page(item_type: type[T], data: Any, *, page: int, page_size: int) -> Page[T]:
    """A DRF page, or a plain array from an unpaginated action, as ``Page[item_type]``."""
    if isinstance(data, list):
        return Page[item_type](count=len(data), items=data, page=page, page_size=page_size)
    data = data if isinstance(data, dict) else {}
    results = data.get("results") or []
    return Page[item_type](
        count=data.get("count") or len(results),
        items=results,
        next=data.get("next"),
        previous=data.get("previous"),
        page=page,
        page_size=page_size,
    )


async def iterate(fetch: Callable[[int], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Every item of every page, fetching page 1, 2, … while the previous one had a ``next``."""
    number = 1
    while True:
        page = await fetch(number)
        for item in page.items:
            yield item
        if not page.next or not page.items:
            return
        number += 1
