"""One small form for the administration dialogs: a sub-organization, a rename, a member, a
study, an API key. Each is a few text boxes and choices, then one server call.

The call runs inside the dialog (``apply``): a refusal ("No user has this e-mail address", "the
description may not be empty") is shown under the fields, what was typed stays, and the user can
correct it and try again. The dialog closes with the call's result, or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from jhe_tui.api import JheError


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    choices: Sequence[tuple[str, str]] = ()  # (label, value): a choice instead of a text box
    placeholder: str = ""


class AdminFormModal(ModalScreen[Any]):
    BINDINGS = [
        Binding("ctrl+j", "confirm", "Confirm", id="admin_form.confirm", tooltip="Confirm (same as Enter)"),
        Binding("escape", "cancel", "Cancel", id="admin_form.cancel", tooltip="Close; nothing is sent"),
    ]

    def __init__(self, title: str, intro: str, fields: Sequence[Field], *, confirm_label: str,
                 apply: Callable[[dict[str, str]], Awaitable[Any]], warning: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._intro = intro
        self._fields = list(fields)
        self._confirm_label = confirm_label
        self._apply = apply
        self._warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(self._title, classes="dialog-title", markup=False)
            yield Static(self._intro, classes="dialog-line", markup=False)
            for field in self._fields:
                yield Label(field.label, markup=False)
                if field.choices:
                    yield Select[str](list(field.choices), value=field.value or field.choices[0][1], allow_blank=False,
                                      id=f"field-{field.name}")
                else:
                    yield Input(field.value, placeholder=field.placeholder, id=f"field-{field.name}")
            if self._warning:
                yield Static(f"⚠ {self._warning}", classes="dialog-warning", markup=False)
            yield Static("", id="problem", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._confirm_label, id="confirm", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Label("Enter confirms · Escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self._fields[0].name}").focus()

    def values(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for field in self._fields:
            widget = self.query_one(f"#field-{field.name}")
            found[field.name] = str(widget.value if isinstance(widget, (Input, Select)) else "")
        return found

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm")
    @on(Input.Submitted)
    @work(exclusive=True, exit_on_error=False)
    async def action_confirm(self) -> None:
        problem = self.query_one("#problem", Static)
        problem.remove_class("shown")
        dialog = self.query_one("#dialog")
        dialog.loading = True
        try:
            result = await self._apply(self.values())
        except JheError as error:
            dialog.loading = False
            problem.update(error.message)
            problem.add_class("shown")
            return
        self.dismiss(result)
