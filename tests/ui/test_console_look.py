"""A console that respects its owner (issue 18): the theme picked survives a restart, --theme is for
one run, a remapped key survives a restart and shows in F1, no default key is a multiplexer's prefix
or one a terminal eats, and F8 saves a private screenshot only in privacy mode."""

from __future__ import annotations

import stat

import pytest

from jhe_tui.cli import EXIT_USAGE, main
from jhe_tui.commands.connect import ConfigurationError
from jhe_tui.commands.console import look
from jhe_tui.dialogs.add_patient import AddPatientModal
from jhe_tui.dialogs.help import HelpScreen
from jhe_tui.keymap import binding_ids, console_bindings
from jhe_tui.local import profiles, screenshots
from tests.ui.waiting import eventually

SIZE = (100, 30)
OWNERS_FILE = """\
# my clinic's settings: keep this comment
[settings]
idle_lock_minutes = 5   # short: shared desk
zoom = "big"            # not jhe-tui's

[keymap]
"patients.add" = "insert"
"""


def _owners_file() -> None:
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text(OWNERS_FILE)


async def _pick_theme(pilot, settle, name: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"theme", "enter")
    await settle(pilot)
    await pilot.press(*name)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_the_theme_picked_is_the_one_the_next_start_opens_with(make_app, settle):
    _owners_file()
    theme, keymap = look(None)
    assert theme is None
    app = make_app(theme=theme, keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _pick_theme(pilot, settle, "high-contrast")
        assert app.theme == "high-contrast"
    text = profiles.path().read_text()
    assert text.startswith(OWNERS_FILE.splitlines()[0])
    for kept in ("idle_lock_minutes = 5   # short: shared desk", 'zoom = "big"', '"patients.add" = "insert"'):
        assert kept in text, kept
    assert stat.S_IMODE(profiles.path().stat().st_mode) == 0o600

    theme, keymap = look(None)  # the restart: what the console command reads when it starts
    again = make_app(theme=theme, keymap=keymap)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "high-contrast"


async def test_a_theme_given_at_start_is_not_written(make_app, settle):
    _owners_file()
    theme, keymap = look("textual-light")
    app = make_app(theme=theme, keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"
    assert profiles.path().read_text() == OWNERS_FILE


def test_an_unknown_theme_is_one_sentence_and_changes_nothing(capsys):
    assert main(["--demo", "--theme", "neon"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--theme" in err and "'neon'" in err and "high-contrast" in err and err.count("\n") == 1
    assert not profiles.path().exists()


async def test_a_remapped_key_survives_a_restart_and_f1_shows_it(make_app, settle):
    _owners_file()
    for _ in range(2):  # the second start reads the same file: nothing was lost by the first
        theme, keymap = look(None)
        app = make_app(theme=theme, keymap=keymap)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert not isinstance(app.screen, AddPatientModal)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            entries = {(key, action): note for key, action, note in app.screen.entries()}
            assert "[patients.add]" in entries[("insert", "Add")]
            assert ("a", "Add") not in entries
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("insert")
            await settle(pilot)
            assert isinstance(app.screen, AddPatientModal)
            hint = " ".join(str(label.content) for label in app.screen.query(".dialog-hint"))
            assert "ctrl+j" in hint and "ctrl+r" in hint


def test_a_keymap_with_an_id_no_key_has_is_refused_in_one_sentence():
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text('[keymap]\n"patients.ad" = "insert"\n')
    with pytest.raises(ConfigurationError, match="'patients.ad'.*F1 shows"):
        look(None)
    profiles.path().write_text('[keymap]\n"patients.add" = 3\n')
    with pytest.raises(ConfigurationError, match="bad \\[keymap\\] entry 'patients.add'"):
        look(None)


def test_no_default_key_is_a_multiplexer_prefix_or_eaten_by_terminals():
    taken = {(cls.__name__, binding.id) for cls, binding in console_bindings()
             if binding.key in ("ctrl+b", "ctrl+s", "ctrl+o")}
    assert taken == set()
    assert {"add.submit", "add.back", "confirm.ok", "lock.sign_in", "signin.open", "app.screenshot"} <= binding_ids()


async def test_a_screenshot_is_refused_outside_privacy_mode_then_saved_privately(make_app, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient = app.screen.table.cursor_item
        await pilot.press("f8")
        await settle(pilot)
        assert any(t.startswith("No screenshot: one is taken only in privacy mode") and "press f9 first" in t.lower()
                   for t in toasts)
        assert not screenshots.directory().exists()
        await pilot.press("f9")
        assert await eventually(pilot, lambda: patient.name_family not in str(app.export_screenshot()))
        await pilot.press("f8")
        await settle(pilot)
        (file,) = screenshots.directory().iterdir()
        assert any(str(file) in t for t in toasts)
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
        svg = file.read_text()
        assert svg.startswith("<svg") and "•••" in svg and patient.name_family not in svg


def test_the_readme_lists_every_binding_id():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    missing = sorted(i for i in binding_ids() if f"`{i}`" not in readme)
    assert missing == []
