"""Organizations (F5) administration as a practitioner does it: a sub-organization, a member
added by e-mail, a role changed, a member removed, a delete with its preview; and a viewer, for
whom every one of these keys is off with the reason."""

from __future__ import annotations

import sqlite3

from textual.widgets import DataTable, Input, OptionList, Tree

from jhe_tui.dialogs.admin_form import AdminFormModal
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.screens.base import disabled_key_notice, screen_actions
from jhe_tui.screens.organizations import OrganizationsScreen
from tests.ui.test_organizations_keys import open_organizations

SIZE = (100, 30)


def node_of(screen: OrganizationsScreen, org_id: int):
    def walk(node):
        for child in node.children:
            yield child
            yield from walk(child)

    return next(n for n in walk(screen.query_one("#org-tree", Tree).root) if n.data.id == org_id)


async def highlight(pilot, settle, screen, org_id: int) -> None:
    screen.query_one("#org-tree", Tree).move_cursor(node_of(screen, org_id))
    await settle(pilot)


async def fill_form(pilot, settle, key: str, field: str, value: str, submit: str = "enter") -> None:
    """Open a form with ``key``, type ``value`` into ``field`` and submit it."""
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, AdminFormModal)
    pilot.app.screen.query_one(f"#field-{field}", Input).value = value
    await pilot.press(submit)
    await settle(pilot)


async def test_create_add_a_member_change_the_role_and_remove(make_app, settle, client, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        await highlight(pilot, settle, screen, 20003)
        await fill_form(pilot, settle, "c", "name", "Sleep Lab")
        created = next(o for o in await client.organizations() if o.name == "Sleep Lab")
        assert created.part_of == 20003 and any("you are its manager" in t for t in toasts)
        await settle(pilot)
        assert screen.highlighted.id == created.id  # the new one is highlighted, ready for its members
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-email", Input).value = "nobody@example.org"
        await pilot.press("enter")
        await settle(pilot)
        assert "No user has this e-mail" in str(form.query_one("#problem").render())  # said in the dialog
        form.query_one("#field-email", Input).value = "member@demo.jhe.example"
        await pilot.press("enter")
        await settle(pilot)
        assert [(m.id, m.role) for m in await client.organization_members(created.id)] == [(10002, "member"),
                                                                                            (10001, "manager")]
        screen.query_one("#members", DataTable).focus()
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        app.screen.query_one(OptionList).highlighted = 2  # viewer
        await pilot.press("enter")
        await settle(pilot)
        assert (await client.organization_members(created.id))[0].role == "viewer"
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert [m.id for m in await client.organization_members(created.id)] == [10001]


async def test_the_last_manager_cannot_be_removed(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        await highlight(pilot, settle, screen, 20003)
        table = screen.query_one("#members", DataTable)
        table.focus()
        table.move_cursor(row=[m.id for m in screen.members].index(10001))
        await settle(pilot)
        notice = disabled_key_notice(screen, "d")
        assert notice and "Morgan Reyes is the organization's last manager" in notice


async def test_delete_shows_what_goes_first(make_app, settle, client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        await highlight(pilot, settle, screen, 20004)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        text = str(app.screen.query_one(".dialog-line").render())
        assert "Sleep and Activity Lab (organization 20004) is deleted" in text and "Sleep and Steps Study" in text
        await pilot.press(*"20004", "enter")
        await settle(pilot)
        assert 20004 not in {o.id for o in await client.organizations()}


async def test_a_viewer_sees_every_administration_key_off_with_the_reason(make_app, settle):
    app = make_app("viewer")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        await highlight(pilot, settle, screen, 20003)
        actions = {info.action: info for info in screen_actions(screen)}
        for action in ("create_child", "edit", "delete_organization", "add_member", "remove_member"):
            assert not actions[action].enabled and actions[action].reason, action
        assert "takes its manager" in actions["add_member"].reason
        assert "takes a manager of School of Public Health" in actions["delete_organization"].reason
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen  # nothing opened


async def test_a_superuser_creates_a_top_level_organization(make_app, settle, backend, toasts):
    # The superuser has no role anywhere, so nothing is highlighted: `c` offers a top-level one.
    app = make_app("superuser")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        assert screen.disabled_reason("create_child") is None
        await fill_form(pilot, settle, "c", "name", "Northside Clinic", submit="ctrl+j")
        assert not isinstance(app.screen, AdminFormModal), str(app.screen.query_one("#problem").render())
        with sqlite3.connect(backend.db_path) as conn:
            assert conn.execute("SELECT part_of FROM organization WHERE name = 'Northside Clinic'").fetchall() == [(0,)]
        assert any("at the top level; you are its manager" in t for t in toasts)
