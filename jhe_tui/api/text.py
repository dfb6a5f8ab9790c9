"""Text from a server or a file, made safe for a terminal without hiding that it was odd.

Rich and Textual strip only BEL, BS, VT, FF and CR, so an ESC in a patient's name reaches the
terminal: it can retitle the window, clear the screen, write the clipboard (OSC 52) or hide a
link (OSC 8). Every string from a server or a CSV file passes ``visible`` once, where it enters
(the API models through ``VisibleText``, error messages, the CSV reader), and CLI messages that
quote such text pass it again (it is idempotent). Nothing is dropped: each dangerous code point
becomes a visible mark, so a practitioner sees that the record is odd.

- C0 controls except tab: their control pictures (ESC -> ␛, NUL -> ␀, LF -> ␊); DEL -> ␡.
- C1 controls (U+0080-U+009F; U+009B is a one-byte CSI to some terminals) -> �.
- Also �: bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder
  what a bidi-aware terminal shows around them; the line and paragraph separators U+2028/U+2029,
  which break lines for ``str.splitlines`` and some terminals; lone surrogates, which cannot be
  encoded for the terminal at all.

Left alone: tab (harmless), the LRM, RLM and ALM marks of right-to-left names (they move nothing
beyond their neighbours) and zero-width joiners (emoji, Indic scripts).

``has_control`` is the input rule the importer and the patient form apply (the embedded backend
has its own copy, as it imports nothing of the client): C0 except tab, DEL and C1 are refused.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, model_validator

_REPLACEMENT = "\ufffd"
_MARKS = {chr(code): chr(0x2400 + code) for code in range(0x20) if code != 0x09} | {"\x7f": "\u2421"}
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _mark(found: re.Match[str]) -> str:
    return _MARKS.get(found.group(), _REPLACEMENT)


def visible(text: str) -> str:
    """``text`` with every code point that could drive a terminal shown as a mark instead."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_mark, text)


def has_control(text: str) -> bool:
    """True when ``text`` holds a C0 control other than tab, DEL or a C1 control."""
    return _CONTROL.search(text) is not None


def visible_tree(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) made visible; the same object when
    nothing needed it, so clean data is never copied.

    A tree is first checked whole: ``repr`` writes every code point ``visible`` marks (all are
    unprintable) as a backslash escape, so a tree whose repr has no backslash is clean. Walking
    a JSON payload string by string took most of the time of building an observation.
    """
    if isinstance(value, str):
        return visible(value)
    if not isinstance(value, (list, dict)) or "\\" not in repr(value):
        return value
    return _walk(value)


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        shown = [_walk(item) for item in value]
        return value if all(a is b for a, b in zip(shown, value)) else shown
    if isinstance(value, dict):
        pairs = [(_walk(key), _walk(item)) for key, item in value.items()]
        if all(k is key and v is item for (k, v), (key, item) in zip(pairs, value.items())):
            return value
        return dict(pairs)
    return value


def _may_hold_text(annotation: Any) -> bool:
    """Whether a field of this type can hold a string (nested models clean themselves)."""
    if annotation is Any or annotation is str:
        return True
    arguments = get_args(annotation)
    if get_origin(annotation) is Literal:
        return False  # values of our own choosing
    if arguments:
        return any(_may_hold_text(argument) for argument in arguments)
    return isinstance(annotation, type) and issubclass(annotation, (str, list, dict))


KEPT_AS_SENT = "kept as sent"  # ``Annotated[..., KEPT_AS_SENT]``: a field ``VisibleText`` leaves alone


class VisibleText(BaseModel):
    """Base of every model built from what a server sent: once validated, each string field,
    and each string nested in a list, dict or JSON payload, is ``visible``. Nested models are
    models of their own and have already cleaned themselves. A field annotated ``KEPT_AS_SENT``
    (a FHIR resource written to export files as received) is left alone; it must never be shown
    but through an ASCII-escaping encoder."""

    __text_fields__: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.__text_fields__ = tuple(
            name for name, info in cls.model_fields.items()
            if KEPT_AS_SENT not in info.metadata and _may_hold_text(info.annotation)
        )

    @model_validator(mode="after")
    def _visible_text(self) -> Any:
        fields = self.__dict__
        for name in self.__text_fields__:
            value = fields[name]
            if value is None or (type(value) is str and _UNSAFE.search(value) is None):
                continue  # the usual case, spared two calls: this runs for every string received
            shown = visible_tree(value)
            if shown is not value:
                fields[name] = shown
        return self


def counted(number: float, noun: str) -> str:
    """``1 day``, ``3 days``, ``1.5 minutes``, ``12,000 rows``: a count with its noun, never
    "1 days" (nor "1.2e+04 rows")."""
    shown = f"{int(number):,}" if float(number).is_integer() else f"{number:g}"
    return f"{shown} {noun}" if number == 1 else f"{shown} {noun}s"
