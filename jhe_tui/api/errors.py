"""One exception family whose messages a practitioner can read.

JHE answers errors in many shapes (``{"detail": …}``, bare string lists, field-error dicts,
FHIR OperationOutcomes, OAuth ``{"error": …}``) and, on its many 500 paths, a Django debug page.
Callers only ever see one sentence: the server's own words when it gave some, otherwise what went
wrong and what we were doing. HTML never reaches a message, and neither do e-mail addresses.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from .http import TimeoutException, TransportError
from .text import visible

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_CONFLICT = re.compile(r"already (exists|a member|in use|enrolled)|data conflict", re.IGNORECASE)
_MAX_SERVER_TEXT = 300
_LINE_SPACE = re.compile(r"[ \t\r\n]+")  # other whitespace controls are shown, as ``visible`` does

# Wire names (camelCase or snake_case) of the inputs a practitioner edits, mapped to the names of
# our own models, so a form can put each server complaint under the right field.
_FIELD_NAMES = {
    "telecomEmail": "email",
    "telecom_email": "email",
    "nameFamily": "family",
    "name_family": "family",
    "nameGiven": "given",
    "name_given": "given",
    "birthDate": "birth_date",
    "telecomPhone": "phone",
    "telecom_phone": "phone",
    "identifier": "external_id",
    "identifiers": "external_id",
    "nonFieldErrors": "general",
    "non_field_errors": "general",
}


class JheError(Exception):
    """Base of every error the client raises; ``message`` is one readable sentence."""

    def __init__(self, message: str, status: int | None = None, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        # The server's own wording, when it gave one; lets callers recognise a specific answer.
        self.detail = detail
        # Seconds the server asked us to wait (``Retry-After``) before trying again, if it said.
        self.retry_after: float | None = None


class Unauthenticated(JheError):
    """No token, or the server no longer accepts it (HTTP 401)."""


class Forbidden(JheError):
    """The signed-in user may not do this (HTTP 403)."""


class NotFound(JheError):
    """The thing, or the endpoint itself, does not exist on this server (HTTP 404/410)."""


class InvalidInput(JheError):
    """The request was refused for its content (HTTP 400/422) or by a client-side guard rail."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        detail: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(message, status, detail=detail)
        self.field_errors: dict[str, list[str]] = field_errors or {}


class Conflict(JheError):
    """The thing already exists, or is already linked (HTTP 409 and JHE's "already…" 400s)."""


class ServerFailure(JheError):
    """The server broke (HTTP 5xx); nothing the user typed can fix it."""


class NetworkFailure(JheError):
    """The server could not be reached or did not answer in time."""


def our_field_name(wire_name: str) -> str:
    if wire_name in _FIELD_NAMES:
        return _FIELD_NAMES[wire_name]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", wire_name).lower()


def _clean(text: str) -> str:
    """Server text made safe to show: one line, no e-mail addresses, no angle brackets, and no
    terminal controls (``visible``: shown as marks).

    JHE's own messages use ``<study_id>``-style placeholders; guillemets keep them readable while
    guaranteeing nothing that looks like markup reaches a screen or a log.
    """
    text = _EMAIL.sub("‹e-mail›", visible(_LINE_SPACE.sub(" ", text).strip(" ")))
    text = text.replace("<", "‹").replace(">", "›")
    if len(text) > _MAX_SERVER_TEXT:
        text = text[: _MAX_SERVER_TEXT - 1].rstrip() + "…"
    return text


def _as_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _parse_json(content_type: str, body: str) -> Any:
    """The body as JSON, or None when it is HTML, empty or not JSON at all."""
    stripped = body.lstrip()
    if "html" in content_type.lower() or not stripped or stripped.startswith("<"):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def describe(data: Any) -> tuple[str | None, dict[str, list[str]]]:
    """The readable text of a JSON error body, and its field errors keyed by our field names."""
    if isinstance(data, list):
        texts = _as_strings(data)
        return (_clean(" ".join(texts)) if texts else None), {}
    if not isinstance(data, dict):
        return None, {}
    if data.get("resourceType") == "OperationOutcome":
        issues = data.get("issue") if isinstance(data.get("issue"), list) else []
        texts = [i.get("diagnostics") for i in issues if isinstance(i, dict)]
        texts = [t for t in texts if isinstance(t, str)]
        return (_clean(" ".join(texts)) if texts else None), {}
    for key in ("detail", "error"):
        if isinstance(data.get(key), str):
            text = data[key]
            if isinstance(data.get("error_description"), str):
                text = f"{text}: {data['error_description']}"
            return _clean(text), {}
    field_errors: dict[str, list[str]] = {}
    for key, value in data.items():
        texts = _as_strings(value)
        if texts:
            field_errors.setdefault(our_field_name(visible(key)), []).extend(_clean(t) for t in texts)
    if not field_errors:
        return None, {}
    return field_text(field_errors), field_errors


def field_text(field_errors: dict[str, list[str]]) -> str:
    """Field errors as one line: ``birth date: Enter a valid date.; email: Required.``"""
    return "; ".join(f"{name.replace('_', ' ')}: {' '.join(msgs)}" for name, msgs in field_errors.items())


def _capitalised(doing: str) -> str:
    return doing[:1].upper() + doing[1:]


_NO_TEXT = {
    401: "you are not signed in, or your session has expired",
    403: "you do not have permission to do this",
    404: "the server does not offer this (HTTP 404); it may run a different JHE version",
    405: "the server does not allow this operation (HTTP 405)",
    429: "the server is busy (HTTP 429); try again shortly",
}


def redirect_note(status: int, location: str | None) -> str | None:
    """"the server redirects to …" for a redirect, which jhe-tui never follows (the token would go
    along); the address without its query and fragment (a code or a token may ride there), cleaned."""
    if status not in (301, 302, 303, 307, 308) or not location:
        return None
    parts = urlsplit(location.strip())
    where = _clean(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))
    return f"the server redirects to {where} (HTTP {status}); if it has moved, use its new address"


def error_from_response(status: int, content_type: str, body: str, doing: str,
                        location: str | None = None) -> JheError:
    """Map one error response to the exception family; ``doing`` is a gerund phrase and
    ``location`` the answer's Location header."""
    text, field_errors = describe(_parse_json(content_type, body))
    if status >= 500:
        message = f"The server failed (HTTP {status}) while {doing}"
        return ServerFailure(f"{message}: {text}" if text else f"{message}.", status, detail=text)
    reason = redirect_note(status, location) or text or _NO_TEXT.get(
        status, f"the server refused the request (HTTP {status})")
    message = f"{_capitalised(doing)} failed: {reason}"
    if not message.endswith((".", "…")):
        message += "."
    if status == 409 or (status == 400 and text and _CONFLICT.search(text)):
        return Conflict(message, status, detail=text)
    if status in (400, 422):
        return InvalidInput(message, status, detail=text, field_errors=field_errors)
    kind = {401: Unauthenticated, 403: Forbidden, 404: NotFound, 410: NotFound}.get(status, JheError)
    return kind(message, status, detail=text)


def network_failure(exc: TransportError, doing: str) -> NetworkFailure:
    """A transport error as a sentence; the URL is left out because it may carry a query string."""
    if isinstance(exc, TimeoutException):
        return NetworkFailure(f"The server did not answer in time while {doing}.")
    return NetworkFailure(f"Could not reach the server while {doing} ({type(exc).__name__}).")


def invalid_input_from_validation(exc: ValidationError, what: str) -> InvalidInput:
    """A pydantic validation failure of user input as an InvalidInput with per-field messages."""
    field_errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = str(error["loc"][0]) if error["loc"] else "general"
        field_errors.setdefault(our_field_name(name), []).append(error["msg"])
    return InvalidInput(f"The {what} is not valid: {field_text(field_errors)}.", field_errors=field_errors)
