"""The one confirmation dialog every destructive or accountable action goes through.

The web console confirms only deletes, with one generic sentence and one click. Here the
caller states the consequences line by line, and can demand more than a keypress: a word
to type back (so a stray Enter over SSH cannot remove a patient) or an answer that is
kept (who authorized a consent change, for the audit log).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmModal(ModalScreen[str | None]):
    """Dismisses with None on cancel, else with what was typed ("" when nothing was asked)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Close and change nothing"),
        Binding("ctrl+j", "confirm", "Confirm", id="confirm.ok", tooltip="Confirm (same as the button)"),
    ]

    def __init__(
        self,
        title: str,
        lines: Sequence[str],
        *,
        confirm_label: str,
        warning: str | None = None,
        type_word: str | None = None,
        ask: str | None = None,
        danger: bool = False,
    ) -> None:
        super().__init__()
        self._title = title
        self._lines = list(lines)
        self._confirm_label = confirm_label
        self._warning = warning
        self._type_word = type_word
        self._ask = ask
        self._danger = danger

    @property
    def wants_answer(self) -> bool:
        return self._type_word is not None or self._ask is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self._title, classes="dialog-title", markup=False)
            yield Static("\n".join(self._lines), classes="dialog-line", markup=False)
            if self._warning:
                yield Static(f"⚠ {self._warning}", classes="dialog-warning", markup=False)
            if self._type_word is not None:
                yield Label(f'Type "{self._type_word}" to confirm:', markup=False)
                yield Input(placeholder=self._type_word, id="answer")
            elif self._ask is not None:
                yield Label(self._ask, markup=False)
                yield Input(id="answer")
            yield Static("", id="problem", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._confirm_label, id="confirm", variant="error" if self._danger else "primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#answer" if self.wants_answer else "#confirm").focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm")
    @on(Input.Submitted, "#answer")
    def action_confirm(self) -> None:
        if not self.wants_answer:
            self.dismiss("")
            return
        answer = self.query_one("#answer", Input).value.strip()
        problem = self.query_one("#problem", Static)
        if self._type_word is not None and answer != self._type_word:
            problem.update(f'Type "{self._type_word}" exactly to confirm, or press Escape to cancel.')
        elif not answer:
            problem.update("An answer is required; it is kept in the audit log.")
        else:
            self.dismiss(answer)
            return
        problem.add_class("shown")
        self.query_one("#answer", Input).focus()
