"""Remove from organization (impact preview, typed confirmation), enroll and unenroll."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Select, Static

from jhe_tui.api import NotFound
from tests.ui.waiting import eventually
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal

SIZE = (100, 30)


async def first(patients, want):
    async for patient in patients:
        if await want(patient):
            return patient
    raise AssertionError("no such patient in the seed")


async def put_cursor_on(pilot, settle, patient_id):
    await settle(pilot)
    table = pilot.app.screen.table
    while str(patient_id) not in table._rows:
        await pilot.press("n")
        await settle(pilot)
    index = list(table._rows).index(str(patient_id))
    table.data_table.move_cursor(row=index)
    table.data_table.focus()
    await pilot.pause()


def confirm_text(modal):
    return " ".join(str(s.content) for s in modal.query(Static))


async def test_remove_from_last_organization_warns_of_the_cascade(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        async def alone_and_enrolled(p):
            return p.organization_ids == [org.id] and bool((await client.consents(p.id)).answered)

        patient = await first(client.iter_patients(org.id), alone_and_enrolled)
        consents = await client.consents(patient.id)
        await put_cursor_on(pilot, settle, patient.id)
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        text = confirm_text(modal)
        assert "last organization" in text and "ALL their observations" in text and "account" in text
        for study in consents.pending + consents.answered:
            assert f"{study.name} ({study.id})" in text
        answered = sum(1 for st in consents.answered for s in st.scopes if s.consented is not None)
        assert f"Consent answers deleted: {answered}" in text
        # One keypress is not enough, nor is the wrong word.
        await pilot.press("enter")
        assert app.screen is modal
        modal.query_one("#answer", Input).value = "remove"
        await pilot.press("enter")
        assert app.screen is modal and "exactly" in str(modal.query_one("#problem", Static).content)
        modal.query_one("#answer", Input).value = str(patient.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert str(patient.id) not in app.screen.table._rows
        try:
            await client.patient(patient.id)
        except NotFound:
            pass
        else:
            raise AssertionError("the patient should be gone with their last organization")


async def test_remove_from_one_of_two_organizations_keeps_the_patient(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        async def shared(p):
            return len(p.organization_ids) > 1

        patient = await first(client.iter_patients(org.id), shared)
        await put_cursor_on(pilot, settle, patient.id)
        await pilot.press("d")
        await settle(pilot)
        text = confirm_text(app.screen)
        assert "last organization" not in text and "Stays in:" in text and "observations are kept" in text
        await pilot.press("escape")
        await settle(pilot)
        assert org.id in (await client.patient(patient.id)).organization_ids


async def choose(pilot, settle, label_start):
    modal = pilot.app.screen
    assert isinstance(modal, ChoiceModal)
    options = modal.query_one(OptionList)
    index = next(i for i in range(options.option_count) if str(options.get_option_at_index(i).prompt).startswith(label_start))
    options.highlighted = index
    await pilot.press("enter")
    await settle(pilot)
    return modal


async def test_enroll_selected_patients_in_a_study(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        study = next(s for s in app.screen.studies if s.name.startswith("Cardiac"))
        enrolled = {p.id async for p in client.iter_patients(org.id, study.id)}
        outside = [p async for p in client.iter_patients(org.id) if p.id not in enrolled][:2]
        for patient in outside:
            await put_cursor_on(pilot, settle, patient.id)
            await pilot.press("space")
        assert set(app.screen.table.selected) == {str(p.id) for p in outside}
        await pilot.press("plus")
        await settle(pilot)
        await choose(pilot, settle, study.name)
        assert isinstance(app.screen, PatientsScreen)
        now = {p.id async for p in client.iter_patients(org.id, study.id)}
        assert {p.id for p in outside} <= now
        assert not app.screen.table.selected


async def test_enroll_refuses_patients_of_another_organization_before_the_call(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        async def alone(p):
            return p.organization_ids == [org.id]

        patient = await first(client.iter_patients(org.id), alone)
        await put_cursor_on(pilot, settle, patient.id)
        await pilot.press("space")
        await pilot.press("plus")
        await settle(pilot)
        modal = await choose(pilot, settle, "Sleep and Steps Study")
        assert app.screen is modal  # stays open to pick again
        problem = modal.query_one("#problem", Static)
        assert problem.has_class("shown")
        assert f"Patient {patient.id} is not in Sleep and Activity Lab" in str(problem.content)
        sleep = next(s for s in await client.studies() if s.name.startswith("Sleep and Steps"))
        assert patient.id not in {p.id async for p in client.iter_patients(study_id=sleep.id)}
        await pilot.press("escape")


async def test_unenroll_selected_from_the_filtered_study_after_confirmation(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        study = app.screen.studies[0]
        app.screen.query_one("#study", Select).value = study.id
        await settle(pilot)
        before = app.screen.table.count
        victim = app.screen.table.cursor_item
        await pilot.press("minus")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal) and f"study {study.id}" in confirm_text(modal)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.table.count == before
        await pilot.press("minus")
        await settle(pilot)
        await pilot.press("enter")  # the confirm button has focus
        await settle(pilot)
        assert app.screen.table.count == before - 1
        assert victim.id not in {p.id async for p in client.iter_patients(study_id=study.id)}


async def in_studies(client, patient_id, study_ids):
    return (await client.consents(patient_id)).enrolled_study_ids & set(study_ids)


async def test_remove_from_a_study_offers_only_the_patients_studies(make_app, client, settle, toasts):
    """Issue 15.1: a patient enrolled only in 30001 was offered 30002 too, and choosing it said
    "Removed 1 from Cardiac Rhythm Study"."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        ids = [s.id for s in app.screen.studies]
        glucose = next(s for s in app.screen.studies if s.name.startswith("Glucose"))

        async def only_glucose(p):
            return await in_studies(client, p.id, ids) == {glucose.id} and p.organization_ids == [org.id]

        patient = await first(client.iter_patients(org.id), only_glucose)
        await put_cursor_on(pilot, settle, patient.id)
        await pilot.press("minus")
        await settle(pilot)
        modal = app.screen
        # One study to leave: straight to the confirmation, which names it (and only it).
        assert isinstance(modal, ConfirmModal)
        text = confirm_text(modal)
        assert f"study {glucose.id}" in text and "Cardiac" not in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert await eventually(pilot, lambda: f"Removed 1 from {glucose.name}." in toasts)
        assert not await in_studies(client, patient.id, ids)


async def test_remove_several_from_a_study_says_how_many_are_in_each(make_app, client, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        ids = [s.id for s in app.screen.studies]
        glucose = next(s for s in app.screen.studies if s.name.startswith("Glucose"))
        cardiac = next(s for s in app.screen.studies if s.name.startswith("Cardiac"))

        async def only_glucose(p):
            return await in_studies(client, p.id, ids) == {glucose.id}

        async def both(p):
            return await in_studies(client, p.id, ids) == {glucose.id, cardiac.id}

        one = await first(client.iter_patients(org.id), only_glucose)
        two = await first(client.iter_patients(org.id), both)
        for patient in (one, two):
            await put_cursor_on(pilot, settle, patient.id)
            await pilot.press("space")
        await pilot.press("minus")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        options = modal.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(label.startswith(glucose.name) and "2 of the 2 chosen" in label for label in labels)
        assert any(label.startswith(cardiac.name) and "1 of the 2 chosen" in label for label in labels)
        theirs = (await client.consents(one.id)).enrolled_study_ids | (await client.consents(two.id)).enrolled_study_ids
        offered = {int(label.split("(study ")[1].split(")")[0]) for label in labels}
        assert offered == theirs and len(labels) == len(theirs)
        await choose(pilot, settle, cardiac.name)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert await eventually(pilot, lambda: f"Removed 1 of 2 from {cardiac.name} (1 was not in it)." in toasts)
        assert await in_studies(client, one.id, ids) == {glucose.id}
        assert await in_studies(client, two.id, ids) == {glucose.id}


async def test_remove_from_a_study_for_a_patient_in_none_says_so(make_app, client, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization

        async def in_none(p):
            return not (await client.consents(p.id)).enrolled_study_ids

        patient = await first(client.iter_patients(org.id), in_none)
        await put_cursor_on(pilot, settle, patient.id)
        await pilot.press("minus")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert await eventually(pilot, lambda: any("is in no study" in t for t in toasts))
