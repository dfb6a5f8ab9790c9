"""OAuth2 at ``/o/`` as django-oauth-toolkit serves it for JHE (contract section 5), so a
client's login code runs unchanged against the demo.

Authorization code with PKCE (S256 only, and required); redirect URIs must match a registered one
exactly, except that an application registered with a port-less loopback URI
(``http://127.0.0.1/callback``) accepts any port (RFC 8252). Codes live 60 seconds and work once.
Access tokens live 14 days; refresh tokens rotate, and a used one is refused with
``invalid_grant``. Instead of Django's login form there is a small page listing the demo
practitioners (password ``demo``); a session cookie then skips it for 12 hours.
Errors use OAuth's own snake_case JSON (``error``, ``error_description``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .. import db, tokens
from ..auth import authenticate
from ..deps import Conn
from ..errors import ApiError
from ..demo_cast import DEMO_PASSWORD
from . import practitioner_clients

router = APIRouter()

CODE_SECONDS = 60
SESSION_COOKIE = "jhe_demo_session"
SESSION_SECONDS = 12 * 3600
SCOPES = frozenset({"openid"})
OAUTH_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
                "code_challenge_method")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(status: int, error: str, description: str | None = None) -> ApiError:
    body = {"error": error} if description is None else {"error": error, "error_description": description}
    return ApiError(status, body, raw=True)


async def form_body(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the last value of a repeated name wins)."""
    raw = await request.body()
    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


Form = Annotated[dict[str, str], Depends(form_body)]


def _application(conn: sqlite3.Connection, client_id: str | None, *, status: int) -> sqlite3.Row:
    """The registered application; DOT refuses an unknown one with 400 at authorize, 401 at token."""
    row = conn.execute("SELECT * FROM oauth_application WHERE client_id = ?", (client_id or "",)).fetchone()
    if row is None:
        raise oauth_error(status, "invalid_client", "Invalid client_id parameter value.")
    return row


def _redirect_allowed(registered: str, requested: str) -> bool:
    for uri in registered.split():
        if requested == uri:
            return True
        try:
            want, got = urlsplit(uri), urlsplit(requested)
            loopback = want.port is None and want.hostname in ("127.0.0.1", "::1")
            if loopback and got.hostname == want.hostname and got.port is not None and \
                    (want.scheme, want.path, want.query) == (got.scheme, got.path, got.query):
                return True
        except ValueError:
            continue
    return False


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


@dataclass(frozen=True)
class _Authorization:
    application_id: int
    redirect_uri: str
    state: str | None
    code_challenge: str


def _authorization(conn: sqlite3.Connection, params: Mapping[str, str]) -> _Authorization | Response:
    """The checked authorization request, or the answer refusing it.

    Problems with the client or the redirect URI are answered here (400); once the redirect URI
    is trusted, the others are sent back to it as ``error=`` parameters, as the spec asks.
    """
    application = _application(conn, params.get("client_id"), status=400)
    redirect_uri = params.get("redirect_uri") or ""
    if not _redirect_allowed(application["redirect_uris"], redirect_uri):
        raise oauth_error(400, "invalid_request", "Mismatching redirect URI.")
    state = params.get("state")

    def refuse(error: str, description: str | None = None) -> Response:
        query = {"error": error, "error_description": description, "state": state}
        return RedirectResponse(_with_query(redirect_uri, query), 302)

    if params.get("response_type") != "code":
        return refuse("unsupported_response_type")
    if not params.get("code_challenge"):
        return refuse("invalid_request", "Code challenge required.")
    if not _CHALLENGE.fullmatch(params["code_challenge"]):
        return refuse("invalid_request", "Invalid code challenge.")
    if params.get("code_challenge_method") != "S256":
        return refuse("invalid_request", "Unsupported code challenge method; use S256.")
    if not set(params.get("scope", "openid").split()) <= SCOPES:
        return refuse("invalid_scope")
    return _Authorization(application["id"], redirect_uri, state, params["code_challenge"])


def _grant(conn: sqlite3.Connection, authorization: _Authorization, user_id: int) -> Response:
    code = tokens.new_secret(30)
    conn.execute(
        "INSERT INTO oauth_grant VALUES (?, ?, ?, ?, ?, ?)",
        (tokens.digest(code), authorization.application_id, user_id, authorization.redirect_uri,
         authorization.code_challenge, time.time() + CODE_SECONDS),
    )
    target = _with_query(authorization.redirect_uri, {"code": code, "state": authorization.state})
    return RedirectResponse(target, 302)


def _session_user(conn: sqlite3.Connection, request: Request) -> int | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    row = conn.execute("SELECT user_id FROM web_session WHERE session_hash = ? AND expires > ?",
                       (tokens.digest(cookie), time.time())).fetchone()
    return None if row is None else row["user_id"]


def _login_page(conn: sqlite3.Connection, params: Mapping[str, str], error: str | None = None) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in OAUTH_PARAMS if name in params
    )
    people = conn.execute(
        "SELECT email, first_name, last_name FROM jhe_user"
        " WHERE user_type = 'practitioner' AND password_hash IS NOT NULL ORDER BY id"
    ).fetchall()
    picks = "".join(
        f'<form method="post" action="/o/authorize/">{hidden}'
        f'<input type="hidden" name="email" value="{html.escape(p["email"])}">'
        f'<input type="hidden" name="password" value="{DEMO_PASSWORD}">'
        f'<button type="submit">{html.escape(p["first_name"])} {html.escape(p["last_name"])}'
        f' &lt;{html.escape(p["email"])}&gt;</button></form>'
        for p in people
    )
    problem = f'<p class="error">{html.escape(error)}</p>' if error else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Log in - JupyterHealth Exchange (demo)</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}label,input,button{{display:block;margin:.3em 0}}
.error{{color:#b00}}form+form{{margin-top:.2em}}</style></head>
<body><h1>JupyterHealth Exchange (demo)</h1>{problem}
<form method="post" action="/o/authorize/">{hidden}
<label>E-mail <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log In</button></form>
<h2>Demo practitioners</h2><p>Every demo password is <code>{DEMO_PASSWORD}</code>. Log in as:</p>{picks}
</body></html>"""
    return HTMLResponse(page)


@router.get("/o/authorize/")
def authorize(request: Request, conn: Conn) -> Response:
    params = dict(request.query_params)
    with db.transaction(conn):
        authorization = _authorization(conn, params)
        if isinstance(authorization, Response):
            return authorization
        user_id = _session_user(conn, request)
        if user_id is None:
            return _login_page(conn, params)
        return _grant(conn, authorization, user_id)


@router.post("/o/authorize/")
def log_in(conn: Conn, form: Form) -> Response:
    with db.transaction(conn):
        authorization = _authorization(conn, form)
        if isinstance(authorization, Response):
            return authorization
        user_id = tokens.check_password(conn, form.get("email", "").strip(), form.get("password", ""))
        if user_id is None:
            return _login_page(conn, form, "Wrong e-mail or password.")
        session = tokens.new_secret()
        conn.execute("INSERT INTO web_session VALUES (?, ?, ?)",
                     (tokens.digest(session), user_id, time.time() + SESSION_SECONDS))
        response = _grant(conn, authorization, user_id)
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_SECONDS, path="/o/", httponly=True, samesite="lax")
    return response


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _required(form: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not form.get(name)]
    if missing:
        raise oauth_error(400, "invalid_request", f"Missing {', '.join(missing)} parameter.")
    return [form[name] for name in names]


def _client_credentials(request: Request, conn: sqlite3.Connection, form: Mapping[str, str]) -> Response:
    """A practitioner API key (HTTP Basic, or form fields); the console applications may not use it."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id, secret = "", ""
    with db.transaction(conn):
        if conn.execute("SELECT 1 FROM oauth_application WHERE client_id = ?", (client_id,)).fetchone():
            raise oauth_error(400, "unauthorized_client")
        issued = practitioner_clients.issue_for_client(conn, client_id, secret)
    if issued is None:
        raise oauth_error(401, "invalid_client")
    return JSONResponse(issued, headers=NO_STORE)


@router.post("/o/token/")
def token(request: Request, conn: Conn, form: Form) -> Response:
    grant_type = form.get("grant_type")
    if grant_type == "client_credentials":
        return _client_credentials(request, conn, form)
    if grant_type not in ("authorization_code", "refresh_token"):
        raise oauth_error(400, "unsupported_grant_type")
    application = _application(conn, form.get("client_id"), status=401)
    if grant_type == "refresh_token":
        (refresh,) = _required(form, "refresh_token")
        with db.transaction(conn):
            issued = tokens.rotate(conn, refresh, application["id"])
    else:
        code, redirect_uri, verifier = _required(form, "code", "redirect_uri", "code_verifier")
        with db.transaction(conn):
            # The code is spent by any attempt, so a wrong verifier cannot be retried.
            grant = conn.execute("DELETE FROM oauth_grant WHERE code_hash = ? RETURNING *",
                                 (tokens.digest(code),)).fetchone()
            valid = (
                grant is not None
                and grant["application_id"] == application["id"]
                and grant["expires"] > time.time()
                and grant["redirect_uri"] == redirect_uri
                and _VERIFIER.fullmatch(verifier) is not None
                and secrets.compare_digest(_s256(verifier).encode(), grant["code_challenge"].encode())
            )
            issued = tokens.issue(conn, grant["user_id"], application["id"]) if valid else None
    if issued is None:
        raise oauth_error(400, "invalid_grant")
    return JSONResponse(issued, headers=NO_STORE)


@router.post("/o/revoke_token/")
def revoke(conn: Conn, form: Form) -> Response:
    """Always 200, known token or not (RFC 7009)."""
    if form.get("token"):
        with db.transaction(conn):
            tokens.revoke(conn, form["token"])
    return JSONResponse({})


@router.get("/o/userinfo/")
def userinfo(request: Request, conn: Conn) -> Response:
    caller = authenticate(request, conn)
    return JSONResponse({"sub": str(caller.id), "email": caller.email})
