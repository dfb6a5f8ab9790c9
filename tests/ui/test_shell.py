"""The app shell: demo marker, header, organization and study selectors, navigation, help,
palette and quitting."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable, Label, Select

from jhe_tui.app import ScreenActionsProvider
from jhe_tui.dialogs.help import HelpScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.screens.observations import ObservationsScreen
from jhe_tui.screens.organizations import OrganizationsScreen
from jhe_tui.screens.studies import StudiesScreen
from jhe_tui.widgets.paged_table import PagedTable

SIZE = (100, 30)


async def test_demo_opens_on_patients_with_marker_user_and_role(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PatientsScreen)
        header = screen.query_one("SessionHeader")
        assert header.has_class("demo") and screen.query_one("#demo", Label).display
        assert "manager@demo.jhe.example" in str(screen.query_one("#who", Label).content)
        role = str(screen.query_one("#role", Label).content)
        assert role == f"Role: manager in {app.organization.name}"
        assert screen.table.count > 0 and screen.table.data_table.row_count == min(20, screen.table.count)


async def test_organization_selector_lists_only_organizations_with_a_role(make_app, client, settle):
    app = make_app("member")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select = app.screen.query_one("#organization", Select)
        mine = await client.organizations()
        member_orgs = {o.id for o in app.session.organizations}
        assert member_orgs and all(o.current_user_role for o in app.session.organizations)
        assert len(member_orgs) < len(mine)
        assert select.value in member_orgs
        assert "member" in str(app.screen.query_one("#role", Label).content)


async def test_changing_organization_resets_study_and_page(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen: PatientsScreen = app.screen
        first_org = app.organization
        study = screen.studies[0]
        screen.query_one("#study", Select).value = study.id
        await settle(pilot)
        assert screen.study_id == study.id
        filtered = screen.table.count
        screen.table.page = 2  # as if the user had paged on
        other = next(o for o in app.session.organizations if o.id != first_org.id and o.name.startswith("Sleep"))
        screen.query_one("#organization", Select).value = other.id
        await settle(pilot)
        assert app.organization.id == other.id
        assert screen.study_id is None
        assert screen.query_one("#study", Select).value is Select.NULL
        assert screen.table.page == 1
        # The list is the whole new organization, not filtered by the old study.
        assert screen.table.count != filtered
        assert {s.id for s in screen.studies}.isdisjoint({study.id})


async def test_s_opens_the_study_list_and_a_choice_returns_to_the_rows(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen: PatientsScreen = app.screen
        await pilot.press("s")
        select = screen.query_one("#study", Select)
        assert select.expanded
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.study_id == screen.studies[0].id
        assert app.focused is screen.table.data_table


async def test_study_selector_has_every_study_of_the_organization(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = await client.studies(app.organization.id)
        assert [s.id for s in app.screen.studies] == [s.id for s in expected]


async def test_navigation_reaches_every_screen_and_back(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, kind in (("f3", StudiesScreen), ("f4", ObservationsScreen), ("f5", OrganizationsScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind) and app.screen.TITLE == kind.TITLE
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, PatientsScreen)


async def test_help_lists_every_key_of_the_screen(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#keys", DataTable)
        keys = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"a", "e", "d", "+", "-", "u", "f", "b", "o", "s", "r", "n", "p", "g", "z", "space", "m", "f1", "f2", "f3", "^q"} <= keys
        own = {app.get_key_display(b) for b in Binding.make_bindings([*PatientsScreen.BINDINGS, *PagedTable.BINDINGS])
               if b.id}
        assert own | {"f1", "f2", "f3", "^q"} <= keys
        await pilot.press("escape")
        assert isinstance(app.screen, PatientsScreen)


def help_sections(table):
    """The help's rows by section: a section starts with a row that has only its title."""
    sections, title = {}, None
    for i in range(table.row_count):
        key, action, note = (str(cell) for cell in table.get_row_at(i))
        if not key and not action:
            title = note
            sections[title] = []
        else:
            sections[title].append((key, action, note))
    return sections


async def test_help_shows_the_one_key_map_of_every_screen(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        sections = help_sections(app.screen.query_one("#keys", DataTable))
        titles = list(sections)
        assert titles[0] == "Patients: this screen now"
        assert {"Patient record", "Studies (F3)", "Observations (F4)", "Organizations (F5)", "Import (F6)",
                "Paged tables"} <= set(titles)
        record = {key: action for key, action, _ in sections["Patient record"]}
        assert record["+"] == "Enroll" and record["-"] == "From study" and record["y"] == "Copy link"
        assert record["i"] == "Invite" and record["b"] == "Observations"
        assert record.get("⏎", record.get("enter")) == "Consent"
        assert "m" not in {key for key, _, _ in sections["Organizations (F5)"]}
        assert not any(title.startswith("Patients (F2)") for title in titles)  # this screen is the first section


async def test_help_wraps_long_notes_to_the_terminal_width(make_app, settle):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:  # an SSH session's default
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#keys", DataTable)
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.scrollable_content_region.width
        width = table.ordered_columns[2].width
        long = [i for i in range(table.row_count) if len(str(table.get_row_at(i)[2])) > width]
        assert long and all(table.ordered_rows[i].height >= 2 for i in long)
        await pilot.resize_terminal(120, 35)
        await pilot.pause()
        assert table.ordered_columns[2].width > width  # wider terminal, fewer wrapped lines
        await pilot.press("escape", "f6")  # Import: no key is as wide as "Key"
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#keys", DataTable)
        assert all(c.width >= len(str(c.label)) for c in table.columns.values())  # headers whole


async def test_palette_offers_the_screens_actions_and_runs_them(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = ScreenActionsProvider(app.screen)
        texts = [hit.text async for hit in provider.discover()]
        assert "Add (a)" in texts and "Next page (n)" in texts and "Help (f1)" in texts
        hits = [hit async for hit in provider.search("next page")]
        await hits[0].command()
        await settle(pilot)
        assert app.screen.table.page == 2


async def test_ctrl_q_quits(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
