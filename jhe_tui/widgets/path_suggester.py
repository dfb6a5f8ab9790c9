"""Path completion for a file input: typing a path offers the first matching CSV file or folder."""

from __future__ import annotations

from pathlib import Path

from textual.suggester import Suggester


class PathSuggester(Suggester):
    """Completes a typed path with the first matching CSV file or directory."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        typed = Path(value).expanduser()
        folder, stem = (typed, "") if value.endswith("/") else (typed.parent, typed.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
                           if p.name.startswith(stem) and not p.name.startswith(".")
                           and (p.is_dir() or p.suffix.lower() == ".csv"))
        except OSError:
            return None
        if not names:
            return None
        prefix = value[: len(value) - len(stem)] if stem else value
        return prefix + names[0]
