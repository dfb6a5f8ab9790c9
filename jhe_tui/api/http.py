"""The single place that names the HTTP library.

Everything else in ``jhe_tui.api`` (and the callers that build transports for tests or the demo)
imports these names from here, so moving to httpx2 means editing the import below and nothing else.
"""

import importlib.util
import logging
import sys

import httpx

# httpcore runs `import sniffio` on every request to learn the async library, and falls back to
# asyncio when it is missing. Without sniffio installed each of those is a full, failing search of
# sys.path (tens of microseconds, many times per request); recording the absence once makes the
# same import fail at once, with the same result.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

AsyncBaseTransport = httpx.AsyncBaseTransport
AsyncClient = httpx.AsyncClient
ASGITransport = httpx.ASGITransport
Auth = httpx.Auth
MockTransport = httpx.MockTransport
Request = httpx.Request
Response = httpx.Response
TimeoutException = httpx.TimeoutException
TransportError = httpx.TransportError

# httpx logs every request URL at INFO, query string included (e-mail look-ups, patient ids).
# Our own logger records method, path template and status instead, so the library's is quietened.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

__all__ = [
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncClient",
    "Auth",
    "MockTransport",
    "Request",
    "Response",
    "TimeoutException",
    "TransportError",
]
