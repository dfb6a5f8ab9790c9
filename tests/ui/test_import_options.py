"""The Import screen's options (issue 15 item 6): each says its state in text, [x] or [ ], so on
and off differ without colour (NO_COLOR too), and a focused one keeps its label."""

from __future__ import annotations

from textual.widgets import Checkbox

from tests.ui.test_import_screen import SIZE, cohort, open_import


async def test_options_say_their_state_and_keep_their_label_when_focused(make_app, settle, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        invite, email = screen.query_one("#import-invite", Checkbox), screen.query_one("#import-email", Checkbox)
        assert str(invite.render()).strip() == "[ ] Invite"
        email.focus()
        await settle(pilot)
        assert email.content_region.height == 1 and str(email.render()).strip() == "[ ] E-mail"
        await pilot.press("space")
        await settle(pilot)
        assert str(email.render()).strip() == "[x] E-mail" and str(invite.render()).strip() == "[x] Invite"
        assert email.content_region.height == 1
