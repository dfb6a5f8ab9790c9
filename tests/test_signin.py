"""Sign-in end to end against the embedded backend's OAuth endpoints; the test plays the browser.

Loopback and paste-back flows, API keys, refresh rotation, 401 then renewal then retry, revoke on
logout, the token file's permissions, and one sentence for each bad input.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from jhe_tui.api import JheClient, Unauthenticated
from jhe_tui.api.auth import RefreshingAuth
from jhe_tui.api.http import ASGITransport
from jhe_tui.api.oauth import LoginFailed
from jhe_tui.api.tokens import TokenStore, TokenStoreError
from jhe_tui.api.signin import SignIn

EMAIL = "manager@demo.jhe.example"


class Browser:
    """Signs in on the backend's login page like a person would, and reports where it lands."""

    def __init__(self, backend):
        self.http = httpx.AsyncClient(transport=ASGITransport(app=backend.app), base_url=backend.site_url)

    async def sign_in(self, authorize_url: str, email: str = EMAIL) -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        page = await self.http.get("/o/authorize/", params=query)
        assert page.status_code == 200 and "Log in" in page.text
        response = await self.http.post("/o/authorize/", data={**query, "email": email, "password": "demo"})
        assert response.status_code == 302, response.text
        return response.headers["location"]


@pytest.fixture
def signin(demo_backend, isolated_home):
    store = TokenStore(isolated_home / "state", use_keyring=False)
    return SignIn(demo_backend.site_url, "demo-test", store=store, transport=ASGITransport(app=demo_backend.app))


def client_with(backend, signin_, tokens, **kwargs) -> JheClient:
    auth = RefreshingAuth(tokens, tokens.token_endpoint, on_update=lambda t: signin_.store.save("demo-test", t),
                          **kwargs)
    return JheClient(backend.site_url, auth=auth, transport=ASGITransport(app=backend.app))


async def test_paste_back_flow_stores_a_private_token_that_works(demo_backend, signin):
    url = await signin.start_paste_back()
    assert "client_id=jhe-demo-console" in url and "code_challenge_method=S256" in url
    landed = await Browser(demo_backend).sign_in(url)
    assert landed.startswith(f"{demo_backend.site_url}/auth/callback?")
    tokens, where = await signin.finish_paste_back(landed)
    assert tokens.method == "paste-back" and tokens.refresh_token and tokens.expires_at > time.time() + 86400
    assert tokens.token_endpoint.endswith("/o/token/")
    path = signin.store.file("demo-test")
    assert where == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    async with client_with(demo_backend, signin, signin.store.load("demo-test")) as client:
        assert (await client.profile()).email == EMAIL


async def test_paste_back_accepts_just_the_code(demo_backend, signin):
    url = await signin.start_paste_back()
    landed = await Browser(demo_backend).sign_in(url)
    code = parse_qs(urlsplit(landed).query)["code"][0]
    tokens, _ = await signin.finish_paste_back(f"  {code}\n")
    assert tokens.access_token


async def test_loopback_flow_with_the_browser_coming_back(demo_backend, signin):
    signin.client_id = "jhe-tui"
    browser = Browser(demo_backend)

    async def open_url(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
        landed = await browser.sign_in(url)
        async with httpx.AsyncClient() as real:  # the browser follows the redirect to our listener
            page = await real.get(landed)
        assert "Signed in" in page.text

    tokens, _ = await signin.loopback(open_url, timeout=10)
    assert tokens.method == "loopback" and tokens.client_id == "jhe-tui"


async def test_a_pasted_address_of_another_attempt_is_refused(demo_backend, signin):
    first = await signin.start_paste_back()
    landed = await Browser(demo_backend).sign_in(first)
    await signin.start_paste_back()  # a new attempt: new state
    with pytest.raises(LoginFailed, match="another sign-in attempt"):
        await signin.finish_paste_back(landed)


async def test_a_code_pasted_too_late_says_so(demo_backend, signin):
    url = await signin.start_paste_back()
    landed = await Browser(demo_backend).sign_in(url)
    with sqlite3.connect(demo_backend.db_path) as conn:
        conn.execute("UPDATE oauth_grant SET expires = 0")
    with pytest.raises(LoginFailed, match="60 seconds"):
        await signin.finish_paste_back(landed)


async def _signed_in(demo_backend, signin):
    url = await signin.start_paste_back()
    tokens, _ = await signin.finish_paste_back(await Browser(demo_backend).sign_in(url))
    return tokens


async def test_refresh_before_expiry_rotates_and_stores(demo_backend, signin):
    tokens = await _signed_in(demo_backend, signin)
    soon = replace(tokens, expires_at=time.time() + 30)
    async with client_with(demo_backend, signin, soon) as client:
        await client.profile()
        renewed = client.auth.tokens
    assert renewed.access_token != tokens.access_token
    assert renewed.refresh_token != tokens.refresh_token
    assert signin.store.load("demo-test") == renewed
    # The old refresh token died with the rotation.
    from jhe_tui.api import oauth

    async with signin.http() as http:
        with pytest.raises(LoginFailed, match="no longer accepts"):
            await oauth.refresh(http, await signin.endpoints(http), tokens)


def _kill_access_token(backend, access: str) -> None:
    from jhe_tui.backend import tokens as backend_tokens

    with sqlite3.connect(backend.db_path) as conn:
        conn.execute("DELETE FROM oauth_token WHERE token_hash = ?", (backend_tokens.digest(access),))


async def test_401_then_refresh_then_retry_is_invisible_to_the_caller(demo_backend, signin, caplog):
    tokens = await _signed_in(demo_backend, signin)
    _kill_access_token(demo_backend, tokens.access_token)
    async with client_with(demo_backend, signin, tokens) as client:
        assert (await client.profile()).email == EMAIL
        assert client.auth.tokens.access_token != tokens.access_token
    assert signin.store.load("demo-test").refresh_token != tokens.refresh_token


async def test_concurrent_401s_renew_once_with_the_rotating_token(demo_backend, signin):
    """Six requests hit the dead token at once; only one may spend the refresh token (a second use
    would be refused, the rotation having killed it), and all six succeed."""
    import asyncio

    tokens = await _signed_in(demo_backend, signin)
    _kill_access_token(demo_backend, tokens.access_token)
    saved = []
    async with client_with(demo_backend, signin, tokens) as client:
        client.auth.on_update = saved.append
        profiles = await asyncio.gather(*(client.profile() for _ in range(6)))
    assert {p.email for p in profiles} == {EMAIL}
    assert len(saved) == 1


async def test_a_revoked_session_is_one_sentence_and_calls_the_hook(demo_backend, signin):
    tokens = await _signed_in(demo_backend, signin)
    from jhe_tui.backend import tokens as backend_tokens

    with sqlite3.connect(demo_backend.db_path) as conn:  # refresh token revoked (with its access token)
        conn.row_factory = sqlite3.Row
        backend_tokens.revoke(conn, tokens.refresh_token)
    calls = []
    async with client_with(demo_backend, signin, tokens) as client:
        client.on_unauthenticated = lambda: calls.append(1)
        with pytest.raises(Unauthenticated) as raised:
            await client.profile()
    assert "sign in again" in raised.value.message and calls == [1]


async def test_logout_revokes_and_deletes(demo_backend, signin):
    tokens = await _signed_in(demo_backend, signin)
    assert await signin.logout(tokens) is True
    assert not signin.store.file("demo-test").exists()
    async with JheClient(demo_backend.site_url, tokens.access_token,
                         transport=ASGITransport(app=demo_backend.app)) as client:
        with pytest.raises(Unauthenticated):
            await client.profile()
    assert await signin.logout(None) is None


async def test_api_key_client_credentials(demo_backend, signin, client_for):
    async with client_for("member") as client:
        created = await client.request("POST", "/api/v1/practitioner_clients", json={"label": "tui"})
    tokens, _ = await signin.api_key(created["key"])
    assert tokens.method == "api-key" and tokens.refresh_token is None
    async with client_with(demo_backend, signin, replace(tokens, expires_at=time.time() + 1)) as client:
        assert (await client.profile()).email == "member@demo.jhe.example"  # renewed by the key itself
    with pytest.raises(LoginFailed, match="not a practitioner API key"):
        await signin.api_key("nonsense")
    with pytest.raises(LoginFailed, match="refused the API key"):
        await signin.api_key("YWJjZGVmOmdoaWprbA==")  # abcdef:ghijkl


async def test_a_pasted_token_is_checked(demo_backend, signin):
    good = demo_backend.token_for("viewer")
    tokens, _ = await signin.token(good)
    assert tokens.access_token == good
    with pytest.raises(LoginFailed, match="does not accept this token"):
        await signin.token("x" * 40)


async def test_a_server_that_is_not_jhe():
    def answer(request):
        return httpx.Response(404, text="<html>nope</html>", headers={"content-type": "text/html"})

    signin = SignIn("https://www.example.org", "x", transport=httpx.MockTransport(answer),
                    store=TokenStore(os.environ["JHE_TUI_HOME"], use_keyring=False))
    with pytest.raises(LoginFailed, match="does not look like a JupyterHealth Exchange"):
        await signin.start_paste_back()


async def test_an_unreachable_server():
    def answer(request):
        raise httpx.ConnectError("refused")

    signin = SignIn("https://jhe.invalid", "x", transport=httpx.MockTransport(answer),
                    store=TokenStore(os.environ["JHE_TUI_HOME"], use_keyring=False))
    with pytest.raises(LoginFailed, match="Could not reach jhe.invalid"):
        await signin.start_paste_back()


def test_a_token_file_readable_by_others_is_refused(tmp_path):
    from jhe_tui.api.tokens import TokenSet

    store = TokenStore(tmp_path, use_keyring=False)
    store.save("p", TokenSet("secret-access"))
    path = store.file("p")
    os.chmod(path, 0o644)
    with pytest.raises(TokenStoreError, match="can be read by other users"):
        store.load("p")


def test_a_failing_keyring_falls_back_to_the_file(tmp_path):
    from jhe_tui.api.tokens import TokenSet

    class Broken:
        def set_password(self, *a):
            raise RuntimeError("locked")

        def get_password(self, *a):
            raise RuntimeError("locked")

        def delete_password(self, *a):
            raise RuntimeError("locked")

    store = TokenStore(tmp_path, use_keyring=False)
    store._keyring = Broken()
    where = store.save("p", TokenSet("abc"))
    assert where == str(store.file("p"))
    assert store.load("p").access_token == "abc"  # the keyring is off for the rest of the run


async def test_console_client_id_from_a_v0_0_7_settings_script():
    """The shape of JHE's client_settings.js template, rendered; v0.0.7 has no /common/ script."""
    from jhe_tui.api import oauth

    script = ('const redirectUri = window.location.origin + "/auth/callback";\n'
              'window.OIDCSettings = {\n  authority: authority,\n  client_id: "Ab12Cd34",\n'
              '  redirect_uri: redirectUri,\n};\nconst CONSTANTS = {\n  JHE_VERSION: "v0.0.7",\n'
              '  client_id: "Ab12Cd34",\n};\n')

    def answer(request):
        if request.url.path == "/portal/settings.js":
            return httpx.Response(200, text=script, headers={"content-type": "application/javascript"})
        return httpx.Response(404, text="<html>Not Found</html>", headers={"content-type": "text/html"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        assert await oauth.console_client_id(http, "https://jhe.example.org/") == "Ab12Cd34"


async def test_discovery_adds_the_token_endpoints_trailing_slash():
    from jhe_tui.api import oauth

    def answer(request):
        return httpx.Response(200, json={"issuer": "https://jhe.example.org/o",
                                         "authorization_endpoint": "https://jhe.example.org/o/authorize/",
                                         "token_endpoint": "https://jhe.example.org/o/token"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        endpoints = await oauth.discover(http, "https://jhe.example.org")
    assert endpoints.token == "https://jhe.example.org/o/token/"
    assert endpoints.revocation == "https://jhe.example.org/o/revoke_token/"


async def test_api_key_sign_in_and_renewal_over_the_network(isolated_home):
    """The demo server in its own process: the renewal is a request of the client's auth flow, so
    it goes through the client's own transport like the API calls around it."""
    from tests.serving import serve_demo

    with serve_demo(isolated_home / "served") as served:
        url = served["JHE_URL"]
        async with JheClient(url, served["JHE_TOKEN"]) as client:
            created = await client.request("POST", "/api/v1/practitioner_clients", json={"label": "tui"})
        signin_ = SignIn(url, "net", store=TokenStore(isolated_home / "state", use_keyring=False))
        tokens, _ = await signin_.api_key(created["key"])
        auth = RefreshingAuth(replace(tokens, expires_at=time.time() + 1), tokens.token_endpoint)
        async with JheClient(url, auth=auth) as client:
            assert (await client.profile()).email == "manager@demo.jhe.example"
            assert (await client.profile()).email == "manager@demo.jhe.example"
        assert auth.tokens.access_token != tokens.access_token
