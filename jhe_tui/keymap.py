"""The owner's keymap (``[keymap]`` in profiles.toml, applied with Textual's ``App.set_keymap``):
which binding ids exist, and the key a binding has now, for the hints that name it.

Every console binding has an id (``patients.add``) so it can be remapped; F1 shows the ids. An id
that no binding has is refused when the console starts, in one sentence, rather than ignored: a
typo would otherwise leave the owner wondering why their key does nothing.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping

from textual.binding import Binding
from textual.dom import DOMNode

from jhe_tui.textual_shims import bindings_of


def console_bindings() -> Iterator[tuple[type[DOMNode], Binding]]:
    """Every binding with an id that a class of the console declares (screens, dialogs, widgets)."""
    _import_console()
    classes: list[type[DOMNode]] = [DOMNode]
    seen: set[type[DOMNode]] = set()
    while classes:
        cls = classes.pop()
        classes.extend(sub for sub in cls.__subclasses__() if sub not in seen)
        seen.add(cls)
        if not cls.__module__.startswith("jhe_tui."):
            continue
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
            if binding.id:
                yield cls, binding


def _import_console() -> None:
    """The App and every screen, dialog and widget module: the console imports a screen's module
    when the screen is first shown, so the classes loaded so far are not all there are."""
    import jhe_tui.app  # noqa: F401
    import jhe_tui.dialogs
    import jhe_tui.screens
    import jhe_tui.widgets

    for package in (jhe_tui.screens, jhe_tui.dialogs, jhe_tui.widgets):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)


def binding_ids() -> set[str]:
    return {binding.id for _, binding in console_bindings() if binding.id}


def unknown_ids(keymap: Mapping[str, str]) -> str | None:
    """Why ``keymap`` cannot be applied, in one sentence; None when every id is a binding's (and,
    with no keymap, without loading every screen to find out)."""
    if not keymap:
        return None
    known = binding_ids()
    wrong = sorted(set(keymap) - known)
    if not wrong:
        return None
    return (f"[keymap] names {', '.join(repr(w) for w in wrong)}, which no key of the console has; "
            "F1 shows each key's id in brackets.")


def key_of(node: DOMNode, binding_id: str) -> str:
    """The key that ``binding_id`` has on ``node`` now, the keymap applied, as prose names it
    ("ctrl+j", where the footer's narrow cells show "^j")."""
    keys = [_spelled(node.app.get_key_display(binding)) for _, binding in bindings_of(node) if binding.id == binding_id]
    return " or ".join(dict.fromkeys(keys)) or binding_id


def _spelled(display: str) -> str:
    if display.startswith("^") and len(display) > 1:
        return f"ctrl+{display[1:]}"
    return display.upper() if re.fullmatch(r"f\d+", display) else display
