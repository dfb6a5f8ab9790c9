"""Study membership from the patient record: enroll in a study (+), remove from one (-).

The same flows as the patient list's (``patient_flows``), for one patient: + offers only the
studies of the patient's own organizations (a study accepts only patients of its organization)
that the patient is not in yet, and - only the studies the patient is in, so that a removal from
a study they are not in cannot be reported as done.
"""

from __future__ import annotations

from typing import Any

from jhe_tui.api import JheClient, Patient, PatientConsents
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.screens.patient_flows import StudyOf, enroll_in_a_study, remove_from_a_study, studies_to_change


async def _their_studies(screen: ConsoleScreen[Any], client: JheClient, patient: Patient) -> list[StudyOf] | None:
    """The studies of the patient's organizations where the user may write."""
    session, current = screen.console.session, screen.console.organization
    if session is None or current is None:
        return None
    theirs = {org.id for org in patient.organizations}
    return await studies_to_change(screen, client, [o for o in session.organizations if o.id in theirs], current)


async def enroll_from_record(screen: ConsoleScreen[Any], client: JheClient, patient: Patient,
                             consents: PatientConsents) -> bool:
    """Pick a study the patient is not in and enroll them; True when they were enrolled."""
    studies = await _their_studies(screen, client, patient)
    if studies is None:
        return False
    joinable = [(org, study) for org, study in studies if study.id not in consents.enrolled_study_ids]
    return await enroll_in_a_study(screen, client, [patient], joinable,
                                   empty="There is no study left to enroll this patient in.")


async def unenroll_from_record(screen: ConsoleScreen[Any], client: JheClient, patient: Patient) -> bool:
    """Pick one of the patient's studies, confirm, remove; True when they were removed."""
    studies = await _their_studies(screen, client, patient)
    return studies is not None and await remove_from_a_study(screen, client, [patient], studies)
