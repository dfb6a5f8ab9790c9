"""One HTTP exchange with JHE: limits, retries, logging and error mapping.

Everything above this module deals in parsed JSON and ``JheError``s; everything below is httpx,
with its own transport for real servers (its connection pool, TLS, and the proxies named in
HTTP(S)_PROXY, ALL_PROXY and NO_PROXY) and an injected one for the demo (ASGI) and tests. Either
way a request is sent once by the transport; whether it is sent again is ``RetryPolicy``'s call.
A read waits long for its answer and a write briefly (``Timeouts``); a job pacing its requests
hears how each attempt ended (``watch``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import Unauthenticated, _capitalised, error_from_response, network_failure
from .http import (
    AsyncBaseTransport, AsyncClient, Auth, Limits, Response, TimeoutException, TransportError, tls_verify,
)
from .retry import IDEMPOTENT_METHODS, RetryPolicy, parse_retry_after
from .timeouts import Timeouts
from .watch import Outcome, sending

# httpx's default, stated because it matters: an idle connection is dropped after 5 s, before
# most servers' keep-alive timeouts and before a NAT or firewall forgets a quiet flow (after which
# the next request on that connection would wait for the read timeout).
IDLE_EXPIRY = 5.0

logger = logging.getLogger("jhe_tui.api")

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9]{20,}(?=/|$)")


def path_template(path: str) -> str:
    """The path with ids and tokens replaced, safe to log (``/api/v1/patients/{id}/consents``);
    a full URL (a followed page link) loses its origin and query too."""
    return _TOKEN_SEGMENT.sub("/{token}", _ID_SEGMENT.sub("/{id}", urlsplit(path).path))


class ApiSession:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        transport: AsyncBaseTransport | None,
        timeout: float | Timeouts,
        max_concurrency: int,
        retry: RetryPolicy,
        verify: bool | str,
    ):
        self.retry = retry
        self.timeouts = Timeouts.of(timeout)
        self.on_unauthenticated: Callable[[], None] | None = None
        self._limit = asyncio.Semaphore(max_concurrency)
        self._http = AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=auth,
            transport=transport,  # None: httpx's own, with these limits and the environment's proxies
            limits=Limits(max_keepalive_connections=max_concurrency, keepalive_expiry=IDLE_EXPIRY),
            timeout=self.timeouts.for_request(read=True),
            verify=tls_verify(verify),
            headers={"Accept": "application/json"},
        )

    @property
    def auth(self) -> Auth:
        return self._http.auth

    @auth.setter
    def auth(self, auth: Auth) -> None:
        """What signs the following requests (a new sign-in replaces it)."""
        self._http.auth = auth

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        replayable: bool | None = None,
    ) -> Response:
        """Send with retries; return a 2xx response or raise the matching ``JheError``.

        ``replayable=False`` marks a read that acts (a GET that issues and mails an invitation):
        it is retried only where the server says it did nothing, as a write is."""
        method = method.upper()
        template = path_template(path)
        reads = method in IDEMPOTENT_METHODS and replayable is not False
        timeout = self.timeouts.for_request(read=reads)
        attempt = 0
        while True:
            heard = sending(method)
            try:
                async with self._limit:
                    response = await self._http.request(method, path, params=params, json=json, timeout=timeout)
            except TransportError as exc:
                logger.info("%s %s failed: %s", method, template, type(exc).__name__)
                if heard is not None:
                    heard(Outcome(None, timed_out=isinstance(exc, TimeoutException)))
                delay = self.retry.after_network_error(method, attempt, replayable=replayable)
                if delay is None:
                    raise network_failure(exc, doing) from None
            else:
                logger.info("%s %s %s", method, template, response.status_code)
                if heard is not None:
                    heard(Outcome(response.status_code))
                if response.is_success:
                    return response
                delay = self.retry.after_status(
                    method, response.status_code, response.headers.get("Retry-After"), attempt, replayable=replayable
                )
                if delay is None:
                    error = error_from_response(
                        response.status_code, response.headers.get("content-type", ""), response.text, doing,
                        response.headers.get("location"),
                    )
                    if isinstance(error, Unauthenticated):
                        failure = getattr(self.auth, "failure", None)
                        if failure:
                            error = Unauthenticated(f"{_capitalised(doing)} failed: {failure}", 401)
                        if self.on_unauthenticated is not None:
                            self.on_unauthenticated()
                    # Callers that retry on their own terms (the import job) honour the server's pause.
                    error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    raise error
            attempt += 1
            await self.retry.sleep(delay)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like ``send`` but return the parsed body; None for empty or non-JSON bodies (204, junk)."""
        response = await self.send(method, path, **kwargs)
        if not response.content or "json" not in response.headers.get("content-type", "json"):
            return None
        try:
            return response.json()
        except ValueError:
            return None
