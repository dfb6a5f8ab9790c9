"""The organization has one owner, the App: a choice made on one screen is what every other screen
shows when the user comes back to it (selector, rows, header role, where Add creates), and no
placeholder can be chosen in a selector."""

from __future__ import annotations

from textual.widgets import Label, Select

from jhe_tui.api import Organization
from jhe_tui.app import JheApp
from jhe_tui.screens.add_patient import AddPatientModal
from jhe_tui.screens.observations import ObservationsScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.screens.studies import StudiesScreen
from jhe_tui.widgets.paged_table import PagedTable
from jhe_tui.widgets.session_header import SessionHeader

SIZE = (100, 30)
FIRST, OTHER = 20003, 20001


def _header_role(app: JheApp) -> str:
    return str(app.screen.query_one(SessionHeader).query_one("#role", Label).content)


async def _choose(pilot, settle, app: JheApp, org_id: int) -> None:
    """Choose an organization as the user does: open the selector, move to it, Enter."""
    select = app.screen.query_one("#organization", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    wanted = next(i for i, (_, value) in enumerate(select._options) if value == org_id)
    current = next(i for i, (_, value) in enumerate(select._options) if value == select.value)
    await pilot.press(*(["down"] * (wanted - current) if wanted > current else ["up"] * (current - wanted)))
    await pilot.press("enter")
    await settle(pilot)


async def _assert_shows(app: JheApp, client, org: Organization) -> None:
    screen = app.screen
    assert app.organization is not None and app.organization.id == org.id
    assert screen.query_one("#organization", Select).value == org.id, type(screen).__name__
    assert _header_role(app) == f"Role: {org.current_user_role} in {org.name}"
    if isinstance(screen, PatientsScreen):
        expected = {p.id async for p in client.iter_patients(org.id)}
        table = screen.query_one(PagedTable)
        assert table.count == len(expected)
        assert {row.item.id for row in table.shown_rows} <= expected
    if isinstance(screen, StudiesScreen):
        assert {s.id for s in screen.studies} == {s.id for s in await client.studies(org.id)}
    if isinstance(screen, ObservationsScreen):
        assert screen.query_ is not None and screen.query_.organization_id == org.id


async def test_an_organization_chosen_on_one_screen_is_the_one_every_screen_shows(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        orgs = {org.id: org for org in app.session.organizations}
        assert app.organization.id == FIRST
        await pilot.press("f4")  # visit Observations and Studies while on the first organization
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await _assert_shows(app, client, orgs[FIRST])
        await _choose(pilot, settle, app, OTHER)
        await _assert_shows(app, client, orgs[OTHER])
        for key in ("f2", "f4", "f3"):
            await pilot.press(key)
            await settle(pilot)
            await _assert_shows(app, client, orgs[OTHER])
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddPatientModal) and app.screen._org.id == OTHER
        await pilot.press("escape")
        await settle(pilot)
        # And back, chosen on the patients screen this time.
        await _choose(pilot, settle, app, FIRST)
        for key in ("f3", "f4", "f2"):
            await pilot.press(key)
            await settle(pilot)
            await _assert_shows(app, client, orgs[FIRST])


async def test_no_placeholder_can_be_chosen_in_the_organization_selector(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("f2", "f3", "f4"):
            await pilot.press(key)
            await settle(pilot)
            select = app.screen.query_one("#organization", Select)
            values = [value for _, value in select._options]
            assert Select.NULL not in values and set(values) == {o.id for o in app.session.organizations}
