"""The organization has one owner, the App: a choice made on one screen is what every other screen
shows when the user comes back to it (selector, rows, header role, where Add creates), and no
placeholder can be chosen in a selector."""

from __future__ import annotations

from textual.widgets import Label, OptionList, Select

from jhe_tui.api import Organization
from jhe_tui.app import JheApp
from jhe_tui.dialogs.add_patient import AddPatientModal
from jhe_tui.screens.import_screen import ImportScreen
from jhe_tui.screens.observations import ObservationsScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.screens.studies import StudiesScreen
from jhe_tui.widgets.paged_table import PagedTable
from jhe_tui.widgets.session_header import SessionHeader

SIZE = (100, 30)
FIRST, OTHER = 20003, 20001


def _header_role(app: JheApp) -> str:
    return str(app.screen.query_one(SessionHeader).query_one("#role", Label).content)


def _choices(select: Select) -> list[str]:
    """What the selector's list offers, as the user reads it."""
    return [str(option.prompt) for option in select.query_one(OptionList).options]


def _name(app: JheApp, org_id: object) -> str:
    assert app.session is not None
    return next(org.name for org in app.session.organizations if org.id == org_id)


async def _choose(pilot, settle, app: JheApp, org_id: int) -> None:
    """Choose an organization as the user does: open the selector, move to it, Enter."""
    select = app.screen.query_one("#organization", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    wanted, current = (_choices(select).index(_name(app, value)) for value in (org_id, select.value))
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
    if isinstance(screen, ImportScreen):
        studies = await client.studies(org.id)
        assert {s.id for s in screen.studies} == {s.id for s in studies}
        offered = set(_choices(screen.query_one("#import-study", Select))) - {"No study"}
        assert offered == {f"{s.name} ({s.id})" for s in studies}


async def _visit(pilot, settle, app: JheApp, client, org: Organization, keys: tuple[str, ...]) -> None:
    """Each screen of ``keys`` in turn shows ``org``."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
        await _assert_shows(app, client, org)


async def _assert_add_creates_in(pilot, settle, app: JheApp, org_id: int) -> None:
    """Add, on the patients screen, would create the patient in ``org_id``."""
    await pilot.press("f2")
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(app.screen, AddPatientModal) and app.screen._org.id == org_id
    await pilot.press("escape")
    await settle(pilot)


async def test_an_organization_chosen_on_one_screen_is_the_one_every_screen_shows(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        orgs = {org.id: org for org in app.session.organizations}
        assert app.organization.id == FIRST
        await pilot.press("f4")  # visit Observations, Import and Studies while on the first organization
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await _assert_shows(app, client, orgs[FIRST])
        await _choose(pilot, settle, app, OTHER)
        await _assert_shows(app, client, orgs[OTHER])
        await _visit(pilot, settle, app, client, orgs[OTHER], ("f2", "f4", "f6", "f3"))
        await _assert_add_creates_in(pilot, settle, app, OTHER)
        # And back, chosen on the patients screen this time.
        await _choose(pilot, settle, app, FIRST)
        await _visit(pilot, settle, app, client, orgs[FIRST], ("f3", "f4", "f6", "f2"))


async def test_an_organization_chosen_on_the_import_screen_is_the_one_every_screen_shows(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        orgs = {org.id: org for org in app.session.organizations}
        await _visit(pilot, settle, app, client, orgs[FIRST], ("f6",))
        await _choose(pilot, settle, app, OTHER)
        await _assert_shows(app, client, orgs[OTHER])
        await _visit(pilot, settle, app, client, orgs[OTHER], ("f2", "f3", "f4"))
        await _assert_add_creates_in(pilot, settle, app, OTHER)


async def test_no_placeholder_can_be_chosen_in_the_organization_selector(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("f2", "f3", "f4", "f6"):
            await pilot.press(key)
            await settle(pilot)
            select = app.screen.query_one("#organization", Select)
            assert sorted(_choices(select)) == sorted(org.name for org in app.session.organizations)
