"""Practitioner API keys (K on Organizations): create one (shown once, copied with y, never
written to a file), sign in with it, revoke it."""

from __future__ import annotations

import base64

from jhe_tui.dialogs.api_keys import ApiKeysModal
from jhe_tui.dialogs.confirm import ConfirmModal
from tests.ui.test_organization_admin import fill_form
from tests.ui.test_organizations_keys import open_organizations

SIZE = (100, 30)


async def open_keys(pilot, settle) -> ApiKeysModal:
    await open_organizations(pilot, settle)
    await pilot.press("K")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApiKeysModal)
    return pilot.app.screen


async def test_create_copy_and_revoke(make_app, settle, tmp_path, monkeypatch):
    copied: list[str] = []
    app = make_app("member")
    monkeypatch.setattr(type(app), "copy_to_clipboard", lambda self, text: copied.append(text))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_keys(pilot, settle)
        await fill_form(pilot, settle, "c", "label", "laptop")
        assert app.screen is dialog
        await pilot.press("y")
        assert len(copied) == 1 and ":" in base64.b64decode(copied[0]).decode()
        assert copied[0] in str(dialog.query_one("#secret").render())
        # Never written anywhere jhe-tui keeps files.
        assert not any(copied[0] in p.read_text(errors="ignore") for p in tmp_path.rglob("*")
                       if p.is_file() and p.suffix in (".toml", ".json", ".jsonl", ".log", ""))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert dialog._keys == []
        await pilot.press("escape")
        assert not isinstance(app.screen, ApiKeysModal)
