"""Signing in to JHE from a terminal (contract sections 5.1 to 5.3), with authlib's OAuth 2 pieces.

* ``discover``: ``/o/.well-known/openid-configuration``; a server without it is "not JHE".
* ``console_client_id``: the web console's public client id from its settings script
  (``/common/server-settings.js`` at v0.0.13, ``/portal/settings.js`` at v0.0.7).
* ``PkceLogin``: authorization code + PKCE (S256), for a loopback redirect or for the console's
  ``/auth/callback`` with the user pasting the address they land on (or just the code).
* ``exchange_code``, ``refresh``, ``client_credentials`` (practitioner API keys), ``revoke``;
  ``check_token`` for an access token given as is; the loopback redirect is in ``loopback``.
* ``http_client``: the HTTP client all of these take, so callers never build one themselves.

The token endpoint is always called with its trailing slash: JHE answers 500 without it.
Every failure is a ``LoginFailed`` with one sentence that says what to do next.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import JheError, _capitalised, redirect_note
from .http import AsyncBaseTransport, AsyncClient, Response, TimeoutException, TransportError, tls_verify
from .session import path_template
from .text import visible
from .tokens import TokenSet

DISCOVERY_PATH = "/o/.well-known/openid-configuration"
TOKEN_PATH = "/o/token/"  # where a server without discovery data renews tokens
PROFILE_PATH = "/api/v1/users/profile"
SETTINGS_SCRIPTS = ("/common/server-settings.js", "/portal/settings.js")
CODE_LIFETIME_SECONDS = 60
_CLIENT_ID = re.compile(r"""client_id["']?\s*:\s*["']([^"']+)["']""")

logger = logging.getLogger("jhe_tui.api")
Transport = AsyncBaseTransport  # what the demo (ASGI) or a test puts in place of the network


class LoginFailed(JheError):
    """Signing in did not work; ``message`` says why and how to go on."""


@dataclass(frozen=True)
class Endpoints:
    base_url: str
    authorization: str
    token: str
    revocation: str
    userinfo: str | None = None


async def _log(response: Response) -> None:
    logger.info("%s %s %s", response.request.method, path_template(response.request.url.path), response.status_code)


def http_client(*, verify: bool | str | ssl.SSLContext = True, transport: Transport | None = None,
                timeout: float = 20.0) -> AsyncClient:
    """The client for one sign-in's requests (use it with ``async with``). Redirects are not
    followed but said (``_call``); each exchange goes to the request log as the API's do: method,
    path template and status, nothing else."""
    return AsyncClient(follow_redirects=False, event_hooks={"response": [_log]}, verify=tls_verify(verify),
                       transport=transport, timeout=timeout)


def token_endpoint(base_url: str, tokens: TokenSet) -> str:
    """Where ``tokens`` are renewed: the endpoint that issued them, else the server's usual one."""
    return tokens.token_endpoint or base_url.rstrip("/") + TOKEN_PATH


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


async def _call(http: AsyncClient, method: str, url: str, doing: str, **kwargs: Any) -> Response:
    try:
        response = await http.request(method, url, **kwargs)
    except TimeoutException:
        raise LoginFailed(f"The server did not answer in time while {doing}; check the address and your network.") from None
    except TransportError as exc:
        host = urlsplit(url).netloc
        if "SSL" in type(exc).__name__ or "CERTIFICATE" in str(exc).upper():
            raise LoginFailed(
                f"The TLS certificate of {host} could not be verified while {doing}; set ca_bundle in the "
                "profile (or --ca-bundle) to your organization's CA file."
            ) from None
        raise LoginFailed(f"Could not reach {host} while {doing} ({type(exc).__name__}); check the address.") from None
    moved = redirect_note(response.status_code, response.headers.get("location"))
    if moved:
        raise LoginFailed(f"{_capitalised(doing)} failed: {moved}.")
    return response


async def discover(http: AsyncClient, base_url: str) -> Endpoints:
    base_url = base_url.rstrip("/")
    response = await _call(http, "GET", base_url + DISCOVERY_PATH, "looking for the server's sign-in settings")
    try:
        data = response.json() if response.status_code == 200 else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("token_endpoint"), str) \
            or not isinstance(data.get("authorization_endpoint"), str):
        raise LoginFailed(
            f"{base_url} does not look like a JupyterHealth Exchange: it has no OpenID configuration at "
            f"{DISCOVERY_PATH} (HTTP {response.status_code}); check the address (the base URL, without /portal)."
        )
    origin = base_url
    return Endpoints(
        base_url=origin,
        authorization=data["authorization_endpoint"],
        token=_slash(data["token_endpoint"]),
        revocation=_slash(data.get("revocation_endpoint") or f"{origin}/o/revoke_token/"),
        userinfo=data.get("userinfo_endpoint"),
    )


async def console_client_id(http: AsyncClient, base_url: str) -> str:
    """The web console's public client id, published in its settings script."""
    base_url = base_url.rstrip("/")
    for script in SETTINGS_SCRIPTS:
        response = await _call(http, "GET", base_url + script, "reading the web console's settings")
        if response.status_code == 200:
            match = _CLIENT_ID.search(response.text)
            if match:
                return match.group(1)
    raise LoginFailed(
        f"{base_url} publishes no web console client id (neither {' nor '.join(SETTINGS_SCRIPTS)}); ask the "
        "administrator for a client id registered for http://127.0.0.1/callback and use --client-id."
    )


def generate_token(length: int) -> str:
    """A random secret (state, PKCE verifier). authlib is imported by the first sign-in, not by
    every start: a console holding a token never needs it."""
    from authlib.common.security import generate_token as random_token

    return random_token(length)


@dataclass
class PkceLogin:
    """One authorization-code attempt: its own state and verifier, never reused."""

    endpoints: Endpoints
    client_id: str
    redirect_uri: str
    method: str  # "loopback" or "paste-back"
    state: str = field(default="", repr=False)
    verifier: str = field(default="", repr=False)
    started: float = 0.0

    def __post_init__(self) -> None:
        self.state = self.state or generate_token(32)
        self.verifier = self.verifier or generate_token(64)
        self.started = self.started or time.time()

    @classmethod
    def for_console(cls, endpoints: Endpoints, client_id: str) -> PkceLogin:
        """Paste-back with the console's public client: its one allowed redirect is /auth/callback."""
        return cls(endpoints, client_id, f"{endpoints.base_url}/auth/callback", "paste-back")

    @property
    def authorize_url(self) -> str:
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        return prepare_grant_uri(
            self.endpoints.authorization,
            client_id=self.client_id,
            response_type="code",
            redirect_uri=self.redirect_uri,
            scope="openid",
            state=self.state,
            code_challenge=create_s256_code_challenge(self.verifier),
            code_challenge_method="S256",
        )

    def code_from(self, pasted: str) -> str:
        """The code in what the user pasted: the full address they landed on, its query, or the code."""
        text = pasted.strip().strip("'\"<>")
        if not text:
            raise LoginFailed("Nothing was pasted; paste the address the browser shows after you sign in.")
        if "?" in text or "code=" in text or text.startswith(("http://", "https://")):
            query = parse_qs(urlsplit(text).query if "?" in text else text)
            if "error" in query:
                detail = visible((query.get("error_description") or query["error"])[0])
                raise LoginFailed(f"The server refused the sign-in: {detail}. Run `jhe-tui login` again.")
            state = (query.get("state") or [None])[0]
            code = (query.get("code") or [None])[0]
            if not code:
                raise LoginFailed("The pasted address has no code in it; paste the whole address the browser shows "
                                  "after signing in (it contains ?code=).")
            if state != self.state:
                raise LoginFailed(
                    "The pasted address belongs to another sign-in attempt (its state does not match); "
                    "paste the address from this attempt, or start again."
                )
            return code
        if not re.fullmatch(r"[A-Za-z0-9._~-]{10,}", text):
            raise LoginFailed("That does not look like a sign-in code or address; paste the address the browser shows.")
        return text


def token_answer(response: Response) -> dict[str, Any] | None:
    """The token endpoint's JSON when it granted a token (200 with an access_token), else None."""
    if response.status_code != 200:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("access_token"), str) else None


def _oauth_problem(response: Response) -> tuple[str, str]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return visible(data["error"]), visible(str(data.get("error_description") or ""))
    return "", ""


async def _token_request(http: AsyncClient, endpoints: Endpoints, form: dict[str, str], doing: str,
                         auth: tuple[str, str] | None = None) -> dict[str, Any]:
    response = await _call(http, "POST", endpoints.token, doing, data=form, auth=auth,
                           headers={"Accept": "application/json"})
    if response.status_code == 200:
        data = token_answer(response)
        if data is not None:
            return data
        raise LoginFailed(f"The server's token answer could not be read while {doing}; is this a JHE server?")
    error, description = _oauth_problem(response)
    if response.status_code >= 500:
        raise LoginFailed(f"The server failed (HTTP {response.status_code}) while {doing}; try again later.")
    raise _TokenRefused(error or f"HTTP {response.status_code}", description)


class _TokenRefused(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(error)
        self.error, self.description = error, description


async def exchange_code(http: AsyncClient, login: PkceLogin, code: str) -> TokenSet:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": login.redirect_uri,
        "client_id": login.client_id,
        "code_verifier": login.verifier,
    }
    try:
        data = await _token_request(http, login.endpoints, form, "exchanging the sign-in code")
    except _TokenRefused as refused:
        if refused.error == "invalid_grant":
            raise LoginFailed(
                f"The server refused the code: it has expired (JHE codes last {CODE_LIFETIME_SECONDS} seconds) or "
                "was already used; sign in again and paste the address right away."
            ) from None
        if refused.error == "invalid_client":
            raise LoginFailed(f"The server does not know the client id {login.client_id!r}; check --client-id.") from None
        raise LoginFailed(f"The server refused the code ({refused.error}); sign in again.") from None
    return TokenSet.from_response(data, client_id=login.client_id, method=login.method)


async def refresh(http: AsyncClient, endpoints: Endpoints, tokens: TokenSet) -> TokenSet:
    """New tokens for old: the refresh token rotates (the old one is then dead), or the API key is reused."""
    if tokens.api_key:
        return await client_credentials(http, endpoints, tokens.api_key)
    if not tokens.refresh_token or not tokens.client_id:
        raise LoginFailed("The session has expired and cannot be renewed; sign in again with `jhe-tui login`.")
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": tokens.client_id}
    try:
        data = await _token_request(http, endpoints, form, "renewing the session")
    except _TokenRefused:
        raise LoginFailed(
            "The server no longer accepts the stored session (it was revoked, or renewed elsewhere); "
            "sign in again with `jhe-tui login`."
        ) from None
    return tokens.rotated(data)


async def check_token(http: AsyncClient, base_url: str, token: str) -> None:
    """An access token given as is, tried on the API so a typo is caught at sign-in."""
    base_url = base_url.rstrip("/")
    response = await _call(http, "GET", base_url + PROFILE_PATH, "checking the token",
                           headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    if response.status_code in (401, 403):
        raise LoginFailed("The server does not accept this token (expired, revoked or mistyped); get a new one.")
    if response.status_code != 200:
        raise LoginFailed(f"The token could not be checked (HTTP {response.status_code}); is {base_url} a JHE server?")


def split_api_key(key: str) -> tuple[str, str]:
    """A v0.0.13 practitioner API key is base64(``client_id:client_secret``)."""
    try:
        decoded = base64.b64decode(key.strip() + "=" * (-len(key.strip()) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id or not secret:
        raise LoginFailed("That is not a practitioner API key (it should be the base64 text JHE shows for the key).")
    return client_id, secret


async def client_credentials(http: AsyncClient, endpoints: Endpoints, api_key: str) -> TokenSet:
    client_id, secret = split_api_key(api_key)
    form = {"grant_type": "client_credentials", "scope": "openid"}
    try:
        data = await _token_request(http, endpoints, form, "signing in with the API key", auth=(client_id, secret))
    except _TokenRefused as refused:
        if refused.error in ("invalid_client", "unauthorized_client"):
            raise LoginFailed(
                "The server refused the API key (unknown, deleted, or this server has no practitioner API keys: "
                "they need JHE v0.0.13); sign in with the browser instead."
            ) from None
        raise LoginFailed(f"The server refused the API key ({refused.error}).") from None
    return TokenSet.from_response(data, client_id=client_id, method="api-key", api_key=api_key)


async def revoke(http: AsyncClient, endpoints: Endpoints, tokens: TokenSet) -> bool:
    """Revoke the refresh token (which retires its access token) and the access token; True when
    the server confirmed. Failures are not raised: logout still forgets the token locally."""
    confirmed = True
    for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")):
        if not token:
            continue
        form = {"token": token, "token_type_hint": hint}
        if tokens.client_id:
            form["client_id"] = tokens.client_id
        try:
            response = await http.post(endpoints.revocation, data=form)
        except TransportError:
            return False
        confirmed = confirmed and response.status_code == 200
    return confirmed
