"""The sign-in functions the console and `jhe-tui login` call (through ``jhe_tui.api.signin``), which
alone know the sign-in endpoints and hold the HTTP client for them."""

from __future__ import annotations

import logging

import pytest

from jhe_tui.api import MockTransport, oauth
from jhe_tui.api.http import Request, Response
from jhe_tui.api.oauth import LoginFailed
from jhe_tui.api.tokens import TokenSet

URL = "http://jhe.test"


async def test_sign_in_requests_follow_no_redirect_and_are_logged_without_ids_or_queries(caplog):
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(302, headers={"location": "https://elsewhere.test/login"})

    caplog.set_level(logging.INFO, logger="jhe_tui.api")
    async with oauth.http_client(transport=MockTransport(answer)) as http:
        with pytest.raises(LoginFailed, match="elsewhere.test"):
            await oauth.check_token(http, URL, "abcdefghijklmnopqrstuvwxyz0123")
    assert len(seen) == 1  # the redirect was said, not followed
    assert [r.getMessage() for r in caplog.records] == ["GET /api/v1/users/profile 302"]


@pytest.mark.parametrize(("status", "said"), [
    (401, "does not accept this token"),
    (403, "does not accept this token"),
    (500, r"could not be checked \(HTTP 500\); is http://jhe.test a JHE server\?"),
])
async def test_a_token_the_api_refuses_is_one_sentence(status, said):
    async with oauth.http_client(transport=MockTransport(lambda request: Response(status))) as http:
        with pytest.raises(LoginFailed, match=said):
            await oauth.check_token(http, URL + "/", "t0ken")


async def test_a_token_is_checked_with_the_profile_request_it_signs():
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(200, json={"id": 1})

    async with oauth.http_client(transport=MockTransport(answer)) as http:
        await oauth.check_token(http, URL, "t0ken")
    (request,) = seen
    assert str(request.url) == f"{URL}/api/v1/users/profile"
    assert request.headers["authorization"] == "Bearer t0ken" and request.headers["accept"] == "application/json"


def test_tokens_renew_at_the_endpoint_that_issued_them_or_the_servers_default():
    issued = TokenSet("a", token_endpoint="https://jhe.test/o/token/")
    assert oauth.token_endpoint(URL, issued) == "https://jhe.test/o/token/"
    assert oauth.token_endpoint(URL + "/", TokenSet("a")) == f"{URL}/o/token/"
