"""The single place that names the HTTP library.

Everything else in ``jhe_tui.api`` (and the callers that build transports for tests or the demo)
imports these names from here, so moving to httpx2 means editing the import below and nothing else.
"""

import logging
import os
import ssl

import httpx

AsyncBaseTransport = httpx.AsyncBaseTransport
AsyncClient = httpx.AsyncClient
ASGITransport = httpx.ASGITransport
Auth = httpx.Auth
Limits = httpx.Limits
MockTransport = httpx.MockTransport
Request = httpx.Request
Response = httpx.Response
Timeout = httpx.Timeout
TimeoutException = httpx.TimeoutException
TransportError = httpx.TransportError


def tls_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx's ``verify`` for a CA bundle given as a path (a file or a directory of them), which
    httpx deprecates passing as a string; True and False pass unchanged (True honours
    SSL_CERT_FILE and SSL_CERT_DIR)."""
    if not isinstance(verify, str):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


# httpx logs every request URL at INFO, query string included (e-mail look-ups, patient ids).
# Our own logger records method, path template and status instead, so the library's is quietened.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

__all__ = [
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncClient",
    "Auth",
    "Limits",
    "MockTransport",
    "Request",
    "Response",
    "Timeout",
    "TimeoutException",
    "TransportError",
    "tls_verify",
]
