"""Edit, remove-from-organization and remove-from-study, started from a table or a patient's record.

Both places must behave identically (same preview, same confirmation, same messages),
so the flows live here once. Each runs inside the caller's worker and waits for its
dialogs with `push_screen_wait`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.screen import Screen

from jhe_tui import privacy
from jhe_tui.api import JheClient, JheError, Organization, Patient, PatientConsents, Study
from jhe_tui.dialogs.edit_patient import EditPatientModal
from jhe_tui.dialogs.confirm import ConfirmModal


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


async def remove_from_study(screen: Screen[object], client: JheClient, patients: list[Patient], study: Study) -> bool:
    """Confirm, then unenroll; True when the patients were removed. The confirmation names who
    and which study, and says what goes (consent answers) and what stays (observations)."""
    names = ", ".join(f"{privacy.name(p.display_name, privacy.is_on(screen))} ({p.id})" for p in patients[:5])
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
    screen.notify(f"Removed {len(patients)} from {study.name}.", markup=False)
    return True
