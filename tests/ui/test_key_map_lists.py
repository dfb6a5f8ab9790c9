"""The one key map (issue 15.19) on the Patients list and Studies: each key means one thing."""

from __future__ import annotations

from textual.widgets import Select

from jhe_tui.screens.base import screen_actions
from jhe_tui.screens.studies import StudiesScreen

SIZE = (100, 30)


def keys(screen) -> dict[str, str]:
    return {info.key: info.action for info in screen_actions(screen)}


async def test_patients_list_keys(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bound = keys(app.screen)
        for key, action in {"a": "add", "e": "edit", "d": "remove", "+": "enroll", "-": "unenroll",
                            "/": "find", "f": "filter", "<": "sort(-1)", ">": "sort(1)", "u": "untick_all",
                            "home": "scroll_top", "end": "scroll_bottom", "space": "toggle_row"}.items():
            assert bound.get(key) == action, key
        assert "i" not in bound


async def test_studies_keys_and_empty_states(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudiesScreen)
        bound = keys(screen)
        for key, action in {"+": "enroll", "-": "unenroll", "b": "observations", "q": "only_silent",
                            "f": "focus('#silent-days')"}.items():
            assert bound.get(key) == action, key
        for gone in ("i", "d", "y", "k", "l"):
            assert gone not in bound, gone
        riverside = next(o for o in app.session.organizations if o.name == "Riverside University")
        screen.query_one("#organization", Select).value = riverside.id
        await settle(pilot)
        info = str(screen.query_one("#study-info").content)
        assert info.startswith("Riverside University has no studies.")


async def test_b_on_the_list_opens_the_patients_observations(make_app, settle):
    from jhe_tui.screens.observations import ObservationsScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient = app.screen.table.cursor_item
        await pilot.press("b")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, ObservationsScreen)
        assert app.screen.query_.patient_id == patient.id


async def test_an_empty_roster_says_plus_enrolls(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        study = next(s for s in await client.studies(org.id) if s.name.startswith("Glucose"))
        await client.unenroll_patients(study.id, [p.id async for p in client.iter_patients(org.id, study.id)])
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        screen._open_study(study)
        await settle(pilot)
        summary = str(screen.query_one("#roster-summary").content)
        assert summary == f"No patient is enrolled in {study.name} yet. + enrolls patients of {org.name}."
