"""The idle lock holds: under it, no App key, palette command, help, mode switch or toast brings
any patient datum back, the lock is still in force afterwards, and a later idle period locks
again. Every App binding (Textual's, ours, the palette's) is pressed, with and without a PIN."""

from __future__ import annotations

import contextlib

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Input

from jhe_tui.local import pin
from jhe_tui.app import JheApp, ScreenActionsProvider
from jhe_tui.session_guard import LOCK_MODE
from jhe_tui.screens.lock import LockScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.widgets.paged_table import PagedTable

SIZE = (100, 30)
# Keys with a meaning anywhere in the console (F-keys, palette, help, quit, privacy, lock).
EXTRA_KEYS = [f"f{n}" for n in range(1, 13)] + ["ctrl+p", "ctrl+c", "question_mark", "escape"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app_keys(app: JheApp) -> list[str]:
    """Every key bound on the App, ours and Textual's, plus the palette's."""
    keys = [b.key for b in [*JheApp.BINDINGS, *App.BINDINGS]]  # type: ignore[union-attr]
    keys += [app.COMMAND_PALETTE_BINDING, *EXTRA_KEYS]
    # ctrl+q goes last: if it were obeyed, the app would be gone and the test would say so.
    ordered = sorted(dict.fromkeys(keys), key=lambda key: key == "ctrl+q")
    return ordered


def _patient_data(app: JheApp) -> set[str]:
    table = app.screen.query_one(PagedTable)
    data: set[str] = set()
    for patient in (row.item for row in table.shown_rows):
        data |= {value for value in (patient.name_family, patient.name_given, patient.telecom_email,
                                     patient.birth_date and str(patient.birth_date)) if value}
    return data


def held_screens(app: JheApp) -> list[Screen[object]]:
    """Every screen the console holds, in every mode."""
    held: list[Screen[object]] = []
    for mode in (*app.MODES, LOCK_MODE):
        with contextlib.suppress(KeyError):  # a mode with no screens: never opened, or removed
            held += app.get_screen_stack(mode)
    return held


def _on_screen(app: JheApp, toasts: list[str]) -> str:
    """What the terminal would show now: the rendered screen plus any toast."""
    return app.export_screenshot() + " ".join(toasts)


def _assert_still_locked(app: JheApp, toasts: list[str], data: set[str], after: str) -> None:
    assert app.guard.locked, f"unlocked by {after}"
    assert isinstance(app.screen, LockScreen), f"{after} left the lock screen for {app.screen!r}"
    assert not CommandPalette.is_open(app), f"{after} opened the command palette"
    assert held_screens(app) == [app.screen], after
    shown = _on_screen(app, toasts)
    leaked = sorted(datum for datum in data if datum in shown)
    assert not leaked, f"{after} showed patient data: {leaked[:3]}"


@pytest.mark.parametrize("with_pin", [False, True], ids=["sign-in", "pin"])
async def test_no_app_key_or_palette_command_acts_under_the_lock(make_app, settle, toasts, with_pin):
    if with_pin:
        pin.save("2468")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        data = _patient_data(app)
        assert data and any(datum in _on_screen(app, toasts) for datum in data)
        # The palette's commands as the patients screen offers them, to be tried under the lock.
        before_actions = [info.action for info in ScreenActionsProvider._actions_of(app.screen)]
        before_system = [command.callback for command in app.get_system_commands(app.screen)]
        assert "switch_mode('patients')" in before_actions and before_system

        await pilot.press("ctrl+l")
        await settle(pilot)
        _assert_still_locked(app, toasts, data, "ctrl+l")

        tried = 0
        for key in _app_keys(app):
            await pilot.press(key)
            await settle(pilot)
            _assert_still_locked(app, toasts, data, key)
            tried += 1
        # The palette cannot be opened by its action either, and has nothing to offer if it were.
        app.action_command_palette()
        await settle(pilot)
        _assert_still_locked(app, toasts, data, "action_command_palette")
        assert list(app.get_system_commands(app.screen)) == []
        assert {info.action for info in ScreenActionsProvider._actions_of(app.screen)} <= {"sign_in"}
        for action in before_actions:
            await app.run_action(action)
            await settle(pilot)
            _assert_still_locked(app, toasts, data, action)
            tried += 1
        app.notify(f"Patient {sorted(data)[0]} saved")  # a late toast from work started before the lock
        _assert_still_locked(app, toasts, data, "a notification")
        assert tried >= len(JheApp.BINDINGS) + len(before_actions)

        # The lock's own way out still works, and the console comes back whole.
        if with_pin:
            app.screen.query_one("#pin", Input).value = ""  # "?" went into the PIN box
            await pilot.press("2", "4", "6", "8", "enter")
        else:
            await pilot.press("ctrl+r")  # the demo unlocks without a sign-in
        await settle(pilot)
        assert not app.guard.locked and isinstance(app.screen, PatientsScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "studies"


async def test_a_second_idle_period_locks_again_after_an_unlock(make_app, settle):
    clock = Clock()
    app = make_app(idle_minutes=10, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for round_ in range(2):
            clock.now += 11 * 60
            app.guard.check_idle_lock()
            await settle(pilot)
            assert app.guard.locked and isinstance(app.screen, LockScreen), f"idle period {round_ + 1} did not lock"
            await pilot.press("f2")  # refused: still locked
            await settle(pilot)
            assert isinstance(app.screen, LockScreen)
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert not app.guard.locked and isinstance(app.screen, PatientsScreen)


async def test_the_idle_lock_wakes_only_when_the_warning_or_the_lock_is_due(make_app, settle, toasts, monkeypatch):
    """No polling: one timer, set for the moment the guard's clock says the warning or the lock is
    due, and set again from the last key when it wakes early."""
    clock = Clock()
    app = make_app(idle_minutes=10, clock=clock)
    wakes: list[float] = []
    set_timer = app.set_timer

    def watched(delay, callback=None, *, name=None, pause=False):
        if name == "idle-lock":
            wakes.append(delay)
        return set_timer(delay, callback, name=name, pause=pause)

    monkeypatch.setattr(app, "set_timer", watched)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert wakes == [570]  # the warning, 30 s before the lock at 10 minutes
        clock.now += 300
        await pilot.press("down")  # a key 300 s in: the next 10 minutes count from here
        clock.now += 270
        app.guard.check_idle_lock()  # what the timer does when it wakes, 570 s in
        assert wakes[-1] == 300 and not toasts and not app.guard.locked
        clock.now += 300
        app.guard.check_idle_lock()
        assert wakes[-1] == 30 and any("locks in 30 seconds" in message for message in toasts)
        clock.now += 30
        app.guard.check_idle_lock()
        await settle(pilot)
        assert app.guard.locked and isinstance(app.screen, LockScreen) and len(wakes) == 3
