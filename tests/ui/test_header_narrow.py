"""Issue 15.21: at 80x24 the header keeps the server (first: the question over SSH), the user and
the role; at 100 columns and more each is labelled."""

from __future__ import annotations

from textual.widgets import Label

from jhe_tui.widgets.session_header import SessionHeader


def header_line(app) -> str:
    header = app.screen.query_one(SessionHeader)
    labels = [label for label in header.query(Label) if label.display]
    return " ".join(str(label.content) for label in labels)


async def test_the_header_at_80_columns_shows_server_user_and_role_in_that_order(make_app, settle):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = header_line(app)
        org = app.organization.name
        assert line.index("embedded demo") < line.index("manager@demo.jhe.example") < line.index(f"manager in {org}")
        header = app.screen.query_one(SessionHeader)
        for part in ("#where", "#who"):  # whole; a long organization name ends in an ellipsis
            assert header.query_one(part, Label).region.right <= 80
        assert header.query_one("#role", Label).region.right <= 80


async def test_at_100_columns_each_part_is_labelled(make_app, settle):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        line = header_line(app)
        assert line.index("Server: ") < line.index("User: ") < line.index("Role: ")
