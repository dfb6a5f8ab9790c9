"""Path completion for a file input: typing a path offers the first matching CSV file or folder,
and Tab takes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input


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


class PathInput(Input):
    """A path box where Tab takes the suggested name, as in a shell; with nothing suggested (or
    the cursor not at the end), Tab moves the focus as everywhere else."""

    BINDINGS = [Binding("tab", "complete", "Complete the name", show=False)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, suggester=PathSuggester(), **kwargs)

    def action_complete(self) -> None:
        before = self.value
        if self.cursor_at_end:
            self.action_cursor_right()  # Input's own way to accept a suggestion
        if self.value == before:
            self.screen.focus_next()
