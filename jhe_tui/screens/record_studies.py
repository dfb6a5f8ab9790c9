"""Study membership from the patient record: enroll in a study (+), remove from one (-).

The record knows the patient's studies (its consent lists), so + offers only the studies the
patient can still join, in the organizations the patient belongs to where the user may write
(a study accepts only patients of its own organization), and - only the studies the patient
is in: a removal from a study they are not in cannot be reported as done.
"""

from __future__ import annotations

from typing import Any

from jhe_tui import privacy
from jhe_tui.api import EnrollmentResult, JheClient, JheError, Patient, PatientConsents, Study
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.screens.patient_flows import remove_from_study


def _who(screen: ConsoleScreen[Any], patient: Patient) -> str:
    return f"{privacy.name(patient.display_name, privacy.is_on(screen))} (patient {patient.id})"


async def enroll_from_record(screen: ConsoleScreen[Any], client: JheClient, patient: Patient,
                             consents: PatientConsents) -> bool:
    """Pick a study the patient is not in and enroll them; True when they were enrolled."""
    session, current = screen.console.session, screen.console.organization
    if session is None or current is None:
        return False
    theirs = {org.id for org in patient.organizations}
    orgs = [current, *(o for o in session.organizations if o.id != current.id and o.can_write and o.id in theirs)]
    try:
        choices = [(f"{study.name} (study {study.id}) · {org.name}", study)
                   for org in orgs for study in await client.studies(org.id)
                   if study.id not in consents.enrolled_study_ids]
    except JheError as failure:
        screen.notify(failure.message, title="Cannot list studies", severity="error", markup=False)
        return False
    outcome: dict[str, EnrollmentResult] = {}

    async def enroll(study: Study) -> None:
        outcome["result"] = await client.enroll_patients(study.id, [patient.id])

    study = await screen.app.push_screen_wait(
        ChoiceModal(
            "Enroll in a study",
            f"Enroll {_who(screen, patient)} in which study? Only studies of the patient's organizations are listed.",
            choices,
            apply=enroll,
            empty="There is no study left to enroll this patient in.",
        )
    )
    if study is None:
        return False
    if outcome["result"].already_enrolled:
        screen.notify(f"Patient {patient.id} already was in {study.name}.", markup=False)
        return False
    screen.notify(f"Enrolled patient {patient.id} in {study.name}; its data types wait for consent.", markup=False)
    return True


async def unenroll_from_record(screen: ConsoleScreen[Any], client: JheClient, patient: Patient,
                               consents: PatientConsents) -> bool:
    """Pick one of the patient's studies, confirm, remove; True when they were removed."""
    studies: dict[int, Study] = {}
    for entry in (*consents.pending, *consents.answered):
        studies.setdefault(entry.id, Study(id=entry.id, name=entry.name, organization=entry.organization))
    study = await screen.app.push_screen_wait(
        ChoiceModal(
            "Remove from a study",
            f"Remove {_who(screen, patient)} from which of their studies?",
            [(f"{s.name} (study {s.id})" + (f" · {s.organization.name}" if s.organization else ""), s)
             for s in sorted(studies.values(), key=lambda s: (s.name, s.id))],
            empty="This patient is in no study.",
        )
    )
    return study is not None and await remove_from_study(screen, client, [patient], study)
