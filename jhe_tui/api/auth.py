"""How requests are authorised, kept behind ``httpx.Auth`` so it can be replaced.

Today a static bearer token (pasted, or from ``JHE_TOKEN``); a later change swaps in an ``Auth``
that refreshes on 401 and stores tokens, without touching the client.
"""

from __future__ import annotations

from collections.abc import Generator

from .http import Auth, Request, Response


class BearerAuth(Auth):
    def __init__(self, token: str | None = None):
        self.token = token

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request
