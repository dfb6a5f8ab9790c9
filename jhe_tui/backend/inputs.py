"""Reading and checking what a client sends: JSON bodies, fields, query parameters.

Validation answers the way DRF does: every bad field at once, as ``{field: [message]}``, with
DRF's own messages, so a client can show them next to its form fields. Checks are plain
functions that return the clean value or raise ``ValueError(message)``.

No text of a body may hold a control character (C0 but tab, DEL, C1): an ESC stored in a name
would reach every terminal that shows it, and real JHE on PostgreSQL answers an HTML 500 to a
NUL. The client's importer and patient form apply the same rule (``jhe_tui.api.text``, which the
backend does not import: the two meet only over HTTP).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from jhe_tui import patient_rules

from .casing import underscoreize
from .errors import ApiError, detail, invalid

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ID = 2**63 - 1
MAX_LIST = 1000  # ids per request; also keeps every query under SQLite's bound-parameter limit
MISSING: Any = object()
REQUIRED = "This field is required."
DATE_FORMAT = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
CONTROL_CHARACTERS = "This field may not contain control characters."
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


async def json_body(request: Request) -> Any:
    """The request's JSON with snake_case keys; an empty body reads as ``{}``."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise detail(413, "Request body is too large.")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
        # A lone surrogate escape ("\\ud800") decodes, but could never be stored or sent back.
        json.dumps(data, ensure_ascii=False).encode()
        data = underscoreize(data)
    except RecursionError:
        raise detail(400, "JSON parse error - the document is nested too deeply") from None
    except ValueError as exc:
        raise detail(400, f"JSON parse error - {exc}") from None
    _refuse_controls(data)
    return data


def _has_control(value: Any) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, list):
        return any(_has_control(item) for item in value)
    if isinstance(value, dict):
        return any(_has_control(key) or _has_control(item) for key, item in value.items())
    return False


def _refuse_controls(data: Any) -> None:
    """400 naming each top-level field whose text (nested too) holds a control character."""
    if not _has_control(data):
        return
    if not isinstance(data, dict):
        raise ApiError(400, {"non_field_errors": [CONTROL_CHARACTERS]})
    errors = {key: [CONTROL_CHARACTERS] for key, value in data.items()
              if _has_control(value) and not _has_control(key)}
    if any(_has_control(key) for key in data):
        errors["non_field_errors"] = ["A field name may not contain control characters."]
    raise ApiError(400, errors)


async def json_object(request: Request) -> dict[str, Any]:
    data = await json_body(request)
    if not isinstance(data, dict):
        raise ApiError(400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {_type(data)}."]})
    return data


def _type(value: Any) -> str:
    return {dict: "dict", list: "list", str: "str", bool: "bool", int: "int", float: "float"}.get(
        type(value), "null")


# Field checks -------------------------------------------------------------------------------

def integer(value: Any) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,19}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise ValueError("A valid integer is required.")
    return value


def text(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError("Not a valid string.")
    value = str(value)
    if len(value) > 255:
        raise ValueError("Ensure this field has no more than 255 characters.")
    return value


def required_text(value: Any) -> str:
    value = text(value)
    if not value.strip():
        raise ValueError("This field may not be blank.")
    return value


def email(value: Any) -> str:
    value = text(value).strip()
    if patient_rules.email_problem(value):
        raise ValueError("Enter a valid email address.")
    return value


def birth_date(value: Any) -> str:
    """The patient rules, in JHE's words where JHE has some (the form, the future)."""
    problem = patient_rules.birth_date_problem(value) if isinstance(value, str) else patient_rules.DATE_FORM
    if problem in (patient_rules.DATE_FORM, patient_rules.NOT_A_DATE, patient_rules.missing("birth_date")):
        raise ValueError(DATE_FORMAT)
    if problem == patient_rules.FUTURE:
        raise ValueError("Birth date cannot be in the future.")
    if problem:
        raise ValueError(patient_rules.sentence(problem))
    return value


def phone(value: Any) -> str:
    value = text(value)
    problem = patient_rules.phone_problem(value)
    if problem:
        raise ValueError(patient_rules.sentence(problem))
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("Must be a valid boolean.")
    return value


def id_list(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise ValueError(f'Expected a list of items but got type "{_type(value)}".')
    if not value:
        raise ValueError("This list may not be empty.")
    if len(value) > MAX_LIST:
        raise ValueError(f"Ensure this field has no more than {MAX_LIST} elements.")
    return [integer(item) for item in value]


def nullable(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f'"{value}" is not a valid choice.')
        return value

    return check


class Fields:
    """Collects the clean fields of one body, and every error, before anything is written."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def take(self, name: str, check: Callable[[Any], Any], *, required: bool = False, default: Any = MISSING) -> Any:
        """The checked value, or ``default`` when absent and not required."""
        if name not in self.data:
            if required:
                self.errors[name] = [REQUIRED]
            return default
        try:
            return check(self.data[name])
        except ValueError as exc:
            self.errors[name] = [str(exc)]
            return MISSING

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, self.errors)


# Query parameters ---------------------------------------------------------------------------

def query_int(request: Request, name: str) -> int | None:
    """An integer query parameter; absent or empty means None."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return integer(raw)
    except ValueError as exc:
        raise invalid(name, str(exc)) from None


def query_flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() == "true"
