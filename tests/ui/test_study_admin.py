"""Studies (F3) set up as a practitioner does it: create (the server's refusal of an empty
description shown in place), a data type added with the re-consent warning and removed, a data
source added, a delete with its preview; and a viewer, for whom every set-up key is off."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from jhe_tui.dialogs.admin_form import AdminFormModal
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.screens.base import screen_actions
from jhe_tui.screens.studies import StudiesScreen

SIZE = (100, 30)


async def open_studies(pilot, settle) -> StudiesScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StudiesScreen)
    return pilot.app.screen


async def choose(pilot, settle, label_start: str) -> None:
    options = pilot.app.screen.query_one(OptionList)
    options.highlighted = next(i for i in range(options.option_count)
                               if str(options.get_option_at_index(i).prompt).startswith(label_start))
    await pilot.press("enter")
    await settle(pilot)


async def test_create_a_study_then_its_data_types_and_sources(make_app, settle, client, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_studies(pilot, settle)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AdminFormModal)
        form.query_one("#field-name", Input).value = "Sleep Study"
        form.query_one("#field-description", Input).value = " "
        await pilot.press("enter")
        await settle(pilot)
        assert "description may not be empty" in str(form.query_one("#problem").render())
        form.query_one("#field-description", Input).value = "Sleep and heart rate"
        await pilot.press("enter")
        await settle(pilot)
        study = next(s for s in await client.studies(20003) if s.name == "Sleep Study")
        screen.query_one("#study-list").move_cursor(row=[s.id for s in screen.studies].index(study.id))
        await settle(pilot)
        assert screen.study.id == study.id
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await choose(pilot, settle, "[ ] Heart Rate")
        assert isinstance(app.screen, ConfirmModal)
        assert "must consent to the new data type" in str(app.screen.query_one(".dialog-warning").render())
        await pilot.press("enter")
        await settle(pilot)
        assert [r.scope_code.coding_code for r in await client.study_scope_requests(study.id)] == ["omh:heart-rate:2.0"]
        await pilot.press("h")
        await settle(pilot)
        await choose(pilot, settle, "[ ] Oura Ring")
        await pilot.press("enter")
        await settle(pilot)
        assert [s.id for s in await client.study_data_sources(study.id)] == [70004]
        await pilot.press("t")
        await settle(pilot)
        await choose(pilot, settle, "[x] Heart Rate")
        assert "answers patients gave" in str(app.screen.query_one(".dialog-warning").render())
        await pilot.press("enter")
        await settle(pilot)
        assert await client.study_scope_requests(study.id) == []


async def test_delete_shows_enrolments_and_consents_first(make_app, settle, client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_studies(pilot, settle)
        study = screen.study
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        text = str(app.screen.query_one(".dialog-line").render())
        assert "enrolled patients leave it" in text and "consent answers" in text
        await pilot.press(*str(study.id), "enter")
        await settle(pilot)
        assert study.id not in {s.id for s in await client.studies(20003)}


async def test_a_viewer_sees_every_set_up_key_off_with_the_reason(make_app, settle):
    app = make_app("viewer")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_studies(pilot, settle)
        actions = {info.action: info for info in screen_actions(screen)}
        for action in ("create_study", "edit_study", "delete_study", "data_types", "data_sources", "patient_apps"):
            assert not actions[action].enabled and "your role in Cardiometabolic Research Lab is viewer" in \
                actions[action].reason, action
        await pilot.press("t")
        await settle(pilot)
        assert app.screen is screen


async def test_a_new_sub_organization_made_current_is_followed_by_the_studies_screen(make_app, settle, client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_studies(pilot, settle)  # the Studies screen lists the organizations as they were
        async with client:
            lab = await client.create_organization("Sleep Lab", "laboratory", 20003)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.session = None
        await app.load_session()
        app.organization = next(o for o in app.session.organizations if o.id == lab.id)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudiesScreen)
        assert screen.query_one("#organization").value == lab.id
        assert "Sleep Lab has no studies. c creates one" in str(screen.query_one("#study-info").render())
