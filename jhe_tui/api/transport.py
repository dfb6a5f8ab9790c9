"""HTTP/1.1 keep-alive connections on asyncio and h11: the transport ``ApiSession`` uses by default.

httpx's own transport (httpcore's pool on anyio) spends ~0.7 ms of CPU per request on loopback,
mostly bookkeeping around the socket, and bulk imports send thousands of small requests. This one
does what jhe-tui's requests need and nothing more: a pool of keep-alive connections per origin,
TLS, the four timeouts, and the exceptions httpx's transport raises. Each response body is read in
full before the response is returned: nothing in jhe-tui streams one. Proxies stay with httpx
(``proxy_mounts``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import Mapping

import h11

from .http import (
    AsyncBaseTransport,
    AsyncHTTPTransport,
    ByteStream,
    ConnectError,
    ConnectTimeout,
    LocalProtocolError,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    Request,
    Response,
    UnsupportedProtocol,
    WriteError,
    WriteTimeout,
    create_ssl_context,
    environment_proxies,
)

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def tls_context(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext:
    """httpx's meaning of ``verify`` (certifi's roots by default, SSL_CERT_FILE honoured); a CA
    bundle path is read here because httpx deprecates passing one."""
    if isinstance(verify, str) and os.path.isdir(verify):
        context = ssl.create_default_context(capath=verify)
    elif isinstance(verify, str):
        context = ssl.create_default_context(cafile=verify)
    else:
        context = create_ssl_context(verify)
    context.set_alpn_protocols(["http/1.1"])
    return context


def proxy_mounts(verify: bool | str | ssl.SSLContext) -> dict[str, AsyncBaseTransport | None]:
    """``mounts`` for an AsyncClient given our transport. httpx reads HTTP(S)_PROXY, ALL_PROXY and
    NO_PROXY only when it builds its own transport, and clinics sit behind proxies: these mounts
    restore its routing, proxied origins through httpx's standard transport and that proxy, the rest
    (None, NO_PROXY's hosts included) through the client's transport."""
    return {
        pattern: None if url is None else AsyncHTTPTransport(verify=verify, proxy=url)
        for pattern, url in environment_proxies().items()
    }


class _Stale(Exception):
    """A reused connection turned out closed before any byte of the response: the server dropped
    it while idle, so the request never reached the application and may be sent again."""


class _Connection(asyncio.Protocol):
    """One socket and its h11 state. Received bytes wait here until read, so an idle connection
    shows whether the server has closed it or sent something unasked since its last response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport
        self.h11 = h11.Connection(h11.CLIENT)
        self.reused = False  # has answered before: the server may have dropped it while idle
        self._received = bytearray()
        self._ended = False
        self._error: Exception | None = None
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None  # while the kernel's send buffer is full

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._received += data
        self._wake()

    def eof_received(self) -> None:
        self._ended = True
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended = True
        self._error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def _wake(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)

    @property
    def idle_and_open(self) -> bool:
        """Nothing has come from the server since its last response, not even the end."""
        return not (self._ended or self._received or self.transport.is_closing())

    async def write(self, data: bytes, timeout: float | None) -> None:
        if self._ended or self.transport.is_closing():
            raise ConnectionResetError("The server closed the connection.")
        self.transport.write(data)
        if self._writable is not None:
            async with asyncio.timeout(timeout):
                await self._writable
            if self._ended:
                raise self._error or ConnectionResetError("The server closed the connection.")

    async def read(self, timeout: float | None) -> bytes:
        """The bytes received since the last read; b"" once the server has ended its side."""
        if not self._received and not self._ended:
            self._readable = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._readable
            finally:
                self._readable = None
        if self._received:
            data = bytes(self._received)
            self._received.clear()
            return data
        if self._error is not None:
            raise self._error
        return b""


class _Pool:
    """The connections to one origin: idle ones (the newest reused first) and a cap on all of them.
    A new connection is opened only when none is idle, so holding a slot per request in flight keeps
    open connections (in use plus idle) within the cap."""

    def __init__(self, size: int) -> None:
        self.slots = asyncio.Semaphore(size)
        self.idle: list[_Connection] = []


class AsyncioTransport(AsyncBaseTransport):
    """httpx's transport interface over the pools above; one instance per client, closed with it."""

    def __init__(self, *, verify: bool | str | ssl.SSLContext = True, max_connections_per_origin: int = 10):
        self._verify = verify
        self._tls: ssl.SSLContext | None = None  # made at the first https connection: loading the CA roots takes 15 ms
        self._size = max_connections_per_origin
        self._pools: dict[Origin, _Pool] = {}
        self._open: set[_Connection] = set()

    async def handle_async_request(self, request: Request) -> Response:
        url = request.url
        if url.scheme not in DEFAULT_PORTS:
            raise UnsupportedProtocol(f"Only http and https addresses can be used, not {url.scheme}.", request=request)
        origin = (url.scheme, url.raw_host.decode("ascii"), url.port or DEFAULT_PORTS[url.scheme])
        timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        pool = self._pools.get(origin) or self._pools.setdefault(origin, _Pool(self._size))
        try:
            async with asyncio.timeout(timeout.get("pool")):
                await pool.slots.acquire()
        except TimeoutError:
            raise PoolTimeout("No connection to the server became free in time.", request=request) from None
        try:
            conn = self._take_idle(pool)
            if conn is not None:
                try:
                    return await self._exchange(pool, conn, request, body, timeout)
                except _Stale:
                    pass
            conn = await self._connect(origin, timeout.get("connect"), request)
            return await self._exchange(pool, conn, request, body, timeout)
        finally:
            pool.slots.release()

    async def aclose(self) -> None:
        for conn in list(self._open):
            self._close(conn)
        self._pools.clear()

    def _take_idle(self, pool: _Pool) -> _Connection | None:
        while pool.idle:
            conn = pool.idle.pop()
            if conn.idle_and_open:
                return conn
            self._close(conn)
        return None

    def _close(self, conn: _Connection) -> None:
        conn.transport.abort()
        self._open.discard(conn)

    async def _connect(self, origin: Origin, timeout: float | None, request: Request) -> _Connection:
        scheme, host, port = origin
        tls = None
        try:
            if scheme == "https":
                tls = self._tls = self._tls or tls_context(self._verify)
            async with asyncio.timeout(timeout):
                _, conn = await asyncio.get_running_loop().create_connection(
                    _Connection, host, port, ssl=tls, server_hostname=host if tls else None
                )
        except TimeoutError:
            raise ConnectTimeout("Connecting to the server timed out.", request=request) from None
        except OSError as exc:  # refused, unknown host, unreachable, TLS handshake and certificate, CA file
            raise ConnectError(str(exc) or type(exc).__name__, request=request) from None
        # Most event loops set it already; a small request must never wait on Nagle's algorithm.
        conn.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._open.add(conn)
        return conn

    async def _exchange(
        self, pool: _Pool, conn: _Connection, request: Request, body: bytes, timeout: Mapping[str, float | None]
    ) -> Response:
        """One request and its whole response; then the connection is idle in the pool or closed.
        Any failure or cancellation closes it: it is never reused half-way through an exchange."""
        try:
            response = await self._send_and_receive(conn, request, body, timeout)
        except BaseException:
            self._close(conn)
            raise
        # Bytes after the response (h11 keeps what arrived with it) answer nothing we asked.
        h = conn.h11
        if h.our_state is h11.DONE and h.their_state is h11.DONE and not h.trailing_data[0]:
            h.start_next_cycle()
            conn.reused = True
            pool.idle.append(conn)
        else:  # Connection: close, HTTP/1.0, a close-delimited body, unasked bytes
            self._close(conn)
        return response

    async def _send_and_receive(
        self, conn: _Connection, request: Request, body: bytes, timeout: Mapping[str, float | None]
    ) -> Response:
        try:
            data = conn.h11.send(h11.Request(method=request.method, target=request.url.raw_path,
                                             headers=request.headers.raw))
            if body:
                data += conn.h11.send(h11.Data(data=body))
            data += conn.h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:
            raise LocalProtocolError(str(exc), request=request) from None
        try:
            await conn.write(data, timeout.get("write"))
        except TimeoutError:
            raise WriteTimeout("Sending the request timed out.", request=request) from None
        except OSError as exc:
            if conn.reused:
                raise _Stale from None
            raise WriteError(str(exc) or type(exc).__name__, request=request) from None

        head: h11.Response | None = None
        chunks: list[bytes] = []
        answered = False  # a response byte has arrived: from here on, never retried
        try:
            while True:
                event = conn.h11.next_event()
                if event is h11.NEED_DATA:
                    data = await conn.read(timeout.get("read"))
                    if not data and not answered and conn.reused:
                        raise _Stale
                    answered = True
                    conn.h11.receive_data(data)
                elif isinstance(event, h11.Response):
                    head = event
                elif isinstance(event, h11.Data):
                    chunks.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
        except TimeoutError:
            raise ReadTimeout("The server did not answer in time.", request=request) from None
        except OSError as exc:
            if not answered and conn.reused:
                raise _Stale from None
            raise ReadError(str(exc) or type(exc).__name__, request=request) from None
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(str(exc), request=request) from None
        assert head is not None  # h11 yields the response head before EndOfMessage
        return Response(
            head.status_code,
            headers=head.headers.raw_items(),
            stream=ByteStream(b"".join(chunks)),
            extensions={"http_version": b"HTTP/" + head.http_version, "reason_phrase": head.reason},
        )
