"""One page of a server-side list, and walking all of them.

JHE pages are DRF's ``{count, next, previous, results}``; FHIR searches at v0.0.13 are Bundles.
Both become ``Page[T]``. The iterator requests the ``next`` link the server gives, as DRF
intends: the server decides what the next page is (at v0.0.7 the link carries the query rebuilt
from its own converted names, all of which it knows). The link is only ever sent to the client's
own server: its path and query are kept, and an origin that differs from the client's (a server
behind a proxy knows itself by its internal address; the in-process demo by its site URL) is
replaced by the client's base URL, so the access token never travels to another host.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

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


def on_own_origin(link: str, base_url: str) -> str:
    """The absolute URL to request for a page link, on the origin of ``base_url``.

    A link on another origin keeps its path and query; when it lacks the base URL's path prefix
    (a server mounted under a prefix by its proxy), the prefix is added.
    """
    base = urlsplit(base_url)
    target = urlsplit(urljoin(base_url.rstrip("/") + "/", link))
    if (target.scheme, target.netloc) == (base.scheme, base.netloc):
        return target.geturl()
    prefix = base.path.rstrip("/")
    path = target.path if target.path.startswith(prefix + "/") else prefix + target.path
    return urlunsplit((base.scheme, base.netloc, path, target.query, ""))


async def iterate(fetch: Callable[[int, str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Every item of every page: ``fetch(1, None)`` asks for the first page, then
    ``fetch(n, link)`` follows each ``next`` link (see ``on_own_origin``) until there is none.

    A page without items, or a ``next`` link pointing back at the page just read, ends the walk:
    a server that repeats a page would otherwise keep it going forever.
    """
    number, link = 1, None
    while True:
        page = await fetch(number, link)
        for item in page.items:
            yield item
        if not page.next or not page.items or page.next == link:
            return
        number, link = number + 1, page.next
