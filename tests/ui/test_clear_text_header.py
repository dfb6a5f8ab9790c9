"""The console says, for the whole session and on every screen, when tokens and patient data
travel unencrypted (plain http:// to another machine), as it does for --insecure."""

from __future__ import annotations

import pytest
from textual.widgets import Label

from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.app import JheApp

SIZE = (120, 30)


@pytest.mark.parametrize(("url", "shown"), [("http://jhe.clinic.example", True),
                                            ("https://jhe.clinic.example", False),
                                            ("http://127.0.0.1:8765", False)])
async def test_the_header_marks_a_session_in_clear(backend, settle, url, shown):
    client = JheClient(url, backend.token_for("manager"), transport=ASGITransport(app=backend.app))
    app = JheApp(client, server_url=url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.screen.query_one("SessionHeader")
        label = header.query_one("#clear", Label)
        assert header.has_class("clear") is shown
        assert label.display is shown
        if shown:
            assert "NOT ENCRYPTED" in str(label.content) and label.region.width > 0
