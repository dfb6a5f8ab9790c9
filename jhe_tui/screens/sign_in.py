"""The sign-in screen: a full screen, so nothing of the work beneath it shows.

``SignInScreen`` runs the same flows as `jhe-tui login` (loopback when the profile has a client
id, otherwise paste-back; or a pasted access token) and dismisses with the new ``TokenSet``.
Pushed on top of whatever the user was doing when the session expired, it leaves that screen,
and any form on it, exactly as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from jhe_tui.keymap import key_of
from jhe_tui.api import JheError
from jhe_tui.api.oauth import split_api_key
from jhe_tui.api.tokens import TokenSet
from jhe_tui.console_app import console_app
from jhe_tui.api.signin import SignIn, can_open_browser
from jhe_tui.widgets.footer import SteadyFooter

GATE_CSS = """
SignInScreen, LockScreen { align: center middle; }
SignInScreen > #box, LockScreen > #box {
    width: 84; max-width: 100%; height: auto; max-height: 100%; border: round $primary; padding: 1 2; background: $surface;
}
LockScreen > #box { width: 76; }  /* short sentences: the same box on an 80-column SSH session as on a wide one */
#box > .title { text-style: bold; margin-bottom: 1; }
#box > .hint { color: $text-muted; margin-bottom: 1; }
#box > #url { color: $text-accent; margin-bottom: 1; }
#box > Input { margin-bottom: 1; }
#box > #status { color: $text-error; }
#box > #status.ok { color: $text-success; }
#insecure-banner { dock: top; width: 100%; background: $error; color: $text; text-style: bold; padding: 0 1; }
"""


class SignInScreen(Screen[TokenSet | None]):
    DEFAULT_CSS = GATE_CSS
    AUTO_FOCUS = "#pasted"
    BINDINGS = [
        Binding("ctrl+r", "restart", "Open sign-in page", id="signin.open",
                tooltip="Start a new sign-in and open the page in the browser (the address is also shown)"),
        Binding("escape", "cancel", "Cancel", id="signin.cancel", tooltip="Back without signing in"),
    ]

    def __init__(self, signin: SignIn, reason: str, *, cancellable: bool = True) -> None:
        super().__init__()
        self.signin = signin
        self.reason = reason
        self.cancellable = cancellable

    def compose(self) -> ComposeResult:
        loopback = self.signin.method == "loopback"
        if console_app(self).insecure:
            yield Static("TLS NOT VERIFIED (--insecure): anyone on the network path can read what you send",
                         id="insecure-banner")
        with Vertical(id="box"):
            yield Static(f"Sign in to {self.signin.url}", classes="title", markup=False)
            yield Static(self.reason, classes="hint", markup=False)
            if loopback:
                yield Static("Sign in in the browser window that opens (or open the address below); "
                             "this screen continues by itself when you are done.", classes="hint")
            else:
                yield Static("Open the address below and sign in. Then copy the address the browser lands on "
                             "(it contains ?code=) and paste it here within 60 seconds: codes expire after a minute.",
                             classes="hint")
            yield Static("(preparing the sign-in address…)", id="url", markup=False)
            yield Input(placeholder="Paste the address you land on, or just the code", id="pasted",
                        disabled=loopback)
            yield Input(placeholder="…or paste an access token or a practitioner API key, then Enter", id="token", password=True)
            yield Static("", id="status", markup=False)
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel" and not self.cancellable:
            return False
        return True

    def _status(self, text: str, ok: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_class(ok, "ok")

    def _show_url(self, url: str) -> None:
        self.query_one("#url", Static).update(url)
        # A wrapped address inside a box is hard to select in a terminal: copy it too (OSC 52).
        self.app.copy_to_clipboard(url)
        opened = can_open_browser()
        if opened:
            self.app.open_url(url)
        self._status("Opened in your browser; the address is also on your clipboard." if opened
                     else "The address is also on your clipboard (if your terminal allows it).", ok=True)

    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def start(self) -> None:
        try:
            if self.signin.method == "loopback":
                tokens, _ = await self.signin.loopback(self._show_url)
                self.dismiss(tokens)
                return
            self._show_url(await self.signin.start_paste_back())
        except JheError as failure:
            self._status(f"{failure.message} Press {key_of(self, 'signin.open')} to try again.")

    def action_restart(self) -> None:
        self._status("")
        self.start()

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)

    @on(Input.Submitted, "#pasted")
    def _pasted(self, event: Input.Submitted) -> None:
        self.finish(event.value)

    @on(Input.Submitted, "#token")
    def _token(self, event: Input.Submitted) -> None:
        self.use_token(event.value)

    def finish(self, pasted: str) -> None:
        self._complete("Signing in…", "#pasted", partial(self.signin.finish_paste_back, pasted))

    def use_token(self, token: str) -> None:
        try:
            split_api_key(token)
        except JheError:
            sign_in = self.signin.token
        else:
            sign_in = self.signin.api_key
        self._complete("Checking…", "#token", partial(sign_in, token))

    @work(exclusive=True, group="finish", exit_on_error=False)
    async def _complete(self, doing: str, field: str, attempt: Callable[[], Awaitable[tuple[TokenSet, Any]]]) -> None:
        """Sign in with what was pasted; on a refusal clear that box (it held a code or a
        secret) and say why, so the user can paste again."""
        self._status(doing, ok=True)
        try:
            tokens, _ = await attempt()
        except JheError as failure:
            self.query_one(field, Input).value = ""
            self._status(failure.message)
            return
        self.dismiss(tokens)
