"""What keeps an unattended or expired console safe: the App's ``guard``.

* First sign-in: with a server profile and no valid token, the console opens on the sign-in screen.
* Session expiry: a 401 that renewal cannot fix pushes the sign-in screen on top of the current
  screen; after signing in the user is back where they were, forms still filled.
* Idle lock: after ``idle_minutes`` without a key, click or paste (0 = never) the console switches
  to the lock screen and throws away every other screen, so no patient data stays in memory or on
  screen; unlocking needs a new sign-in or the local PIN, and starts the screens afresh.
* Privacy mode (``privacy`` reactive on the app): see ``jhe_tui.privacy``.

The idle time is measured on the guard's clock (a fake one in tests). One timer at a time wakes
the guard when the warning or the lock is due by that clock; a key only notes the time. A key does
not restart the timer: ``Timer.reset()`` restarts the count only when the pending interval ends,
which would let the lock come up to one idle period late.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.screen import Screen
from textual.timer import Timer

from jhe_tui.api import JheError
from jhe_tui.api.tokens import TokenSet
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.screens.lock import LockScreen
from jhe_tui.widgets.invitation_history import SessionLink
from jhe_tui.screens.sign_in import SignInScreen

if TYPE_CHECKING:
    from jhe_tui.app import JheApp
    from jhe_tui.api.signin import SignIn

WARN_SECONDS = 30.0  # a warning this long before the lock
LOCK_MODE, GATE_MODE = "locked", "gate"
_ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)


class GateScreen(Screen[None]):
    """The empty screen the console starts on, and under the first sign-in."""


class SessionGuard:
    """Sign-in, expiry and the idle lock of one console App (``app.guard``)."""

    def __init__(self, app: JheApp, sign_in: SignIn | None, *, signed_in: bool, idle_minutes: float,
                 clock: Callable[[], float] | None = None) -> None:
        self.app = app
        self.sign_in = sign_in
        self.idle_minutes = idle_minutes
        self.clock = clock or time.monotonic
        self.locked = False
        self._last_input = self.clock()
        self._warned = False
        self._timer: Timer | None = None
        self._signing_in = sign_in is not None and not signed_in
        self._mode_before_lock = app.HOME_MODE
        # The invitation links generated in this session, by patient id: shown again on the
        # record (so "copy again" never reissues) until the console locks or quits.
        self.links: dict[int, SessionLink] = {}

    async def start(self) -> None:
        """The console starts on the empty gate screen: it leaves it at once when signed in, and
        otherwise after the sign-in above it, so nothing loads before a token exists."""
        self.app.client.on_unauthenticated = self._session_expired
        if self._signing_in and self.sign_in is not None:
            self.app.push_screen(
                SignInScreen(self.sign_in, "You are not signed in to this server yet (or the stored sign-in "
                             "is no longer valid).", cancellable=False),
                self._after_first_sign_in,
            )
        else:
            await self._leave_gate(self.app.HOME_MODE)

    async def _after_first_sign_in(self, tokens: TokenSet | None) -> None:
        if tokens is None or self.sign_in is None:
            return
        self.sign_in.apply(self.app.client, tokens)
        self._signing_in = False
        await self._leave_gate(self.app.HOME_MODE)

    async def _leave_gate(self, mode: str) -> None:
        await self.app.switch_mode(mode)
        await self.app.remove_mode(GATE_MODE)
        self._restart_idle()

    # --- expiry ------------------------------------------------------------------------------

    def _session_expired(self) -> None:
        if self.sign_in is None or self._signing_in or self.locked:
            return
        self._signing_in = True
        self.app.call_later(
            self.app.push_screen,
            SignInScreen(self.sign_in, "Your session has expired or was signed out elsewhere. Sign in again to "
                         "carry on: what you were doing is kept as it was."),
            self._after_expiry,
        )

    def _after_expiry(self, tokens: TokenSet | None) -> None:
        self._signing_in = False
        if tokens is None or self.sign_in is None:
            self.app.notify("Not signed in: actions that reach the server will fail until you sign in.",
                            severity="warning")
            return
        self.app.run_worker(self._back_after_expiry(tokens), group="sign-in")

    async def _back_after_expiry(self, tokens: TokenSet) -> None:
        app = self.app
        if not await self._adopt(tokens):
            app.notify("Signed in as another practitioner: a fresh session, the previous one's screens are closed.")
            return
        if app.session is None and isinstance(app.screen, ConsoleScreen):
            app.screen.action_reload()  # the stored sign-in had expired before anything loaded
            return
        app.notify("Signed in again. Repeat your last action; any form is as you left it.")

    # --- who is signed in --------------------------------------------------------------------

    async def _adopt(self, tokens: TokenSet) -> bool:
        """Use ``tokens`` from now on and revoke the ones they replace, which would otherwise stay
        valid on the server. Another practitioner (or one the server cannot name) gets a fresh
        session, so the header, the organization and the audit log name who the server acts for.
        True when the same practitioner is back."""
        app = self.app
        assert self.sign_in is not None
        replaced = getattr(app.client.auth, "tokens", None)
        self.sign_in.apply(app.client, tokens)
        if isinstance(replaced, TokenSet) and replaced != tokens:
            await self.sign_in.revoke(replaced)
        previous = app.session
        if previous is None:
            return True
        try:
            same = (await app.client.profile()).id == previous.user.id
        except JheError:
            same = False
        if not same:
            await self._fresh_session()
        return same

    async def _fresh_session(self) -> None:
        app = self.app
        if self.locked:  # the lock has already dropped every screen; unlocking starts afresh
            self._mode_before_lock = app.HOME_MODE
            app.session = app.organization = None
            return
        app.add_mode(GATE_MODE, GateScreen)
        await app.switch_mode(GATE_MODE)
        await self._drop_screens()
        app.session = app.organization = None
        await self._leave_gate(app.HOME_MODE)

    async def _drop_screens(self) -> None:
        """Every console mode loses its screens (and the data they hold); each starts afresh.
        The caller has switched to a mode of its own (the lock or the gate) first."""
        for mode, factory in type(self.app).MODES.items():
            if mode == GATE_MODE:
                continue
            await self.app.remove_mode(mode)
            self.app.add_mode(mode, factory)

    # --- idle lock ---------------------------------------------------------------------------

    def note_activity(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):
            self._last_input = self.clock()
            self._warned = False

    def _restart_idle(self) -> None:
        """A console screen is shown again (start, sign-in, unlock): the idle time starts now."""
        self._last_input = self.clock()
        self._warned = False
        self.check_idle_lock()

    def check_idle_lock(self) -> None:
        """Lock, warn, or wait until one of them is due, by the guard's clock. The idle timer
        calls this; tests call it directly after moving their fake clock."""
        if self.idle_minutes <= 0 or self.locked or self.app.current_mode == GATE_MODE:
            return  # leaving the gate and unlocking start the idle time again
        idle = self.idle_minutes * 60
        left = idle - (self.clock() - self._last_input)
        if left <= 0:
            self.app.call_later(self.lock, self.idle_minutes)
            return
        warns = idle > 2 * WARN_SECONDS
        if warns and left <= WARN_SECONDS and not self._warned:
            self._warned = True
            self.app.notify(f"The console locks in {int(left)} seconds without input; press any key to stay.",
                            severity="warning", timeout=WARN_SECONDS)
        self._wake_in(left - WARN_SECONDS if warns and not self._warned else left)

    def _wake_in(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(max(seconds, 0.0), self.check_idle_lock, name="idle-lock")

    async def lock(self, minutes: float | None = None) -> None:
        """Show the lock screen and drop every screen that may hold patient data."""
        app = self.app
        if self.locked or app.current_mode == GATE_MODE:
            return
        self.locked = True
        self.links.clear()
        if self._timer is not None:
            self._timer.stop()
        self._mode_before_lock = app.current_mode
        session = app.session
        who = session.user_label if session else "nobody signed in yet"
        server = session.server if session else app.server_label
        app.add_mode(LOCK_MODE, lambda: LockScreen(who=who, server=server, minutes=minutes, demo=app.demo))
        await app.switch_mode(LOCK_MODE)
        app.clear_notifications()  # toasts float above every screen and may name a patient
        await self._drop_screens()

    def unlock(self) -> None:
        self._last_input = self.clock()
        self.app.call_later(self._unlock)

    async def _unlock(self) -> None:
        if not self.locked:
            return
        await self.app.switch_mode(self._mode_before_lock)
        await self.app.remove_mode(LOCK_MODE)
        self.locked = False
        self._restart_idle()

    def unlock_by_sign_in(self) -> None:
        if self.app.demo or self.sign_in is None:
            self.unlock()
            return

        def done(tokens: TokenSet | None) -> None:
            if tokens is not None:
                self.app.run_worker(self._unlock_as(tokens), group="sign-in")

        self.app.push_screen(SignInScreen(self.sign_in, "Sign in again to unlock."), done)

    async def _unlock_as(self, tokens: TokenSet) -> None:
        await self._adopt(tokens)
        self.unlock()
