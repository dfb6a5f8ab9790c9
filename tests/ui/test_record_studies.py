"""From the patient record: enroll in a study (+), remove from one (-), open the patient's
observations (b); the command palette lists all three."""

from __future__ import annotations

from textual.widgets import OptionList

from jhe_tui.app import ScreenActionsProvider
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.screens.observations import ObservationsScreen
from jhe_tui.screens.patient_detail import PatientDetailScreen

from tests.ui.test_patient_detail import SIZE, open_detail, patient_with, rows


def offered(modal):
    menu = modal.query_one("#choices", OptionList)
    return [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]


async def test_plus_enrolls_in_a_study_the_patient_is_not_in(make_app, client, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization
        studies = await client.studies(org.id)
        patient, consents = await patient_with(
            client, org.id, lambda c: 0 < len(c.enrolled_study_ids) < len(studies))
        screen = await open_detail(pilot, settle, patient.id)
        await pilot.press("plus")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        labels = offered(modal)
        joinable = [s for s in studies if s.id not in consents.enrolled_study_ids]
        assert labels and all(f"(study {s.id})" in " ".join(labels) for s in joinable)
        assert not any(f"(study {sid})" in label for sid in consents.enrolled_study_ids for label in labels)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        after = await client.consents(patient.id)
        added = after.enrolled_study_ids - consents.enrolled_study_ids
        assert len(added) == 1
        (study_id,) = added
        assert any(r[0].endswith(f"({study_id})") for r in rows(screen, "pending"))  # the record reloaded
        assert any("Enrolled" in t for t in toasts) and screen.changed


async def test_minus_offers_only_the_patients_studies_and_removes(make_app, client, settle, toasts):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient, consents = await patient_with(client, app.organization.id, lambda c: len(c.enrolled_study_ids) >= 1)
        screen = await open_detail(pilot, settle, patient.id)
        await pilot.press("minus")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        labels = offered(modal)
        assert len(labels) == len(consents.enrolled_study_ids)
        assert all(any(f"(study {sid})" in label for label in labels) for sid in consents.enrolled_study_ids)
        gone = next(sid for sid in consents.enrolled_study_ids if f"(study {sid})" in labels[0])
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert gone not in (await client.consents(patient.id)).enrolled_study_ids
        assert not any(r[0].endswith(f"({gone})") for r in rows(screen, "pending") + rows(screen, "answered"))
        assert any("Removed" in t for t in toasts)


async def test_b_opens_this_patients_observations(make_app, settle, monkeypatch):
    shown = []
    monkeypatch.setattr(ObservationsScreen, "show_for", lambda self, study, patient, code=None: shown.append((study, patient)))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patient_id = app.screen.table.cursor_item.id
        await open_detail(pilot, settle, patient_id)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ObservationsScreen)
        assert shown == [(None, patient_id)]


async def test_the_palette_lists_the_records_study_and_observation_actions(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, settle, app.screen.table.cursor_item.id)
        assert isinstance(app.screen, PatientDetailScreen)
        actions = {info.action for info in ScreenActionsProvider._actions_of(app.screen)}
        assert {"enroll", "unenroll", "observations"} <= actions
