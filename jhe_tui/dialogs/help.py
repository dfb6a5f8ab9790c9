"""F1: every key of the screen the user was on, why a greyed one is greyed, and the one key map.

The footer has room for a handful of keys; this lists all of them, including those of
parts of the screen that do not have focus, so nobody has to guess or read the README. Below
them comes every other screen's keys, read from the screens' own bindings, so the map shown is
the one the console obeys: a key means the same thing on every screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from jhe_tui.screens.base import screen_actions
from jhe_tui.textual_shims import keymap
from jhe_tui.widgets.table import ConsoleTable

GENERAL = (
    "A key means the same thing on every screen: this screen's keys first, then the others'. Tab "
    "moves between parts of a screen, Escape closes or goes back, ctrl+p finds any action by name. "
    "Copy uses the terminal's clipboard (OSC 52; under tmux: `tmux set -s set-clipboard on`) and "
    "always shows the copied text too. Any key can be changed under [keymap] in profiles.toml with "
    "the id in brackets (\"patients.add\" = \"insert\")."
)

LABELS = ("Key", "Action", "What it does")

# (section title, the class whose BINDINGS it lists): the App passes its own list.
KeyMap = Sequence[tuple[str, type[DOMNode]]]
Entry = tuple[str, str, str]  # key, action, what it does; a section title has only the last


def class_keys(node: DOMNode, owner: type[DOMNode]) -> list[Entry]:
    """The keys ``owner`` declares (ours: those with an id), keys of one action together."""
    merged: dict[tuple[str, str], list[str]] = {}
    notes: dict[tuple[str, str], str] = {}
    bindings = BindingsMap(owner.BINDINGS)
    bindings.apply_keymap(keymap(node.app))
    for _, binding in bindings:
        if not binding.id or not binding.description:
            continue
        key = binding.key_display or node.app.get_key_display(binding)
        merged.setdefault((binding.action, binding.description), []).append(key)
        notes[(binding.action, binding.description)] = with_id(binding.tooltip, binding.id)
    return [(" / ".join(keys), description, notes[(action, description)])
            for (action, description), keys in merged.items()]


def with_id(note: str, binding_id: str) -> str:
    """The note with the binding's id, which ``[keymap]`` in profiles.toml remaps."""
    return f"{note} [{binding_id}]"


class _Keys(ConsoleTable[Text]):
    """Key, action, what it does; the last column wraps at whatever width the dialog gets, which
    follows the terminal (96 columns at most, fewer on an 80-column SSH session)."""

    def __init__(self, entries: list[Entry]) -> None:
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
        for key_text, action_text, note_text in self._entries:
            title = not key_text and not action_text
            self.add_row(Text(key_text), Text(action_text),
                         Text(note_text, style="bold underline" if title else "", justify="left"), height=None)
        self.move_cursor(row=1)  # the first key, under its section's title


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1", "close", "Close help", id="help.close", tooltip="Back to the screen"),
    ]

    def __init__(self, about: Screen[object], key_map: KeyMap = ()) -> None:
        super().__init__()
        self._about = about
        self._key_map = key_map

    def entries(self) -> list[Entry]:
        title = getattr(self._about, "TITLE", None) or "This screen"
        entries: list[Entry] = [("", "", f"{title}: this screen now")]
        for info in screen_actions(self._about):
            note = info.tooltip
            if not info.enabled:
                note = f"unavailable: {info.reason}" if info.reason else f"{note} (not available right now)"
            entries.append((info.key, info.description, with_id(note, info.binding_id)))
        for section, owner in self._key_map:
            if isinstance(self._about, owner):
                continue
            entries += [("", "", section), *class_keys(self._about, owner)]
        return entries

    def compose(self) -> ComposeResult:
        title = getattr(self._about, "TITLE", None) or "this screen"
        with Vertical(id="dialog", classes="dialog help"):
            yield Label(f"Keys: {title}", classes="dialog-title", markup=False)
            yield Static(GENERAL, classes="dialog-line", markup=False)
            yield _Keys(self.entries())
            yield Label("Escape or F1 closes this help", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
