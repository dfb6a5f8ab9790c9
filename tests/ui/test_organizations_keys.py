"""Organizations (F5) on the key map: tab moves between the tree and the members (no m or t keys),
and Enter on an organization where the user has a role makes it current for every screen."""

from __future__ import annotations

from textual.widgets import Select, Tree

from jhe_tui.screens.base import screen_actions
from jhe_tui.screens.organizations import OrganizationsScreen
from jhe_tui.screens.patients import PatientsScreen

SIZE = (100, 30)


async def open_organizations(pilot, settle):
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await settle(pilot)
    assert isinstance(pilot.app.screen, OrganizationsScreen)
    return pilot.app.screen


def nodes(tree):
    def walk(node):
        for child in node.children:
            yield child
            yield from walk(child)

    return list(walk(tree.root))


async def test_tab_moves_between_tree_and_members_and_m_t_are_gone(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        assert {info.key for info in screen_actions(screen)}.isdisjoint({"m", "t"})
        assert app.focused.id == "org-tree"
        await pilot.press("tab")
        assert app.focused.id == "members"
        await pilot.press("shift+tab")
        assert app.focused.id == "org-tree"


async def test_enter_makes_an_organization_current_for_every_screen(make_app, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_organizations(pilot, settle)
        tree = screen.query_one("#org-tree", Tree)
        first = app.organization
        mine = {o.id for o in app.session.organizations}
        other = next(n for n in nodes(tree) if n.data.id in mine and n.data.id != first.id)
        tree.move_cursor(other)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.organization.id == other.data.id
        assert any("current" in t for t in toasts)
        assert other.is_expanded or not other.children  # Enter chose it, it did not fold it
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert app.screen.query_one("#organization", Select).value == other.data.id
        # An organization without a role cannot be current: said so, nothing changes.
        await pilot.press("f5")
        await settle(pilot)
        stranger = next((n for n in nodes(tree) if n.data.id not in mine), None)
        if stranger is not None:
            tree.move_cursor(stranger)
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert app.organization.id == other.data.id
            assert "no role" in toasts[-1]
