"""Privacy mode: the one place that decides how a patient's identifying fields are shown.

Every screen that shows a patient's name, e-mail, birth date, phone number or external id (an
MRN: a direct identifier) passes the value
through here, marked with its kind, and gets it back masked while privacy mode is on (for screen
sharing and training). Nothing here imports Textual; ``is_on(node)`` reads the app's flag.

Usage in a screen or widget::

    from jhe_tui import privacy
    from jhe_tui.privacy import Sensitive

    # table cells: wrap the value; PagedTable (and anything else using privacy.shown) masks it
    cells = (str(p.id), Sensitive(p.name_family, "name"), Sensitive(p.telecom_email, "email"))
    # free text: privacy.shown(value, on) or the shortcuts
    title = f"Patient {p.id} · {privacy.name(p.display_name, privacy.is_on(self))}"

and re-render when ``app.privacy`` changes (``self.watch(self.app, "privacy", callback)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Kind = Literal["name", "email", "birth_date", "phone", "identifier"]
KINDS: tuple[Kind, ...] = ("name", "email", "birth_date", "phone", "identifier")
DOT = "•"


@dataclass(frozen=True)
class Sensitive:
    """A value that privacy mode masks; ``str()`` gives the plain value. ``suffix`` is shown
    as it is either way, e.g. the patient id after a name: ``Lovelace, Ada (40013)``."""

    value: str
    kind: Kind
    suffix: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")

    def __str__(self) -> str:
        return self.value + self.suffix

    def shown(self, masked: bool) -> str:
        return (mask(self.value, self.kind) if masked else self.value) + self.suffix


def _mask_name(value: str) -> str:
    """Initials: ``Ada Lovelace-Byron`` -> ``A••• L•••``."""
    words = re.findall(r"\w+", value)
    return " ".join(f"{w[0]}{DOT * 3}" for w in words) if words else ""


def _mask_email(value: str) -> str:
    """``ada.lovelace@example.org`` -> ``a•••@•••.org``."""
    local, at, domain = value.partition("@")
    if not at:
        return _mask_name(value)
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}{DOT * 3}@{DOT * 3}{'.' + tld if tld else ''}"


def _mask_phone(value: str) -> str:
    """Only the last two digits: ``+1 555 0100 42`` -> ``•••••42``."""
    return _last_two(re.sub(r"\D", "", value))


def _last_two(value: str) -> str:
    """An external id (an MRN) like a phone: ``MRN-0012345`` -> ``•••••45``, enough to tell two
    records apart on a shared screen, not enough to find the patient elsewhere."""
    return f"{DOT * 5}{value[-2:]}" if len(value) > 4 else DOT * 5


def mask(value: Any, kind: Kind) -> str:
    """The masked form of one value; empty stays empty (so "not recorded" still reads)."""
    if value is None or value == "":
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    if kind == "name":
        return _mask_name(text)
    if kind == "email":
        return _mask_email(text)
    if kind == "birth_date":
        return f"{DOT * 4}-{DOT * 2}-{DOT * 2}"
    if kind == "phone":
        return _mask_phone(text)
    if kind == "identifier":
        return ", ".join(_last_two(part.strip()) for part in text.split(","))
    raise ValueError(f"unknown kind {kind!r}")


def shown(value: Any, masked: bool) -> str:
    """What to display: a ``Sensitive`` masked when ``masked``; anything else as text."""
    if isinstance(value, Sensitive):
        return value.shown(masked)
    return "" if value is None else str(value)


def name(value: Any, masked: bool) -> str:
    return mask(value, "name") if masked else ("" if value is None else str(value))


def email(value: Any, masked: bool) -> str:
    return mask(value, "email") if masked else ("" if value is None else str(value))


def birth_date(value: Any, masked: bool) -> str:
    if masked:
        return mask(value, "birth_date")
    return value.isoformat() if isinstance(value, date) else ("" if value is None else str(value))


def phone(value: Any, masked: bool) -> str:
    return mask(value, "phone") if masked else ("" if value is None else str(value))


def identifier(value: Any, masked: bool) -> str:
    return mask(value, "identifier") if masked else ("" if value is None else str(value))


def is_on(node: Any) -> bool:
    """Privacy mode of the app that ``node`` (a widget, screen or the app) belongs to."""
    try:
        app = node.app
    except Exception:  # noqa: BLE001 - not mounted: nothing is shown anyway
        return False
    return bool(getattr(app, "privacy", False))
