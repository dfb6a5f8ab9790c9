"""Edit, remove-from-organization, enroll and remove-from-study, started from a table or a patient's record.

Both places must behave identically (same preview, same confirmation, same messages),
so the flows live here once. Each runs inside the caller's worker and waits for its
dialogs with `push_screen_wait`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from textual.screen import Screen

from jhe_tui import privacy
from jhe_tui.api import JheClient, JheError, Organization, Patient, PatientConsents, Study
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.edit_patient import EditPatientModal
from jhe_tui.dialogs.confirm import ConfirmModal

# A study one may enroll in or remove from, with the organization it belongs to (for its label).
StudyOf = tuple[Organization, Study]


@dataclass(frozen=True)
class RemovalImpact:
    """What `DELETE patients/{id}?organization_id=` takes with it, which the web console
    never spells out."""

    patient: Patient
    organization: Organization
    studies: list[str]  # "name (study id)" of the organization's studies the patient leaves
    consents: int  # consent answers (given or declined) deleted with those enrolments
    last_organization: bool  # then the server deletes observations and the account too
    other_organizations: list[str]

    def lines(self, masked: bool = False) -> list[str]:
        return [
            f"Patient: {privacy.name(self.patient.display_name, masked)} (patient id {self.patient.id})",
            f"Leaves: {self.organization.name} (organization {self.organization.id})",
            f"Studies that lose the patient: {', '.join(self.studies) or 'none'}",
            f"Consent answers deleted: {self.consents}",
            (
                f"Stays in: {', '.join(self.other_organizations)}; observations are kept."
                if self.other_organizations
                else ""
            ),
        ]

    @property
    def warning(self) -> str | None:
        if not self.last_organization:
            return None
        return (
            "This is the patient's last organization: ALL their observations and their "
            "account (login) are deleted as well. This cannot be undone."
        )


def removal_impact(patient: Patient, organization: Organization, consents: PatientConsents) -> RemovalImpact:
    studies: dict[int, str] = {}
    answered = 0
    for study in (*consents.pending, *consents.answered):
        if study.organization is not None and study.organization.id == organization.id:
            studies[study.id] = f"{study.name} ({study.id})"
    for study in consents.answered:
        if study.id in studies:
            answered += sum(1 for scope in study.scopes if scope.consented is not None)
    others = [f"{org.name or 'organization'} ({org.id})" for org in patient.organizations if org.id != organization.id]
    return RemovalImpact(
        patient=patient,
        organization=organization,
        studies=list(studies.values()),
        consents=answered,
        last_organization=not others,
        other_organizations=others,
    )


async def edit_patient(screen: Screen[object], client: JheClient, patient: Patient, org: Organization) -> Patient | None:
    updated = await screen.app.push_screen_wait(EditPatientModal(client, patient, org))
    if updated is not None:
        screen.notify(f"Saved the changes to patient {updated.id}.")
    return updated


async def remove_from_organization(
    screen: Screen[object], client: JheClient, patient_id: int, org: Organization
) -> bool:
    """Preview, confirm by typing the patient id, remove; True when the patient was removed."""
    try:
        patient = await client.patient(patient_id)
        impact = removal_impact(patient, org, await client.consents(patient_id))
    except JheError as error:
        screen.notify(f"Cannot prepare the removal: {error.message}", severity="error", markup=False)
        return False
    answer = await screen.app.push_screen_wait(
        ConfirmModal(
            f"Remove patient {patient.id} from {org.name}?",
            [line for line in impact.lines(privacy.is_on(screen)) if line],
            warning=impact.warning,
            confirm_label="Remove from organization",
            type_word=str(patient.id),
            danger=True,
        )
    )
    if answer is None:
        return False
    try:
        await client.remove_patient_from_organization(patient.id, org.id)
    except JheError as error:
        screen.notify(error.message, title="Not removed", severity="error", markup=False)
        return False
    gone = "; it was their last organization, so the patient was deleted" if impact.last_organization else ""
    screen.notify(f"Removed patient {patient.id} from {org.name}{gone}.", markup=False)
    return True


def who(patients: Sequence[Patient], masked: bool) -> str:
    if len(patients) == 1:
        return f"{privacy.name(patients[0].display_name, masked)} (patient {patients[0].id})"
    return f"{len(patients)} selected patients"


async def writable_studies(
    client: JheClient, organizations: Sequence[Organization], current: Organization, known: Sequence[Study] = ()
) -> list[StudyOf]:
    """Studies of every organization where the user may enroll, the current one's first: a patient
    who belongs to several organizations can join a study of any of them. ``known`` are the
    current organization's studies when the caller has them already."""
    orgs = [current, *(o for o in organizations if o.id != current.id and o.can_write)]
    found: list[StudyOf] = []
    for org in orgs:
        studies = known if org.id == current.id and known else await client.studies(org.id)
        found += [(org, study) for study in studies]
    return found


async def studies_to_change(
    screen: Screen[object], client: JheClient, organizations: Sequence[Organization], current: Organization,
    known: Sequence[Study] = (),
) -> list[StudyOf] | None:
    """``writable_studies``, or None once the user is told why they cannot be listed."""
    try:
        return await writable_studies(client, organizations, current, known)
    except JheError as failure:
        screen.notify(failure.message, title="Cannot list studies", severity="error", markup=False)
        return None


async def members_by_study(
    client: JheClient, patients: Sequence[Patient], studies: Sequence[StudyOf]
) -> list[tuple[StudyOf, list[Patient]]]:
    """Which of ``patients`` each study holds, for the studies that hold any. A patient's consents
    list every study of theirs that requests a data type; a study that requests none is asked
    about each patient directly."""
    consents = await asyncio.gather(*(client.consents(p.id) for p in patients))
    requests = await asyncio.gather(*(client.study_scope_requests(study.id) for _, study in studies))
    found = []
    for (org, study), requested in zip(studies, requests, strict=True):
        if requested:
            members = [p for p, c in zip(patients, consents, strict=True) if study.id in c.enrolled_study_ids]
        else:
            checks = await asyncio.gather(*(client.is_enrolled(study.id, p.id, org.id) for p in patients))
            members = [p for p, enrolled in zip(patients, checks, strict=True) if enrolled]
        if members:
            found.append(((org, study), members))
    return found


async def enroll_in_a_study(
    screen: Screen[object], client: JheClient, patients: Sequence[Patient], studies: Sequence[StudyOf],
    empty: str = "You cannot enroll patients in any study: no organization where you are a member or manager has one.",
) -> bool:
    """Choose a study, enroll; True when someone was enrolled. A refusal (a patient outside the
    study's organization) is shown in the chooser, to pick again."""
    outcome = {}

    async def enroll(choice: StudyOf) -> None:
        outcome["result"] = await client.enroll_patients(choice[1].id, [p.id for p in patients])

    chosen = await screen.app.push_screen_wait(
        ChoiceModal(
            "Enroll in a study",
            f"Enroll {who(patients, privacy.is_on(screen))} in which study? "
            "A study accepts only patients of its own organization.",
            [(f"{study.name} (study {study.id}) · {org.name}", (org, study)) for org, study in studies],
            apply=enroll,
            empty=empty,
        )
    )
    if chosen is None:
        return False
    result, name = outcome["result"], chosen[1].name
    if len(patients) > 1:
        already = f"; {len(result.already_enrolled)} already were" if result.already_enrolled else ""
        screen.notify(f"Enrolled {len(result.enrolled)} in {name}{already}.", markup=False)
    elif result.enrolled:
        screen.notify(f"Enrolled patient {patients[0].id} in {name}; its data types wait for consent.", markup=False)
    else:
        screen.notify(f"Patient {patients[0].id} already was in {name}.", markup=False)
    return bool(result.enrolled)


async def remove_from_a_study(
    screen: Screen[object],
    client: JheClient,
    patients: Sequence[Patient],
    studies: Sequence[StudyOf],
    preferred: int | None = None,
) -> bool:
    """Remove the patients from one of the studies they are in; True when some were removed.
    Only those studies are offered, each saying how many of the patients it holds; with one (or
    ``preferred``, the study the caller shows, among them) it goes straight to the confirmation."""
    masked = privacy.is_on(screen)
    try:
        found = await members_by_study(client, patients, studies)
    except JheError as error:
        screen.notify(f"Cannot tell which studies they are in: {error.message}", severity="error", markup=False)
        return False
    if not found:
        subject = who(patients, masked)
        verb = "is" if len(patients) == 1 else "are"
        screen.notify(f"{subject} {verb} in no study you can change.", severity="warning", markup=False)
        return False
    chosen = next((item for item in found if item[0][1].id == preferred), None)
    if chosen is None and len(found) == 1:
        chosen = found[0]
    if chosen is None:

        def label(org: Organization, study: Study, members: list[Patient]) -> str:
            held = "" if len(patients) == 1 else f" · {len(members)} of the {len(patients)} chosen"
            return f"{study.name} (study {study.id}) · {org.name}{held}"

        chosen = await screen.app.push_screen_wait(
            ChoiceModal(
                "Remove from a study",
                f"Remove {who(patients, masked)} from which study? Only their studies are listed.",
                [(label(org, study, members), ((org, study), members)) for (org, study), members in found],
            )
        )
        if chosen is None:
            return False
    (_, study), members = chosen
    return await remove_from_study(screen, client, members, study, chosen=len(patients))


async def remove_from_study(
    screen: Screen[object], client: JheClient, patients: Sequence[Patient], study: Study, chosen: int | None = None
) -> bool:
    """Confirm, then unenroll ``patients`` (who are in the study); True when they were removed.
    The confirmation names who and which study, and says what goes (consent answers) and what
    stays (observations). ``chosen``: how many the user had picked, when some were not in it."""
    masked = privacy.is_on(screen)
    names = ", ".join(f"{privacy.name(p.display_name, masked)} ({p.id})" for p in patients[:5])
    more = f" and {len(patients) - 5} more" if len(patients) > 5 else ""
    answer = await screen.app.push_screen_wait(
        ConfirmModal(
            f"Remove from study {study.name}?",
            [
                f"Patients: {names}{more}",
                f"Study: {study.name} (study {study.id})",
                "Their consent answers for this study are deleted; their observations are kept.",
            ],
            confirm_label="Remove from study",
            danger=True,
        )
    )
    if answer is None:
        return False
    try:
        await client.unenroll_patients(study.id, [p.id for p in patients])
    except JheError as error:
        screen.notify(error.message, title="Not removed", severity="error", markup=False)
        return False
    outside = (chosen or len(patients)) - len(patients)
    if outside:
        were = "was" if outside == 1 else "were"
        screen.notify(f"Removed {len(patients)} of {chosen} from {study.name} ({outside} {were} not in it).",
                      markup=False)
    else:
        screen.notify(f"Removed {len(patients)} from {study.name}.", markup=False)
    return True
