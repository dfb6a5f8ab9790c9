"""The loopback redirect of a sign-in: a listener on ``127.0.0.1`` that receives the browser's
``/callback`` (RFC 8252), and the authorization-code sign-in that uses it."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit


from .http import AsyncClient
from .oauth import Endpoints, LoginFailed, PkceLogin, exchange_code, generate_token
from .tokens import TokenSet

_PAGE = (
    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
    "Cache-Control: no-store\r\n\r\n<!DOCTYPE html><html><body style=\"font-family:sans-serif\">"
    "<h1>{title}</h1><p>{text}</p></body></html>"
)


class LoopbackReceiver:
    """An HTTP listener on ``127.0.0.1:<free port>`` that waits for this sign-in's ``/callback``.

    Every local user can reach it, so a callback without this attempt's ``state`` gets a neutral
    page and is otherwise ignored: a guessed one cannot make the real sign-in fail, and its text
    never reaches the terminal.
    """

    def __init__(self, state: str, host: str = "127.0.0.1"):
        self.state = state
        self.host = host
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._result: asyncio.Future[str] | None = None

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host}:{self.port}/callback"

    async def __aenter__(self) -> LoopbackReceiver:
        self._result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            parts = line.split()
            target = parts[1] if len(parts) >= 2 else ""
            url = urlsplit(target)
            if url.path != "/callback":
                writer.write(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n")
                return
            query = parse_qs(url.query)
            state = (query.get("state") or [""])[0]
            if self._result is None or self._result.done() \
                    or not hmac.compare_digest(state.encode(), self.state.encode()):
                writer.write(_PAGE.format(status="400 Bad Request", title="Nothing to do here",
                                          text="This address is not part of a sign-in in progress.").encode())
                return
            ok = "code" in query
            title = "Signed in" if ok else "Sign-in failed"
            text = "You can close this tab and go back to the terminal." if ok else \
                "The server did not send a code; see the terminal."
            writer.write(_PAGE.format(status="200 OK", title=title, text=text).encode())
            self._result.set_result(target)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            try:
                await writer.drain()
                writer.close()
            except ConnectionError:
                pass

    async def wait(self, timeout: float) -> str:
        """The callback path with its query (``/callback?code=…&state=…``)."""
        assert self._result is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except TimeoutError:
            raise LoginFailed(
                f"No sign-in arrived within {int(timeout)} seconds; run `jhe-tui login` again "
                "(or use the paste-back sign-in if the browser cannot reach this machine)."
            ) from None


async def loopback_login(http: AsyncClient, endpoints: Endpoints, client_id: str,
                         open_url: Callable[[str], object], *, timeout: float = 300.0) -> TokenSet:
    """Authorization code + PKCE with a loopback redirect: ``open_url`` gets the authorize URL."""
    state = generate_token(32)
    async with LoopbackReceiver(state) as receiver:
        login = PkceLogin(endpoints, client_id, receiver.redirect_uri, "loopback", state=state)
        opened = open_url(login.authorize_url)
        if asyncio.iscoroutine(opened):
            await opened
        target = await receiver.wait(timeout)
    return await exchange_code(http, login, login.code_from(f"{receiver.redirect_uri}{target[len('/callback'):]}"))


def in_clear(url: str | None) -> bool:
    """Plain http:// to another machine: tokens and patient data cross the network unencrypted."""
    parts = urlsplit(url or "")
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
