"""OAuth2 authorization code + PKCE, refresh rotation, revocation, discovery (contract section 5)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest

LOOPBACK = "http://127.0.0.1:53682/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _params(challenge: str, redirect_uri: str = LOOPBACK, client_id: str = "jhe-tui", **extra: str) -> dict:
    return {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "openid",
            "state": "s-123", "code_challenge": challenge, "code_challenge_method": "S256", **extra}


def _query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _code(api, challenge: str, email: str = "member@demo.jhe.example", **params: str) -> str:
    response = await api.http.post("/o/authorize/", data={**_params(challenge, **params), "email": email,
                                                          "password": "demo"})
    assert response.status_code == 302, response.text
    return _query_of(response.headers["location"])["code"]


async def _exchange(api, code: str, verifier: str, redirect_uri: str = LOOPBACK, client_id: str = "jhe-tui"):
    return await api.http.post("/o/token/", data={"grant_type": "authorization_code", "code": code,
                                                  "client_id": client_id, "redirect_uri": redirect_uri,
                                                  "code_verifier": verifier})


async def test_full_flow(api) -> None:
    verifier, challenge = _pkce()
    page = await api.http.get("/o/authorize/", params=_params(challenge))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "member@demo.jhe.example" in page.text and f'value="{challenge}"' in page.text

    login = await api.http.post("/o/authorize/", data={**_params(challenge), "email": "member@demo.jhe.example",
                                                       "password": "demo"})
    assert login.status_code == 302
    location = login.headers["location"]
    assert location.startswith(LOOPBACK + "?")
    query = _query_of(location)
    assert query["state"] == "s-123" and re.fullmatch(r"[A-Za-z0-9]{30}", query["code"])

    token = await _exchange(api, query["code"], verifier)
    assert token.status_code == 200 and token.headers["cache-control"] == "no-store"
    body = token.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope", "refresh_token"}
    assert (body["expires_in"], body["token_type"], body["scope"]) == (1209600, "Bearer", "openid")
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    profile = await api.http.get("/api/v1/users/profile", headers=bearer)
    assert profile.json()["email"] == "member@demo.jhe.example"
    assert (await api.http.get("/o/userinfo/", headers=bearer)).json() == {"sub": "10002",
                                                                         "email": "member@demo.jhe.example"}

    refreshed = await api.http.post("/o/token/", data={"grant_type": "refresh_token", "client_id": "jhe-tui",
                                                       "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != body["refresh_token"] and new["access_token"] != body["access_token"]
    old = await api.http.post("/o/token/", data={"grant_type": "refresh_token", "client_id": "jhe-tui",
                                                 "refresh_token": body["refresh_token"]})
    assert old.status_code == 400 and old.json() == {"error": "invalid_grant"}
    assert (await api.http.get("/api/v1/users/profile", headers=bearer)).status_code == 401

    new_bearer = {"Authorization": f"Bearer {new['access_token']}"}
    assert (await api.http.get("/api/v1/users/profile", headers=new_bearer)).status_code == 200
    revoked = await api.http.post("/o/revoke_token/", data={"token": new["access_token"], "client_id": "jhe-tui"})
    assert revoked.status_code == 200
    assert (await api.http.get("/api/v1/users/profile", headers=new_bearer)).status_code == 401
    after = await api.http.post("/o/token/", data={"grant_type": "refresh_token", "client_id": "jhe-tui",
                                                   "refresh_token": new["refresh_token"]})
    assert after.json() == {"error": "invalid_grant"}


async def test_session_cookie_skips_the_login_page(api) -> None:
    verifier, challenge = _pkce()
    await _code(api, challenge)
    again = await api.http.get("/o/authorize/", params=_params(challenge))
    assert again.status_code == 302 and "code=" in again.headers["location"]


async def test_console_client_and_its_exact_redirect(api) -> None:
    verifier, challenge = _pkce()
    callback = "http://127.0.0.1:8765/auth/callback"
    code = await _code(api, challenge, client_id="jhe-demo-console", redirect_uri=callback)
    assert (await _exchange(api, code, verifier, callback, "jhe-demo-console")).status_code == 200
    wrong = await api.http.get("/o/authorize/", params=_params(challenge, "http://127.0.0.1:9999/auth/callback",
                                                               "jhe-demo-console"))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_request"


@pytest.mark.parametrize("redirect_uri", ["http://localhost:5000/callback", "http://127.0.0.1:5000/other",
                                          "https://127.0.0.1:5000/callback", "http://127.0.0.2:5000/callback",
                                          "http://127.0.0.1:notaport/callback", ""])
async def test_redirects_that_are_refused(api, redirect_uri: str) -> None:
    _, challenge = _pkce()
    response = await api.http.get("/o/authorize/", params=_params(challenge, redirect_uri))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "Mismatching redirect URI."}


async def test_loopback_accepts_any_port(api) -> None:
    for port in (1024, 53682, 65000):
        verifier, challenge = _pkce()
        redirect = f"http://127.0.0.1:{port}/callback"
        code = await _code(api, challenge, redirect_uri=redirect)
        assert (await _exchange(api, code, verifier, redirect)).status_code == 200


@pytest.mark.parametrize("change, error", [
    ({"code_challenge": ""}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"scope": "read write"}, "invalid_scope"),
    ({"response_type": "token"}, "unsupported_response_type"),
])
async def test_bad_requests_are_sent_back_to_the_client(api, change: dict, error: str) -> None:
    _, challenge = _pkce()
    response = await api.http.get("/o/authorize/", params={**_params(challenge), **change})
    assert response.status_code == 302
    query = _query_of(response.headers["location"])
    assert query["error"] == error and query["state"] == "s-123"


async def test_unknown_client(api) -> None:
    _, challenge = _pkce()
    response = await api.http.get("/o/authorize/", params=_params(challenge, client_id="nobody"))
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


async def test_wrong_verifier_spends_the_code(api) -> None:
    verifier, challenge = _pkce()
    code = await _code(api, challenge)
    wrong = await _exchange(api, code, _pkce()[0])
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    assert (await _exchange(api, code, verifier)).json() == {"error": "invalid_grant"}


async def test_code_works_once_and_only_with_its_redirect(api) -> None:
    verifier, challenge = _pkce()
    code = await _code(api, challenge)
    assert (await _exchange(api, code, verifier, "http://127.0.0.1:1/callback")).json() == {"error": "invalid_grant"}
    verifier, challenge = _pkce()
    code = await _code(api, challenge)
    assert (await _exchange(api, code, verifier)).status_code == 200
    assert (await _exchange(api, code, verifier)).json() == {"error": "invalid_grant"}


async def test_expired_code(api) -> None:
    verifier, challenge = _pkce()
    code = await _code(api, challenge)
    conn = sqlite3.connect(api.backend.db_path)
    with conn:
        conn.execute("UPDATE oauth_grant SET expires = expires - 61")
    conn.close()
    assert (await _exchange(api, code, verifier)).json() == {"error": "invalid_grant"}


async def test_token_endpoint_errors(api) -> None:
    post = api.http.post
    assert (await post("/o/token/", data={"grant_type": "password", "client_id": "jhe-tui"})).json() == {
        "error": "unsupported_grant_type"}
    unknown = await post("/o/token/", data={"grant_type": "refresh_token", "client_id": "nobody", "refresh_token": "x"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    missing = await post("/o/token/", data={"grant_type": "authorization_code", "client_id": "jhe-tui"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    other_app = await post("/o/token/", data={"grant_type": "refresh_token", "client_id": "jhe-demo-console",
                                              "refresh_token": "not-a-token"})
    assert other_app.json() == {"error": "invalid_grant"}


async def test_wrong_password_shows_the_page_again(api) -> None:
    _, challenge = _pkce()
    response = await api.http.post("/o/authorize/", data={**_params(challenge), "email": "member@demo.jhe.example",
                                                           "password": "nope"})
    assert response.status_code == 200 and "Wrong e-mail or password." in response.text
    assert "set-cookie" not in response.headers


async def test_discovery_and_console_settings(api) -> None:
    for path in ("/o/.well-known/openid-configuration", "/o/.well-known/openid-configuration/"):
        config = (await api.http.get(path)).json()
        assert config["issuer"] == "http://127.0.0.1:8765/o"
        assert config["authorization_endpoint"] == "http://127.0.0.1:8765/o/authorize/"
        assert config["token_endpoint"] == "http://127.0.0.1:8765/o/token/"
        assert config["userinfo_endpoint"] == "http://127.0.0.1:8765/o/userinfo/"
        assert config["revocation_endpoint"] == "http://127.0.0.1:8765/o/revoke_token/"
        assert config["scopes_supported"] == ["openid"] and config["code_challenge_methods_supported"] == ["S256"]
    script = await api.http.get("/portal/settings.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert re.search(r'client_id:\s*"jhe-demo-console"', script.text)
    assert (await api.http.get("/common/server-settings.js")).text == script.text
    assert (await api.http.get("/health")).json() == {"status": "ok", "version": "demo", "demo": True}
