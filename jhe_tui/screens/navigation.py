"""How one screen opens another without importing it: the screens behind these are loaded when
first opened, not at start, so the first page of patients does not wait for their modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen

    from jhe_tui.api import JheClient, Organization


class ShowObservations(Message):
    """Open the Observations screen filtered to one patient in one study (from a study roster)."""

    def __init__(self, study_id: int, patient_id: int) -> None:
        super().__init__()
        self.study_id = study_id
        self.patient_id = patient_id


def patient_record(client: JheClient, patient_id: int, organization: Organization) -> Screen[bool]:
    """The patient's record screen; it answers True when the patient was changed."""
    from jhe_tui.screens.patient_detail import PatientDetailScreen

    return PatientDetailScreen(client, patient_id, organization)
