"""The idle lock's screen: no patient data, only how to get back in (sign in again, or the
local PIN when one is set). A full screen, so nothing of the work beneath it shows."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from jhe_tui.keymap import key_of
from jhe_tui.api.text import counted
from jhe_tui.local import pin
from jhe_tui.console_app import console_app
from jhe_tui.screens.sign_in import GATE_CSS
from jhe_tui.widgets.footer import SteadyFooter


class LockScreen(Screen[None]):
    """The idle lock: nothing of the session's data, only how to get back in."""

    DEFAULT_CSS = GATE_CSS
    BINDINGS = [
        Binding("ctrl+r", "sign_in", "Sign in again", id="lock.sign_in", tooltip="Unlock by signing in again"),
    ]
    MAX_PIN_TRIES = 5

    def __init__(self, *, who: str, server: str, minutes: float | None, demo: bool) -> None:
        super().__init__()
        self.who, self.server, self.minutes, self.demo = who, server, minutes, demo
        self.tries = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static("jhe-tui is locked", classes="title")
            why = (f"Locked after {counted(self.minutes, 'minute')} without input." if self.minutes
                   else "Locked.")
            yield Static(f"{why} Session of {self.who} on {self.server}.", classes="hint", markup=False)
            again = key_of(self, "lock.sign_in")
            if pin.is_set():
                yield Static(f"Type your PIN and press Enter, or press {again} to sign in again.", classes="hint",
                             markup=False)
                yield Input(placeholder="PIN", password=True, id="pin")
            elif self.demo:
                yield Static(f"Press {again} to unlock (the demo needs no sign-in).", classes="hint", markup=False)
            else:
                yield Static(f"Press {again} to sign in again.", classes="hint", markup=False)
            yield Static("", id="status", markup=False)
        yield SteadyFooter()

    def on_mount(self) -> None:
        pins = self.query("#pin")
        if pins:
            pins.first().focus()

    @on(Input.Submitted, "#pin")
    def _pin(self, event: Input.Submitted) -> None:
        event.input.value = ""
        if pin.verify(event.value):
            console_app(self).guard.unlock()
            return
        self.tries += 1
        status = self.query_one("#status", Static)
        if self.tries >= self.MAX_PIN_TRIES:
            event.input.disabled = True
            status.update(f"Too many wrong PINs: press {key_of(self, 'lock.sign_in')} to sign in again.")
        else:
            status.update(f"Wrong PIN; try again, or press {key_of(self, 'lock.sign_in')} to sign in again.")

    def action_sign_in(self) -> None:
        console_app(self).guard.unlock_by_sign_in()
