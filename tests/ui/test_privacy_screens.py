"""Privacy mode (F9) on the screens beyond the patient list: the study roster, observations
and the import preview mask patient names and e-mails, and show them again on a second F9."""

from __future__ import annotations

from jhe_tui.widgets.row_table import RowTable
from tests.ui.test_import_screen import cell_texts, cohort, open_import
from tests.ui.waiting import eventually

SIZE = (100, 30)


def _text(table: RowTable) -> str:
    return " ".join(" ".join(row) for row in cell_texts(table))


async def _switch(pilot, settle, key: str):
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen


async def test_roster_and_observations_mask_patient_names(make_app, settle, client):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        roster = (await _switch(pilot, settle, "f3")).roster.data_table
        name = cell_texts(roster)[0][2]
        assert "," in name  # "Family, Given"
        await pilot.press("f9")
        assert await eventually(pilot, lambda: name not in _text(roster))
        assert "•••" in cell_texts(roster)[0][2]

        observations = (await _switch(pilot, settle, "f4")).table.data_table
        await settle(pilot)
        shown = _text(observations)
        assert "•••" in shown and name.split(",")[0] not in shown
        await pilot.press("f9")
        assert await eventually(pilot, lambda: "•••" not in _text(observations))


async def test_import_preview_masks_emails_and_names(make_app, settle, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, settle, cohort(tmp_path))
        table = screen.query_one("#import-table", RowTable)
        assert "ada.import@example.org" in _text(table)
        await pilot.press("f9")
        assert await eventually(pilot, lambda: "ada.import@example.org" not in _text(table))
        masked = _text(table)
        assert "ada.import@example.org" not in masked and "Lovelace" not in masked and "1985-12-10" not in masked
        assert "a•••@•••.org" in masked
