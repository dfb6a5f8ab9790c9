"""What keeps the start and a flip quick, checked without a clock: the console imports only what
the first page needs (every other screen, its dialogs and charts, and the sign-in's OAuth library
load when first used), yet the keymap check knows every screen's keys; and the footer is rebuilt
only when the keys it shows change."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from jhe_tui.app import JheApp

SIZE = (100, 30)

NOT_AT_START = (
    "jhe_tui.screens.patient_detail", "jhe_tui.screens.studies", "jhe_tui.screens.observations",
    "jhe_tui.screens.organizations", "jhe_tui.screens.import_screen", "jhe_tui.screens.followup_desk",
    "jhe_tui.dialogs.chart", "jhe_tui.dialogs.export", "plotext", "authlib",
)


def test_the_first_page_imports_no_other_screen():
    code = (
        "import sys\n"
        "import jhe_tui.app, jhe_tui.screens.patients\n"
        f"print(' '.join(sorted(m for m in {NOT_AT_START!r} if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


async def test_every_screen_still_opens_and_help_lists_them(make_app, settle):
    app: JheApp = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, screen in (("f3", "StudiesScreen"), ("f4", "ObservationsScreen"), ("f5", "OrganizationsScreen"),
                            ("f6", "ImportScreen"), ("f7", "FollowUpScreen"), ("f2", "PatientsScreen")):
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == screen
        await pilot.press("f1")
        await settle(pilot)
        shown = app.screen.query_one("#keys").get_row_at  # the help dialog's key table
        titles = {str(shown(i)[2]) for i in range(app.screen.query_one("#keys").row_count)}
        assert {"Patient record", "Follow-up (F7)", "Paged tables"} <= titles


def _keys(app: JheApp) -> list[FooterKey]:
    return list(app.screen.query_one(Footer).query(FooterKey))


async def test_the_footer_is_not_rebuilt_when_its_keys_stay_the_same(make_app, settle):
    app: JheApp = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = _keys(app)
        assert before
        app.screen.refresh_bindings()  # what every focus move and organization change asks
        await settle(pilot)
        assert all(a is b for a, b in zip(_keys(app), before, strict=True))
        # Keys that do change are shown: the page box has no "Open" of its own.
        await pilot.press("g")
        await settle(pilot)
        assert "Open" not in [key.description for key in _keys(app)]
        await pilot.press("escape")
        await settle(pilot)
        assert [key.description for key in _keys(app)] == [key.description for key in before]


def test_the_keymap_knows_the_keys_of_screens_not_opened_yet():
    """In a fresh interpreter, as at start: ids of screens whose modules are not loaded yet are
    known, and an unknown one is still refused."""
    code = (
        "from jhe_tui.keymap import unknown_ids\n"
        "print(unknown_ids({'observations.detail': 'w', 'patients.add': 'insert'}))\n"
        "print(unknown_ids({'observations.typo': 'w'}) is not None)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["None", "True"]
