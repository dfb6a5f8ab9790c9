"""Enrolling from Studies (F3, +): a searchable, multi-select picker of the organization's
patients instead of one unsorted list enrolling one at a time (issue 15.19)."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from jhe_tui.dialogs.patient_picker import PatientPickerModal
from jhe_tui.screens.studies import StudiesScreen

SIZE = (100, 30)


async def open_picker(pilot, settle) -> tuple[StudiesScreen, PatientPickerModal]:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudiesScreen)
    await pilot.press("plus")
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, PatientPickerModal)
    return screen, modal


def prompts(modal):
    options = modal.query_one("#picker-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_filter_tick_several_and_enroll_them_at_once(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, modal = await open_picker(pilot, settle)
        study, org = screen.study, app.organization
        enrolled = {p.id async for p in client.iter_patients(org.id, study.id)}
        everyone = [p async for p in client.iter_patients(org.id)]
        outside = [p for p in everyone if p.id not in enrolled]
        # Every page loaded, the enrolled ones counted and not listed.
        assert modal.loaded and {p.id for p in modal.patients} == {p.id for p in outside}
        status = str(modal.query_one("#picker-status", Static).content)
        assert f"{len(outside)} of {len(outside)} patients shown" in status
        assert f"{len(enrolled)} already enrolled, not listed" in status
        assert app.focused is modal.query_one("#picker-filter", Input)
        # Type to filter, by name, then by e-mail: the focus stays in the box.
        first, second = outside[0], next(p for p in outside[1:] if p.name_family != outside[0].name_family)
        await pilot.press(*first.name_family.lower())
        assert prompts(modal) and all(first.name_family in p for p in prompts(modal))
        index = [p.id for p in modal.shown].index(first.id)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("space")
        assert set(modal.ticked) == {first.id}
        assert prompts(modal)[index].startswith("[x]")
        modal.query_one("#picker-filter", Input).value = second.telecom_email
        await pilot.pause()
        assert [p.id for p in modal.shown] == [second.id]
        await pilot.press("space")
        assert "2 ticked" in str(modal.query_one("#picker-status", Static).content)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        now = {p.id async for p in client.iter_patients(org.id, study.id)}
        assert now == enrolled | {first.id, second.id}
        assert screen.roster.count == len(now)


async def test_enter_with_nothing_ticked_says_so_and_escape_cancels(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, modal = await open_picker(pilot, settle)
        before = screen.roster.count
        await pilot.press("enter")
        assert app.screen is modal
        assert "Tick patients" in str(modal.query_one("#problem", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.roster.count == before
