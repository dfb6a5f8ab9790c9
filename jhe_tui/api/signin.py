"""Signing in to one server profile: the four methods, shared by `jhe-tui login` and the console.

1. loopback: authorization code + PKCE, redirect to ``http://127.0.0.1:<free port>/callback``,
   when the profile has a client id registered for it;
2. paste-back: the same with the web console's public client (id read from its settings
   script); the user pastes the address they land on, or the code;
3. API key: a v0.0.13 practitioner API key, client-credentials grant;
4. token: an access token as is (``--token`` or ``JHE_TOKEN``).

Whatever the method, the result is a ``TokenSet`` stored for the profile (keyring or 0600 file).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from ssl import SSLContext

from jhe_tui.api import loopback, oauth
from jhe_tui.api.oauth import Endpoints, LoginFailed, PkceLogin
from jhe_tui.api.tokens import TokenSet, TokenStore


class SignIn:
    def __init__(self, url: str, profile: str, *, store: TokenStore, client_id: str | None = None,
                 verify: bool | str | SSLContext = True, transport: oauth.Transport | None = None,
                 timeout: float = 20.0):
        self.url = url.rstrip("/")
        self.profile = profile
        self.client_id = client_id
        self.store = store
        self._http_args = {"verify": verify, "transport": transport, "timeout": timeout}
        self._endpoints: Endpoints | None = None
        self.pending: PkceLogin | None = None

    def http(self):
        """A client for this server's sign-in requests (``oauth.http_client``)."""
        return oauth.http_client(**self._http_args)

    async def endpoints(self, http) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = await oauth.discover(http, self.url)
        return self._endpoints

    @property
    def method(self) -> str:
        return "loopback" if self.client_id else "paste-back"

    def _keep(self, tokens: TokenSet, endpoints: Endpoints | None) -> tuple[TokenSet, str]:
        if endpoints is not None:
            tokens = replace(tokens, token_endpoint=endpoints.token, revocation_endpoint=endpoints.revocation)
        return tokens, self.store.save(self.profile, tokens)

    # --- paste-back --------------------------------------------------------------------------

    async def start_paste_back(self) -> str:
        """A fresh attempt with the console's public client; returns the URL to open."""
        async with self.http() as http:
            endpoints = await self.endpoints(http)
            client_id = await oauth.console_client_id(http, self.url)
        self.pending = PkceLogin.for_console(endpoints, client_id)
        return self.pending.authorize_url

    async def finish_paste_back(self, pasted: str) -> tuple[TokenSet, str]:
        if self.pending is None:
            raise LoginFailed("There is no sign-in in progress; start one first.")
        login = self.pending
        code = login.code_from(pasted)
        async with self.http() as http:
            tokens = await oauth.exchange_code(http, login, code)
        self.pending = None
        return self._keep(tokens, login.endpoints)

    # --- loopback ----------------------------------------------------------------------------

    async def loopback(self, open_url: Callable[[str], object], *, timeout: float = 300.0) -> tuple[TokenSet, str]:
        if not self.client_id:
            raise LoginFailed("A loopback sign-in needs a client id registered for http://127.0.0.1/callback "
                              "(--client-id).")
        async with self.http() as http:
            endpoints = await self.endpoints(http)
            tokens = await loopback.loopback_login(http, endpoints, self.client_id, open_url, timeout=timeout)
        return self._keep(tokens, endpoints)

    # --- API key and plain token -------------------------------------------------------------

    async def api_key(self, key: str) -> tuple[TokenSet, str]:
        async with self.http() as http:
            endpoints = await self.endpoints(http)
            tokens = await oauth.client_credentials(http, endpoints, key)
        return self._keep(tokens, endpoints)

    async def token(self, token: str) -> tuple[TokenSet, str]:
        """An access token as given; checked against the API so a typo is caught now."""
        token = token.strip()
        if not token or any(c.isspace() for c in token):
            raise LoginFailed("That is not an access token (it is empty or contains spaces).")
        async with self.http() as http:
            await oauth.check_token(http, self.url, token)
        return self._keep(TokenSet(token, method="token"), None)

    # --- logout ------------------------------------------------------------------------------

    async def logout(self, tokens: TokenSet | None) -> bool | None:
        """Revoke at the server (best effort) and delete locally; None when nothing was stored."""
        if tokens is None:
            self.store.delete(self.profile)
            return None
        try:
            return await self.revoke(tokens)
        finally:
            self.store.delete(self.profile)

    async def revoke(self, tokens: TokenSet) -> bool:
        """Revoke at the server, best effort (the tokens a new sign-in replaced, or at logout);
        True when the server confirmed."""
        try:
            async with self.http() as http:
                if tokens.revocation_endpoint:
                    endpoints = Endpoints(self.url, "", tokens.token_endpoint or "", tokens.revocation_endpoint)
                else:
                    endpoints = await self.endpoints(http)
                return await oauth.revoke(http, endpoints, tokens)
        except LoginFailed:
            return False


    def apply(self, client, tokens: TokenSet) -> None:
        """Make ``client`` use new tokens, renewing (and storing) them from now on."""
        from jhe_tui.api.auth import RefreshingAuth

        if isinstance(client.auth, RefreshingAuth):
            client.auth.replace_tokens(tokens)
            return
        client.use_auth(RefreshingAuth(tokens, oauth.token_endpoint(self.url, tokens), on_update=lambda t: self.store.save(self.profile, t)))


def can_open_browser() -> bool:
    """A local graphical session: not over SSH, and on Linux only with a display."""
    if os.environ.get("JHE_TUI_NO_BROWSER") or os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def describe_expiry(tokens: TokenSet | None, now: float | None = None) -> str:
    if tokens is None or tokens.expires_at is None:
        return "unknown (the server did not say)"
    left = tokens.expires_at - (time.time() if now is None else now)
    when = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(tokens.expires_at))
    if left <= 0:
        renew = "; it will be renewed on the next request" if tokens.renewable else ""
        return f"expired at {when}{renew}"
    days, rest = divmod(int(left), 86400)
    hours, rest = divmod(rest, 3600)
    span = f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"
    renew = " (renewed automatically)" if tokens.renewable else ""
    return f"{when}, in {span}{renew}"
