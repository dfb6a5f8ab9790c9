"""The single place that names the HTTP library.

Everything else in ``jhe_tui.api`` (and the callers that build transports for tests or the demo)
imports these names from here, so moving to httpx2 means editing the import below and nothing else.
"""

import importlib.util
import logging
import sys

# httpx's package imports its command-line tool whenever click, pygments and rich are installed
# (they are: uvicorn and our progress bars bring them), about 40 ms of every `jhe-tui`
# command's start-up. We never run that tool; recorded as absent, the import fails at once and
# httpx defines its placeholder ``main`` instead.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402
from httpx._utils import get_environment_proxies  # noqa: E402

# httpcore runs `import sniffio` on every request to learn the async library, and falls back to
# asyncio when it is missing. Without sniffio installed each of those is a full, failing search of
# sys.path (tens of microseconds, many times per request); recording the absence once makes the
# same import fail at once, with the same result.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

AsyncBaseTransport = httpx.AsyncBaseTransport
AsyncClient = httpx.AsyncClient
AsyncHTTPTransport = httpx.AsyncHTTPTransport
ASGITransport = httpx.ASGITransport
Auth = httpx.Auth
ByteStream = httpx.ByteStream
MockTransport = httpx.MockTransport
Request = httpx.Request
Response = httpx.Response
create_ssl_context = httpx.create_ssl_context
# The proxy routing httpx derives from HTTP(S)_PROXY, ALL_PROXY and NO_PROXY; no public name has it.
environment_proxies = get_environment_proxies

# The exceptions our own transport raises, as httpx's transport would.
ConnectError = httpx.ConnectError
ConnectTimeout = httpx.ConnectTimeout
LocalProtocolError = httpx.LocalProtocolError
PoolTimeout = httpx.PoolTimeout
ReadError = httpx.ReadError
ReadTimeout = httpx.ReadTimeout
RemoteProtocolError = httpx.RemoteProtocolError
TimeoutException = httpx.TimeoutException
TransportError = httpx.TransportError
UnsupportedProtocol = httpx.UnsupportedProtocol
WriteError = httpx.WriteError
WriteTimeout = httpx.WriteTimeout

# httpx logs every request URL at INFO, query string included (e-mail look-ups, patient ids).
# Our own logger records method, path template and status instead, so the library's is quietened.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

__all__ = [
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncClient",
    "AsyncHTTPTransport",
    "Auth",
    "ByteStream",
    "ConnectError",
    "ConnectTimeout",
    "LocalProtocolError",
    "MockTransport",
    "PoolTimeout",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "Request",
    "Response",
    "TimeoutException",
    "TransportError",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
    "create_ssl_context",
    "environment_proxies",
]
