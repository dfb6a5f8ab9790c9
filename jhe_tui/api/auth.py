"""How requests are authorised, kept behind ``httpx.Auth`` so it can be replaced.

``BearerAuth``: a static token (pasted, or from ``JHE_TOKEN``). ``RefreshingAuth``: stored OAuth
tokens that renew themselves before expiry and after a 401, transparently to every caller.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from urllib.parse import urlsplit
from collections.abc import AsyncGenerator, Callable, Generator

from .http import Auth, Request, Response
from .oauth import split_api_key, token_answer
from .tokens import REFRESH_MARGIN_SECONDS, TokenSet

logger = logging.getLogger("jhe_tui.api")


class BearerAuth(Auth):
    def __init__(self, token: str | None = None):
        self.token = token

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


class RefreshingAuth(Auth):
    """Bearer auth that renews itself: shortly before the access token expires, and once on a 401.

    JHE's refresh tokens rotate (the old one dies when used), so renewals are serialised: requests
    that were waiting see the new token and retry with it instead of spending the dead one.
    ``on_update`` receives every new ``TokenSet`` (to store it); ``failure`` holds the reason when
    renewal failed, and the caller then gets the 401 as usual. Once the server has refused the
    session (``refused``), no request asks again until a new sign-in (``replace_tokens``): the
    answer would be the same, once per waiting request.
    """

    requires_response_body = False

    def __init__(
        self,
        tokens: TokenSet,
        token_endpoint: str,
        *,
        on_update: Callable[[TokenSet], None] | None = None,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN_SECONDS,
    ):
        self.tokens = tokens
        self.token_endpoint = token_endpoint if token_endpoint.endswith("/") else token_endpoint + "/"
        self.on_update = on_update
        self.clock = clock
        self.margin = margin
        self.failure: str | None = None
        self.refused = False
        self._lock = asyncio.Lock()

    @property
    def token(self) -> str | None:
        return self.tokens.access_token if self.tokens else None

    def replace_tokens(self, tokens: TokenSet) -> None:
        """After a new sign-in (console sign-in screen)."""
        self.tokens = tokens
        self.failure = None
        self.refused = False
        if self.on_update:
            self.on_update(tokens)

    @property
    def can_renew(self) -> bool:
        return self.tokens.renewable and not self.refused

    def _refresh_request(self) -> Request:
        tokens = self.tokens
        if tokens.api_key:
            client_id, secret = split_api_key(tokens.api_key)
            form = {"grant_type": "client_credentials", "scope": "openid"}
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            headers = {"Authorization": f"Basic {basic}"}
        else:
            form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token or "",
                    "client_id": tokens.client_id or ""}
            headers = {}
        return Request("POST", self.token_endpoint, data=form, headers={"Accept": "application/json", **headers})

    def _apply(self, response: Response, why: str) -> None:
        logger.info("POST %s %s (session renewal %s)", urlsplit(self.token_endpoint).path, response.status_code, why)
        data = token_answer(response)
        if data is not None:
            self.tokens = self.tokens.rotated(data, now=self.clock())
            self.failure = None
            if self.on_update:
                self.on_update(self.tokens)
            return
        self.refused = response.status_code in (400, 401, 403)  # OAuth's invalid_grant / invalid_client
        self.failure = (
            "The server no longer accepts this session (it was revoked, or renewed elsewhere); sign in again."
            if self.refused
            else f"The session could not be renewed this time (HTTP {response.status_code} from the server)."
        )

    async def async_auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        if self.can_renew and self.tokens.expires_within(self.margin, self.clock()):
            async with self._lock:
                if self.can_renew and self.tokens.expires_within(self.margin, self.clock()):
                    refreshed = yield self._refresh_request()
                    await refreshed.aread()
                    self._apply(refreshed, "before expiry")
        used = self.tokens.access_token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401 or not self.tokens.renewable:
            return
        async with self._lock:
            if self.tokens.access_token == used:
                if not self.can_renew:
                    return  # refused already: this 401 is the answer
                refreshed = yield self._refresh_request()
                await refreshed.aread()
                self._apply(refreshed, "after a 401")
        # Again, with the renewed token; or, when renewal failed, to hand the caller the 401 itself
        # (httpx returns the last response of the flow, which would otherwise be the token endpoint's).
        request.headers["Authorization"] = f"Bearer {self.tokens.access_token}"
        yield request

    def sync_auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        raise RuntimeError("RefreshingAuth works with the async client only")
