"""Pick one thing from a short list: a study to enroll in, a patient app to invite to.

When the choice triggers a server call (`apply`), the call runs inside the dialog so a
refusal ("these patients are not in that study's organization") is shown where the
choice was made and the user can pick again, instead of a toast after the dialog closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from jhe_tui.api import JheError

T = TypeVar("T")


class ChoiceModal(ModalScreen[T | None], Generic[T]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel", tooltip="Close without choosing"),
    ]

    def __init__(
        self,
        title: str,
        intro: str,
        choices: Sequence[tuple[str, T]],
        *,
        apply: Callable[[T], Awaitable[object]] | None = None,
        empty: str = "There is nothing to choose from.",
    ) -> None:
        super().__init__()
        self._title = title
        self._intro = intro
        self._choices = list(choices)
        self._apply = apply
        self._empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(self._title, classes="dialog-title", markup=False)
            yield Static(self._intro if self._choices else self._empty, classes="dialog-line", markup=False)
            if self._choices:
                yield OptionList(
                    *(Option(label, id=str(index)) for index, (label, _) in enumerate(self._choices)),
                    id="choices",
                    markup=False,
                )
            yield Static("", id="problem", classes="field-error", markup=False)
            yield Label("Enter chooses · Escape cancels", classes="dialog-hint")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        value = self._choices[int(event.option.id or 0)][1]
        if self._apply is None:
            self.dismiss(value)
        else:
            self._run(value)

    @work(exclusive=True, exit_on_error=False)
    async def _run(self, value: T) -> None:
        problem = self.query_one("#problem", Static)
        problem.remove_class("shown")
        options = self.query_one("#choices", OptionList)
        options.loading = True
        try:
            assert self._apply is not None
            await self._apply(value)
        except JheError as error:
            problem.update(error.message)
            problem.add_class("shown")
            options.loading = False
            options.focus()
            return
        self.dismiss(value)
