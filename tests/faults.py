"""A loopback TCP proxy that loses answers on purpose, in front of a real server process.

It reads each HTTP/1.1 request from the client, forwards it to the server on a connection of its
own, reads the server's whole response, and only then decides what the client gets: the response,
the response late, or nothing at all (the connection is closed unanswered, after the server has
acted: the case a client must never answer by sending a write again). It can also close a client
connection once it has answered a given number of requests, while it is idle, as servers do with
keep-alive connections.

Every decision is deterministic: a hash of the seed, the request's bytes and how many times those
same bytes came before. It never depends on time or on the order in which connections are served,
so a rerun drops the same requests, and a retried read is judged afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

LIMIT = 1 << 20  # longest head the proxy reads at once


@dataclass(frozen=True)
class Faults:
    seed: int = 0
    drop_reused: float = 0.0  # share of answers dropped on a connection that has answered before
    close_after: int = 0  # close a connection once idle after this many answers (0: never)
    delay_share: float = 0.0  # share of answers sent late ...
    delay: float = 0.0  # ... by this many seconds


def path_template(target: bytes) -> str:
    path = urlsplit(target.decode("latin-1")).path
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


async def read_message(reader: asyncio.StreamReader, *, request_method: str | None = None) -> bytes | None:
    """One whole HTTP/1.1 message (head and body) as bytes; None when the peer closed first.

    ``request_method`` is given for responses: a HEAD request's answer has no body."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    first, *lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    if request_method is not None:
        status = int(first.split()[1])
        if request_method == "HEAD" or status in (204, 304) or status < 200:
            return head
    if headers.get(b"transfer-encoding") == b"chunked":
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            body += size_line
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    body += trailer
                body += b"\r\n"
                return head + bytes(body)
            body += await reader.readexactly(size + 2)
    if b"content-length" in headers:
        return head + await reader.readexactly(int(headers[b"content-length"]))
    if request_method is not None:  # a response delimited by the end of the connection
        return head + await reader.read()
    return head


def origin_form(request: bytes, target: bytes) -> bytes:
    """The request as a proxy passes it on to the server: a target in absolute form (what a client
    sends to a proxy, ``GET http://host/path``) becomes the path alone, as the server expects it."""
    if not target.startswith((b"http://", b"https://")):
        return request
    parts = urlsplit(target.decode("ascii"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return request.replace(target, path.encode("ascii"), 1)


class FaultProxy:
    """``async with FaultProxy(upstream_url, Faults(...)) as proxy:`` then talk to ``proxy.url``.

    Counters: ``requests`` (every request received, by ``METHOD /path/{id}``), ``dropped`` (answers
    withheld), ``delayed``, ``closed`` (idle connections closed), ``connections`` (accepted).
    """

    def __init__(self, upstream: str, faults: Faults = Faults()) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults = faults
        self.requests: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.delayed = 0
        self.closed = 0
        self.connections = 0
        self._seen: Counter[tuple[str, bytes]] = Counter()
        self._idle: set[asyncio.Task[None]] = set()  # handlers waiting for a connection's next request
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.url = ""

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=LIMIT)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._handlers.values():
            writer.close()  # each handler then sees the end of its connection and returns
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def close_idle(self) -> int:
        """Close every connection that has answered and waits for its next request, as a server
        does when its keep-alive timeout ends; returns once they are closed, and how many."""
        idle = list(self._idle)
        for task in idle:
            self._handlers[task].close()
        await asyncio.gather(*idle, return_exceptions=True)
        self.closed += len(idle)
        return len(idle)

    def _roll(self, kind: str, request: bytes) -> float:
        """A number in [0, 1) fixed by the seed, the request and its repetition count."""
        digest = hashlib.sha256(request).digest()
        self._seen[(kind, digest)] += 1
        mixed = hashlib.sha256(f"{self.faults.seed}|{kind}|{self._seen[(kind, digest)]}|".encode() + digest)
        return int.from_bytes(mixed.digest()[:8], "big") / 2**64

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = client_writer
        self.connections += 1
        answered = 0
        try:
            while True:
                if answered:
                    self._idle.add(task)
                request = await read_message(client_reader)
                self._idle.discard(task)
                if request is None:
                    return
                method, target = request.split(b" ", 2)[:2]
                key = f"{method.decode()} {path_template(target)}"
                self.requests[key] += 1
                response = await self._forward(origin_form(request, target), method.decode())
                if response is None:
                    return
                if answered and self._roll("drop", request) < self.faults.drop_reused:
                    self.dropped[key] += 1
                    return  # the server acted; the client hears nothing
                if self.faults.delay_share and self._roll("delay", request) < self.faults.delay_share:
                    self.delayed += 1
                    await asyncio.sleep(self.faults.delay)
                client_writer.write(response)
                await client_writer.drain()
                answered += 1
                if self.faults.close_after and answered >= self.faults.close_after:
                    self.closed += 1
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._idle.discard(task)
            client_writer.close()
            with contextlib.suppress(OSError):
                await client_writer.wait_closed()
            self._handlers.pop(task, None)

    async def _forward(self, request: bytes, method: str) -> bytes | None:
        """The server's whole answer, on a connection used for this request only (so the server's
        own keep-alive timing never shows through the proxy)."""
        reader, writer = await asyncio.open_connection(*self.upstream, limit=LIMIT)
        try:
            writer.write(request)
            await writer.drain()
            return await read_message(reader, request_method=method)
        finally:
            writer.close()
