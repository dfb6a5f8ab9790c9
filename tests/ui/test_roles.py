"""A viewer sees every write disabled, with the reason; a member may write."""

from __future__ import annotations

from textual.widgets import Static

from jhe_tui.screens.base import screen_actions
from jhe_tui.dialogs.help import HelpScreen
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.screens.patients import PatientsScreen

SIZE = (100, 30)
PATIENT_WRITES = {"add", "edit", "remove", "enroll", "unenroll"}
DETAIL_WRITES = {"edit", "remove", "invite", "consent"}


def disabled(screen):
    return {info.action: info.reason for info in screen_actions(screen) if not info.enabled}


async def test_viewer_cannot_write_and_is_told_why(make_app, client, settle):
    app = make_app("viewer")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert app.role == "viewer" and not app.can_write
        notice = screen.query_one("#notice", Static)
        assert notice.has_class("shown") and "viewer" in str(notice.content)
        off = disabled(screen)
        assert PATIENT_WRITES <= set(off)
        assert all("viewers can look but not change" in off[action] for action in PATIENT_WRITES)
        before = (await client.patients(organization_id=app.organization.id)).count
        for key in ("a", "e", "d", "i", "u"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen  # no dialog opened
        # Help names the reason; the palette does not offer the writes at all.
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_rows = app.screen.query_one("#keys")
        notes = [str(help_rows.get_row_at(i)[2]) for i in range(help_rows.row_count)]
        assert sum("unavailable: your role in" in note for note in notes) >= len(PATIENT_WRITES)
        await pilot.press("escape")
        offered = {info.action for info in screen_actions(screen) if info.enabled}
        assert offered.isdisjoint(PATIENT_WRITES)
        # The record: reading works, every write is off.
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, PatientDetailScreen) and detail.patient is not None
        assert DETAIL_WRITES <= set(disabled(detail))
        for key in ("enter", "i", "e", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is detail
        assert (await client.patients(organization_id=app.organization.id)).count == before


async def test_member_may_write(make_app, settle):
    app = make_app("member")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen) and app.role == "member"
        assert not app.screen.query_one("#notice", Static).has_class("shown")
        assert PATIENT_WRITES.isdisjoint(disabled(app.screen))


async def test_a_disabled_key_says_why_and_the_footer_strikes_it(make_app, settle, toasts):
    app = make_app("viewer")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization.name
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.__class__ is PatientsScreen
        assert toasts, "pressing a disabled key gave no feedback"
        assert "Add" in toasts[-1] and "viewer" in toasts[-1] and f"ask a manager of {org}" in toasts[-1]
        # Not by colour alone: the label of a disabled key is struck through (it reads so under NO_COLOR too).
        keys = {key.description: key for key in app.screen.query("FooterKey")}
        assert keys["Add"].has_class("-disabled")
        assert keys["Add"].get_component_rich_style("footer-key--description").strike
        assert not keys["Find"].get_component_rich_style("footer-key--description").strike
        # An enabled key says nothing of the kind.
        shown = len(toasts)
        await pilot.press("slash")
        await pilot.pause()
        assert len(toasts) == shown


async def test_a_key_disabled_for_another_reason_says_that_reason(make_app, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientDetailScreen)
        await pilot.press("y")  # copy the link again: there is none yet
        await pilot.pause()
        assert toasts and "generate a link first" in toasts[-1]
