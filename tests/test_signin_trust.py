"""Sign-in against someone else on the same machine or the network: a guessed loopback callback
cannot spoil the real one, no object shows a secret in its repr, and a refused session is not
renewed again and again by every request that was waiting."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from jhe_tui.api import JheClient, Unauthenticated, oauth
from jhe_tui.api.auth import BearerAuth, RefreshingAuth
from jhe_tui.api.http import ASGITransport
from jhe_tui.api.oauth import Endpoints, LoginFailed, PkceLogin
from jhe_tui.api.tokens import TokenSet, TokenStore
from jhe_tui.commands.connect import Target
from jhe_tui.api.signin import SignIn
from tests.test_signin import EMAIL, Browser, _kill_access_token, _signed_in


@pytest.fixture
def signin(demo_backend, isolated_home):
    store = TokenStore(isolated_home / "state", use_keyring=False)
    return SignIn(demo_backend.site_url, "trust", client_id="jhe-tui", store=store,
                  transport=ASGITransport(app=demo_backend.app))


# --- the loopback receiver ------------------------------------------------------------------------

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J"


async def test_a_callback_with_a_guessed_state_is_ignored_and_the_real_sign_in_goes_on(demo_backend, signin):
    browser = Browser(demo_backend)
    answered: list[httpx.Response] = []

    async def open_url(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        async with httpx.AsyncClient() as local:  # real HTTP on 127.0.0.1, as another local user would
            answered.append(await local.get(redirect, params={"code": "guessed-code-0123", "state": "guessed"}))
            answered.append(await local.get(redirect, params={"error": "access_denied", "state": "guessed",
                                                              "error_description": HOSTILE}))
            answered.append(await local.get(redirect, params={"code": "no-state-at-all"}))
            landed = await browser.sign_in(url)
            page = await local.get(landed)
        assert "Signed in" in page.text

    tokens, _ = await signin.loopback(open_url, timeout=10)
    assert tokens.method == "loopback" and tokens.access_token
    for response in answered:
        assert "Signed in" not in response.text and "failed" not in response.text.lower()
        assert "PWNED" not in response.text and "\x1b" not in response.text and "guessed" not in response.text
    async with JheClient(demo_backend.site_url, tokens.access_token,
                         transport=ASGITransport(app=demo_backend.app)) as client:
        assert (await client.profile()).email == EMAIL


async def test_only_wrong_callbacks_end_in_the_timeout_sentence_not_their_text(demo_backend, signin):
    async def open_url(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        async with httpx.AsyncClient() as local:
            await local.get(redirect, params={"error": "access_denied", "error_description": HOSTILE,
                                              "state": "guessed"})

    with pytest.raises(LoginFailed) as raised:
        await signin.loopback(open_url, timeout=0.2)
    assert "No sign-in arrived" in raised.value.message and "PWNED" not in raised.value.message


async def test_the_servers_refusal_with_the_right_state_still_reaches_the_terminal(demo_backend, signin):
    async def open_url(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        async with httpx.AsyncClient() as local:
            await local.get(query["redirect_uri"][0], params={"error": "access_denied", "state": query["state"][0],
                                                              "error_description": "The user said no"})

    with pytest.raises(LoginFailed, match="refused the sign-in: The user said no"):
        await signin.loopback(open_url, timeout=10)


# --- secrets in repr ------------------------------------------------------------------------------

SECRETS = ("ACCESS-s3cret", "REFRESH-s3cret", "APIKEY-s3cret", "BEARER-s3cret", "TARGET-s3cret")


def test_no_object_that_holds_a_token_shows_it_in_repr_or_str(isolated_home):
    tokens = TokenSet("ACCESS-s3cret", "REFRESH-s3cret", client_id="cid", method="api-key", api_key="APIKEY-s3cret",
                      token_endpoint="https://jhe.example.org/o/token/")
    endpoints = Endpoints("https://jhe.example.org", "https://jhe.example.org/o/authorize/",
                          "https://jhe.example.org/o/token/", "https://jhe.example.org/o/revoke_token/")
    pkce = PkceLogin.for_console(endpoints, "cid")
    signin = SignIn("https://jhe.example.org", "p", store=TokenStore(isolated_home, use_keyring=False))
    signin.pending = pkce
    auth = RefreshingAuth(tokens, "https://jhe.example.org/o/token/")
    held = [tokens, pkce, signin, auth, BearerAuth("BEARER-s3cret"),
            Target("https://jhe.example.org", "TARGET-s3cret"),
            Target("https://jhe.example.org", None, tokens=tokens),
            JheClient("https://jhe.example.org", auth=auth)]
    for obj in held:
        for text in (repr(obj), str(obj)):
            for secret in (*SECRETS, pkce.state, pkce.verifier):
                assert secret not in text, f"{type(obj).__name__} shows {secret[:6]}…"
    assert "cid" in repr(tokens) and "api-key" in repr(tokens)  # what is not secret stays readable
    assert TokenSet.from_json(tokens.to_json()) == tokens  # storage still keeps everything


# --- renewal after a refusal ----------------------------------------------------------------------

class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests on and counts those to the token endpoint."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner
        self.token_calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/o/token/":
            self.token_calls += 1
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("expired", [False, True], ids=["after-401", "expired-and-401"])
async def test_thirty_requests_on_a_rotated_refresh_token_make_one_token_call(demo_backend, signin, expired):
    """Before, each request renewed once before expiry and once after its 401: 60 token calls."""
    tokens = await _signed_in(demo_backend, signin)
    async with signin.http() as http:  # renewed elsewhere: this copy's refresh (and access) token is dead
        elsewhere = await oauth.refresh(http, await signin.endpoints(http), tokens)
    if expired:
        tokens = replace(tokens, expires_at=1.0)
    counting = CountingTransport(ASGITransport(app=demo_backend.app))
    auth = RefreshingAuth(tokens, tokens.token_endpoint)
    async with JheClient(demo_backend.site_url, auth=auth, transport=counting) as client:
        results = await asyncio.gather(*(client.profile() for _ in range(30)), return_exceptions=True)
        assert all(isinstance(r, Unauthenticated) and "sign in again" in r.message for r in results), results
        assert counting.token_calls == 1
        with pytest.raises(Unauthenticated):
            await client.profile()
        assert counting.token_calls == 1  # still refused: no new attempt until the next sign-in
        # A new sign-in (the console's sign-in screen) makes renewal work again.
        _kill_access_token(demo_backend, elsewhere.access_token)
        auth.replace_tokens(elsewhere)
        assert (await client.profile()).email == EMAIL
        assert counting.token_calls == 2 and auth.tokens.refresh_token != elsewhere.refresh_token


async def test_a_failing_token_endpoint_is_not_a_refusal_the_next_request_tries_again():
    calls = {"token": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/o/token/":
            calls["token"] += 1
            return httpx.Response(503, text="<html>down</html>", headers={"content-type": "text/html"})
        return httpx.Response(401, json={"detail": "Authentication credentials were not provided."})

    auth = RefreshingAuth(TokenSet("dead", "refresh", client_id="cid", method="loopback"),
                          "https://jhe.example.org/o/token/")
    async with JheClient("https://jhe.example.org", auth=auth, transport=httpx.MockTransport(answer),
                         max_retries=0) as client:
        for expected_calls in (1, 2):
            with pytest.raises(Unauthenticated, match="HTTP 503"):
                await client.profile()
            assert calls["token"] == expected_calls
