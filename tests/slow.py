"""A slow server for tests, without real time: between the client and the embedded backend, every
exchange takes a while on a fake clock, and a share of them time out after the server acted.

Each request is handed to the backend and answered whole; then the clock moves on by the
request's cost (``page_seconds`` for an observation page, ``other_seconds`` for anything else),
and, for a share of the requests decided by a hash of the seed, the request's bytes and how many
times those came before, the answer is dropped and the client gets ``httpx.ReadTimeout``, as when
its read timeout ends before a busy server answers. A write that "times out" so has taken effect:
the case the import's verify-then-retry rule exists for. Retried requests are judged afresh, so a
job that retries finishes; nothing depends on the time or the order in which tasks run.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import httpx

PAGES = ("/Observation", "/observations")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowServer(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FakeClock, *, timeout_share: float = 0.0,
                 page_timeout_share: float | None = None, seed: int = 0, page_seconds: float = 8.0,
                 other_seconds: float = 0.2) -> None:
        self.inner = inner
        self.clock = clock
        self.timeout_share = timeout_share  # of every request's answers ...
        self.page_timeout_share = timeout_share if page_timeout_share is None else page_timeout_share  # ... a page's
        self.seed = seed
        self.page_seconds = page_seconds
        self.other_seconds = other_seconds
        self.requests: Counter[str] = Counter()
        self.timed_out: Counter[str] = Counter()
        self._seen: Counter[bytes] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        page = request.method == "GET" and request.url.path.rstrip("/").endswith(PAGES)
        self.clock.now += self.page_seconds if page else self.other_seconds
        kind = f"{request.method} {'page' if page else 'other'}"
        self.requests[kind] += 1
        share = self.page_timeout_share if page else self.timeout_share
        if self._roll(request.method.encode() + bytes(request.url.raw_path) + body) < share:
            self.timed_out[kind] += 1
            raise httpx.ReadTimeout("the slow test server kept the answer", request=request)
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def _roll(self, key: bytes) -> float:
        digest = hashlib.sha256(key).digest()
        self._seen[digest] += 1
        mixed = hashlib.sha256(f"{self.seed}|{self._seen[digest]}|".encode() + digest).digest()
        return int.from_bytes(mixed[:8], "big") / 2**64
