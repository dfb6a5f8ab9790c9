"""Where a failed load explains itself instead of leaving an empty table.

An empty table after a failure reads as "no patients", which is the worst possible
misunderstanding for a coordinator; the panel replaces the table with the reason and
the key that tries again.
"""

from __future__ import annotations

from textual.widgets import Static


class ErrorPanel(Static):
    DEFAULT_CSS = """
    ErrorPanel {
        display: none;
        border: round $error;
        padding: 1 2;
        margin: 1 2;
        color: $text-error;
        background: $error-muted;
        height: auto;
    }
    ErrorPanel.shown { display: block; }
    """

    def __init__(self, *, retry_key: str = "r", id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._retry_key = retry_key

    def show(self, what: str, message: str) -> None:
        self.update(f"⚠ {what} failed: {message}\n\nPress {self._retry_key} to try again.")
        self.add_class("shown")

    def hide(self) -> None:
        self.remove_class("shown")
