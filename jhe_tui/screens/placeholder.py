"""Studies, Observations and Organizations: reachable now, filled in by a later issue.

Navigation keys exist from the start so they never move; until a screen is built, its
place says so plainly instead of showing an empty view that looks like missing data.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Static

from jhe_tui.screens.base import ConsoleScreen


class PlaceholderScreen(ConsoleScreen[None]):
    def __init__(self, title: str, purpose: str) -> None:
        super().__init__()
        self.TITLE = title
        self._purpose = purpose

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Center(), Vertical(classes="placeholder"):
            yield Static(self.TITLE, classes="placeholder-title", markup=False)
            yield Static(
                f"This screen is not built yet. It will {self._purpose}.\n\n"
                "Press F2 for Patients, where every patient task works today.",
                markup=False,
            )
        yield from self.compose_footer()
