"""The part of ``JheClient`` every group of calls stands on: the session (auth, retries, error
mapping), the generation detected once, and DRF paging; plus reading answers into models so that
a 2xx of an unexpected shape is a ``ServerFailure``, never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ValidationError

from .auth import BearerAuth
from .errors import NotFound, ServerFailure, invalid_input_from_validation
from .generation import ADAPTERS, Adapter, Generation, ServerInfo, server_info_from_health
from .http import AsyncBaseTransport, Auth
from .models import CodeableConcept
from .pages import DEFAULT_PAGE_SIZE, Page, drf_page, iterate, on_own_origin
from .retry import RetryPolicy
from .session import ApiSession
from .timeouts import Timeouts

OMH_SYSTEM = "https://w3id.org/openmhealth"
LARGE_PAGE = 1000  # the largest page JHE serves; used when walking whole lists

M = TypeVar("M", bound=BaseModel)
Scope = CodeableConcept | tuple[str, str] | str


def scope_key(scope: Scope) -> tuple[str, str]:
    """(system, code) of a scope given as a concept, a pair, ``"system|code"`` or a bare OMH code."""
    if isinstance(scope, CodeableConcept):
        return scope.key
    if isinstance(scope, tuple):
        return scope
    system, bar, code = scope.partition("|")
    return (system, code) if bar else (OMH_SYSTEM, scope)


@contextmanager
def _reading(doing: str) -> Iterator[None]:
    """A 2xx answer of an unexpected shape becomes a ``ServerFailure``, not a parsing traceback.

    The validation error itself is dropped: its text quotes the answer, i.e. patient data.
    """
    try:
        yield
    except (ValidationError, TypeError, KeyError, IndexError, AttributeError):
        raise ServerFailure(f"The server's answer could not be read while {doing}.") from None


def _parse(model: type[M], data: Any, doing: str) -> M:
    with _reading(doing):
        return model.model_validate(data)


def _parse_list(model: type[M], data: Any, doing: str) -> list[M]:
    with _reading(doing):
        return [model.model_validate(item) for item in data or []]


def _user_input(model: type[M], value: M | Mapping[str, Any], what: str) -> M:
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid_input_from_validation(exc, what) from None


class ClientCore:
    """The session, the generation and the paging every group of calls shares."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: AsyncBaseTransport | None = None,
        timeout: float | Timeouts | None = None,
        max_concurrency: int = 6,
        max_retries: int = 3,
        generation: Generation | None = None,
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
        auth: Auth | None = None,
    ):
        self._session = ApiSession(
            base_url,
            auth or BearerAuth(token),
            transport=transport,
            timeout=timeout,
            max_concurrency=max_concurrency,
            retry=retry or RetryPolicy(max_retries=max_retries),
            verify=verify,
        )
        self._info = ServerInfo(generation=generation) if generation else None
        self._detecting = asyncio.Lock()

    @property
    def auth(self) -> Auth:
        return self._session.auth

    @property
    def retry(self) -> RetryPolicy:
        """When the client tries a request again; jobs retrying whole calls wait as it does."""
        return self._session.retry

    @property
    def base_url(self) -> str:
        """The server's address, as the client was given it (without a trailing slash)."""
        return self._session.base_url

    def use_auth(self, auth: Auth) -> None:
        """Sign the following requests with ``auth`` (after a new sign-in)."""
        self._session.auth = auth

    @property
    def on_unauthenticated(self) -> Callable[[], None] | None:
        """Called (with no arguments) whenever a request ends in 401 after any renewal attempt:
        the console uses it to send the user to its sign-in screen."""
        return self._session.on_unauthenticated

    @on_unauthenticated.setter
    def on_unauthenticated(self, hook: Callable[[], None] | None) -> None:
        self._session.on_unauthenticated = hook

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        doing: str = "contacting the server",
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
    ) -> Any:
        """A raw call with the client's auth, retries and error mapping; returns parsed JSON.

        No generation rules apply here: the caller chooses the path and every query name.
        """
        return await self._session.json(method, path, doing=doing, params=params, json=json)

    async def request_text(
        self,
        method: str,
        path: str,
        *,
        doing: str = "contacting the server",
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    ) -> str:
        """Like ``request``, but the body as text, for callers that parse it their own way.

        Decoded in one call: httpx's ``Response.text`` decodes incrementally, fifteen times slower
        on the megabyte of an export's page."""
        response = await self._session.send(method, path, doing=doing, params=params)
        return response.content.decode(response.encoding or "utf-8", errors="replace")

    # --- server ---------------------------------------------------------------------------------

    async def server_info(self) -> ServerInfo:
        """The server's generation, detected once per client (``generation=`` skips it)."""
        async with self._detecting:
            if self._info is None:
                try:
                    response = await self._session.send("GET", "/health", doing="detecting the server version")
                except NotFound:
                    self._info = ServerInfo(generation=Generation.LEGACY)
                else:
                    content_type = response.headers.get("content-type", "")
                    self._info = server_info_from_health(content_type, response.text)
        return self._info

    async def adapter(self) -> Adapter:
        """What the detected generation accepts and how it differs (``generation.Adapter``), for
        jobs that choose between strategies (the export, the import) without naming versions."""
        return ADAPTERS[(await self.server_info()).generation]

    async def _get(self, path: str, doing: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._session.json("GET", path, doing=doing, params=params)

    async def _page(
        self,
        item_type: type[M],
        endpoint: str,
        path: str,
        filters: Mapping[str, Any],
        page: int,
        page_size: int,
        doing: str,
    ) -> Page[M]:
        adapter = await self.adapter()
        # Page number and size are left out at their defaults, so requests stay minimal.
        paging = {
            "page": page if page != 1 else None,
            "page_size": page_size if page_size != DEFAULT_PAGE_SIZE else None,
        }
        return await self._drf_page(item_type, path, adapter.query(endpoint, {**filters, **paging}), page, page_size,
                                    doing)

    async def _drf_page(
        self, item_type: type[M], path: str, params: Mapping[str, Any] | None, page: int, page_size: int, doing: str
    ) -> Page[M]:
        try:
            data = await self._get(path, doing, params)
        except NotFound as exc:
            if exc.detail != "No results found":  # v0.0.7's answer for an empty list
                raise
            data = {}
        with _reading(doing):
            return drf_page(item_type, data, page=page, page_size=page_size)

    def _walk(
        self, item_type: type[M], endpoint: str, path: str, filters: Mapping[str, Any], page_size: int, doing: str
    ) -> AsyncIterator[M]:
        """Every item of a paginated list: the first page as asked, then each ``next`` link."""

        def fetch(number: int, link: str | None) -> Awaitable[Page[M]]:
            if link is None:
                return self._page(item_type, endpoint, path, filters, number, page_size, doing)
            return self._drf_page(item_type, self._link(link), None, number, page_size, doing)

        return iterate(fetch)

    def _link(self, link: str) -> str:
        return on_own_origin(link, self._session.base_url)
