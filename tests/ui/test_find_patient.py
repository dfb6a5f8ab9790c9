"""Finding a patient: by id, by e-mail across the exchange, by name page by page."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from jhe_tui.dialogs.find_patient import FindPatientModal
from jhe_tui.screens.patient_detail import PatientDetailScreen

SIZE = (100, 30)


async def _find(pilot, settle, text: str) -> FindPatientModal:
    await pilot.press("slash")
    modal = pilot.app.screen
    assert isinstance(modal, FindPatientModal)
    modal.query_one("#find-text", Input).value = text
    await pilot.press("enter")
    await settle(pilot)
    return modal


def _status(modal: FindPatientModal) -> str:
    return str(modal.query_one("#find-status", Static).content)


async def test_name_words_in_any_order_find_the_patient_and_enter_opens_it(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = (await client.patients(organization_id=app.organization.id, page=2)).items[-1]
        modal = await _find(pilot, settle, f"{target.name_given.upper()} {target.name_family}")
        results = modal.query_one("#find-results", OptionList)
        assert target.id in [p.id for p in modal._found]
        assert all(target.name_family in results.get_option_at_index(i).prompt for i in range(results.option_count))
        results.highlighted = [p.id for p in modal._found].index(target.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientDetailScreen) and app.screen.patient_id == target.id


async def test_an_id_opens_directly_and_an_unknown_id_says_so(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = (await client.patients(organization_id=app.organization.id)).items[3]
        modal = await _find(pilot, settle, "99999999")
        assert "no patient 99999999" in _status(modal)
        modal.query_one("#find-text", Input).focus()
        modal.query_one("#find-text", Input).value = str(target.id)
        await pilot.press("enter")
        await settle(pilot)
        assert [p.id for p in modal._found] == [target.id]


async def test_an_email_of_another_organization_points_to_add(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        here = {p.id async for p in client.iter_patients(app.organization.id)}
        others = [
            p
            for org in app.session.organizations
            if org.id != app.organization.id
            for p in (await client.patients(organization_id=org.id, page_size=100)).items
        ]
        elsewhere = next(p for p in others if p.id not in here)
        modal = await _find(pilot, settle, elsewhere.telecom_email)
        assert f"Patient {elsewhere.id} is not in" in _status(modal)
        assert modal._found == []
        await pilot.press("escape")
        assert not isinstance(app.screen, FindPatientModal)


async def test_typing_stays_in_the_query_arrows_move_and_enter_opens_the_highlighted(make_app, client, settle):
    """Issue 15.5: after results appeared the focus was on the list, so typing went nowhere and
    Enter opened the old match."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        items = (await client.patients(organization_id=app.organization.id, page_size=100)).items
        family = next(p.name_family for p in items if sum(q.name_family == p.name_family for q in items) > 1)
        modal = await _find(pilot, settle, family)
        box = modal.query_one("#find-text", Input)
        results = modal.query_one("#find-results", OptionList)
        assert len(modal._found) > 1 and app.focused is box
        await pilot.press("down")
        assert results.highlighted == 1 and app.focused is box
        await pilot.press("up")
        assert results.highlighted == 0
        await pilot.press("down")
        second = modal._found[1]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientDetailScreen) and app.screen.patient_id == second.id
        await pilot.press("escape")
        await settle(pilot)
        # A new query typed after results: Enter searches it, and does not open the old match.
        target = items[5]
        modal = await _find(pilot, settle, family)
        box = modal.query_one("#find-text", Input)
        box.action_end()
        for _ in family:
            await pilot.press("backspace")
        await pilot.press(*str(target.id))
        assert box.value == str(target.id)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal and [p.id for p in modal._found] == [target.id]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientDetailScreen) and app.screen.patient_id == target.id
        await pilot.press("escape")
        await settle(pilot)
        modal = await _find(pilot, settle, family)
        await pilot.press("escape")
        assert not isinstance(app.screen, FindPatientModal)
