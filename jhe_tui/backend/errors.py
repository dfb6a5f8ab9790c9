"""Every failure becomes a JSON answer in JHE's error style, never an HTML page.

Views raise ``ApiError`` with the body JHE would send (``{"detail": ...}``, a bare list of messages
for view-level refusals, or ``{field: [messages]}`` for validation), so the messages a client
shows are the ones the user guide promises. Unknown URLs, wrong methods and anything unexpected
are turned into JSON here too; the last resort is ``CatchAllMiddleware``, whose 500 the tests
prove unreachable.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .casing import CamelJSONResponse

log = logging.getLogger(__name__)

NOT_AUTHENTICATED = "Authentication credentials were not provided."
NO_PERMISSION = "You do not have permission to perform this action."
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


class ApiError(Exception):
    """An error answer. ``raw`` bodies (OAuth's ``error_description``...) keep their keys as given."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None, *, raw: bool = False) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers
        self.raw = raw


def detail(status: int, message: str) -> ApiError:
    return ApiError(status, {"detail": message})


def not_found(model: str) -> ApiError:
    return detail(404, f"No {model} matches the given query.")


def forbidden() -> ApiError:
    return detail(403, NO_PERMISSION)


def unauthenticated() -> ApiError:
    return ApiError(401, {"detail": NOT_AUTHENTICATED}, BEARER_CHALLENGE)


def refused(message: str) -> ApiError:
    """A view-level refusal, which DRF sends as a bare list of messages."""
    return ApiError(400, [message])


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, {field: [message]})


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    response_class = JSONResponse if exc.raw else CamelJSONResponse
    return response_class(exc.body, exc.status, headers=exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in DRF's words."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f'Method "{request.method}" not allowed.'
    elif exc.status_code == 404:
        message = "Not found."
    else:
        message = str(exc.detail)
    return JSONResponse({"detail": message}, exc.status_code, headers=exc.headers)


class CatchAllMiddleware:
    """Answer JSON 500 for an unexpected exception instead of letting the server send HTML.

    Only the exception's class and the request path are logged: exception messages can quote
    patient data.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the whole point
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if not started:
                await JSONResponse({"detail": "Internal server error."}, 500)(scope, receive, send)
