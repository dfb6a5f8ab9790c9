"""What a patient's fields must be: one set of rules for the patient form, the importer and the
embedded backend, so that a row the importer lets through is one the Edit dialog can save.

The backend may not import the client, nor the client the backend (they meet only over HTTP), so
the rules live beside both, in plain Python importing nothing of the package. Each check answers
None or a clause that names the field ("phone needs at least 7 digits"): the importer lists the
clauses of a row, the form and the backend show them as a ``sentence`` under the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

LABELS = {"email": "e-mail", "family": "family name", "given": "given name", "birth_date": "date of birth",
          "phone": "phone", "external_id": "external id"}
REQUIRED = ("email", "family", "given", "birth_date")
MAX_TEXT = 255  # what the server's columns hold
EARLIEST_BIRTH_YEAR = 1900
MIN_PHONE_DIGITS = 7

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
_PHONE = re.compile(r"[0-9+\-(). ]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")

NOT_AN_EMAIL = "e-mail is not a valid address (name@example.org)"
DATE_FORM = "date of birth must be YYYY-MM-DD, e.g. 1980-01-31"
NOT_A_DATE = "date of birth is not a real date"
FUTURE = "date of birth is in the future"
TOO_EARLY = f"date of birth is before {EARLIEST_BIRTH_YEAR}, almost certainly a typo"
PHONE = f"phone needs at least {MIN_PHONE_DIGITS} digits; only + - ( ) . and spaces may go with them"


def sentence(clause: str) -> str:
    """A clause as shown on its own, under a field or in a server's answer."""
    return clause[:1].upper() + clause[1:] + "."


def email_problem(value: str) -> str | None:
    if not value:
        return missing("email")
    return None if EMAIL.fullmatch(value) else NOT_AN_EMAIL


def birth_date_problem(value: str, today: date | None = None) -> str | None:
    if not value:
        return missing("birth_date")
    if not _ISO_DATE.fullmatch(value):
        return DATE_FORM
    try:
        born = date.fromisoformat(value)
    except ValueError:
        return NOT_A_DATE
    if born > (today or date.today()):
        return FUTURE
    return TOO_EARLY if born.year < EARLIEST_BIRTH_YEAR else None


def phone_problem(value: str) -> str | None:
    """Blank is fine (the phone is optional); otherwise digits with the usual separators."""
    if value and not (_PHONE.fullmatch(value) and sum(c.isdigit() for c in value) >= MIN_PHONE_DIGITS):
        return PHONE
    return None


def missing(name: str) -> str:
    return f"{LABELS[name]} is missing"


def text_problem(name: str, value: str) -> str | None:
    """What every text field must be: no terminal control in it, not longer than the server keeps."""
    if _CONTROL.search(value):
        return f"{LABELS[name]} contains a control character; type it again without it"
    if len(value) > MAX_TEXT:
        return f"{LABELS[name]} is longer than {MAX_TEXT} characters"
    return None


def field_problem(name: str, value: str, *, today: date | None = None) -> str | None:
    """The one problem of one field (a blank required field is missing), or None."""
    problem = text_problem(name, value)
    if problem:
        return problem
    if name == "email":
        return email_problem(value)
    if name == "birth_date":
        return birth_date_problem(value, today)
    if name == "phone":
        return phone_problem(value)
    if name in REQUIRED and not value.strip():
        return missing(name)
    return None


def problems(values: Mapping[str, str], *, today: date | None = None,
             required: tuple[str, ...] = REQUIRED) -> dict[str, str]:
    """Every field's problem at once (fixing one at a time is slow over SSH). Fields not in
    ``values`` are not checked; a blank field that is not ``required`` is fine."""
    found: dict[str, str] = {}
    for name, value in values.items():
        if not value and name not in required:
            continue
        problem = field_problem(name, value, today=today)
        if problem:
            found[name] = problem
    return found


def external_id_taken(value: str, holder: object) -> str:
    """An external id the organization has already given to another patient."""
    return f"external id {value} is already used by patient {holder} of this organization"


def identifiers_problem(pairs: list[tuple[str | None, str]], *, several: bool) -> str | None:
    """A patient's external ids as (system, value) pairs: v0.0.13 keeps a list, v0.0.7 and the demo
    one string, where a second id would be dropped without a word."""
    if len(pairs) > 1 and not several:
        return "external id: this server keeps one per patient; enter only one"
    seen: set[tuple[str | None, str]] = set()
    for system, value in pairs:
        if not value:
            return f"external id {system}| has no value after the |"
        if (system, value) in seen:
            return f"external id {value} is entered twice"
        seen.add((system, value))
    return None
