"""F1: every key of the screen the user was on, and why a greyed one is greyed.

The footer has room for a handful of keys; this lists all of them, including those of
parts of the screen that do not have focus, so nobody has to guess or read the README.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from jhe_tui.screens.base import screen_actions
from jhe_tui.widgets.table import ConsoleTable

GENERAL = (
    "Tab / Shift+Tab move between parts of the screen; arrows move in tables and lists; "
    "Enter opens or confirms; Escape closes a dialog or goes back. ctrl+p searches every "
    "action by name. Copy uses your terminal's clipboard (OSC 52): under tmux run "
    "`tmux set -s set-clipboard on`; Apple Terminal does not support it, so the copied "
    "text is always shown as well."
)

LABELS = ("Key", "Action", "What it does")


class _Keys(ConsoleTable[Text]):
    """Key, action, what it does; the last column wraps at whatever width the dialog gets, which
    follows the terminal (96 columns at most, fewer on an 80-column SSH session)."""

    def __init__(self, entries: list[tuple[str, str, str]]) -> None:
        super().__init__(cursor_type="row", id="keys")
        self._entries = entries

    def on_resize(self, event: events.Resize) -> None:
        key, action = (max(cell_len(text) for text in (label, *(entry[i] for entry in self._entries)))
                       for i, label in enumerate(LABELS[:2]))
        padding = 2 * self.cell_padding * len(LABELS)
        note = max(20, event.size.width - key - action - padding - self.styles.scrollbar_size_vertical)
        self.clear(columns=True)
        for label, width in zip(LABELS, (key, action, note), strict=True):
            self.add_column(label, width=width)
        for entry in self._entries:
            self.add_row(*map(Text, entry), height=None)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1", "close", "Close help", id="help.close", tooltip="Back to the screen"),
    ]

    def __init__(self, about: Screen[object]) -> None:
        super().__init__()
        self._about = about

    def compose(self) -> ComposeResult:
        title = getattr(self._about, "TITLE", None) or "this screen"
        with Vertical(id="dialog", classes="dialog help"):
            yield Label(f"Keys: {title}", classes="dialog-title", markup=False)
            yield Static(GENERAL, classes="dialog-line", markup=False)
            entries = []
            for info in screen_actions(self._about):
                note = info.tooltip
                if not info.enabled:
                    note = f"unavailable: {info.reason}" if info.reason else f"{note} (not available right now)"
                entries.append((info.key, info.description, note))
            yield _Keys(entries)
            yield Label("Escape or F1 closes this help", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
