"""The console's own settings, kept in ``profiles.toml`` beside the profiles: the theme it was left
in and the keys its owner remapped.

```toml
[settings]
theme = "high-contrast"      # written when you pick a theme (ctrl+p, "theme"); --theme is for one run

[keymap]                     # binding id = key(s), comma-separated; F1 shows every id
"patients.add" = "insert"
"app.screenshot" = "f8,ctrl+t"
```

Read when the console starts; only picking a theme in the console writes (through the profiles
writer, so comments, order and unknown keys survive). Which names are themes and which ids are
bindings is the console's to know: this module checks only the shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from jhe_tui.local import profiles

_ID = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")
_KEYS = re.compile(r"[^\s,]+(\s*,\s*[^\s,]+)*")


@dataclass(frozen=True)
class ConsoleSettings:
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)


def load(file: Path | None = None) -> ConsoleSettings:
    """The settings in the file; a bad entry is a ``ProfileError`` naming it, in one sentence."""
    file = file or profiles.path()
    data = profiles.read(file)
    theme = data.get("settings", {}).get("theme") if isinstance(data.get("settings"), dict) else None
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise profiles.ProfileError(f"The profiles file {file} has a bad entry: theme must be a theme's name.")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise profiles.ProfileError(f"The profiles file {file} has a bad entry: [keymap] must be a table.")
    for binding, keys in keymap.items():
        if not _ID.fullmatch(binding) or not isinstance(keys, str) or not _KEYS.fullmatch(keys.strip()):
            raise profiles.ProfileError(
                f"The profiles file {file} has a bad [keymap] entry {binding!r}: write \"binding.id\" = \"key\" "
                "(several keys comma-separated, such as \"f8,ctrl+t\"); F1 lists the ids."
            )
    return ConsoleSettings(theme.strip() if theme else None,
                           {binding: keys.replace(" ", "") for binding, keys in keymap.items()})


def save_theme(name: str, file: Path | None = None) -> Path:
    """Remember ``name`` as the console's theme; nothing else in the file changes."""

    def change(doc: tomlkit.TOMLDocument) -> None:
        doc.setdefault("settings", tomlkit.table())["theme"] = name

    return profiles.edit(change, file)
