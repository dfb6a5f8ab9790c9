"""Patients and enrolment: what the guide's onboarding does, with the look-ups that keep the real
servers' 500s (duplicate e-mail, cross-organization enrolment, repeated enrolment) from happening."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from jhe_tui import patient_rules

from .client_core import LARGE_PAGE, ClientCore, _parse, _parse_list, _user_input
from .errors import Conflict, InvalidInput, ServerFailure, field_text
from .generation import Generation
from .models import EnrollmentResult, Patient, PatientChanges, PatientCreateResult, PatientDraft
from .pages import DEFAULT_PAGE_SIZE, Page


class PatientCalls(ClientCore):
    async def patients(
        self,
        organization_id: int | None = None,
        study_id: int | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Patient]:
        filters = {"organization_id": organization_id, "study_id": study_id}
        return await self._page(Patient, "patients", "/api/v1/patients", filters, page, page_size, "listing patients")

    def iter_patients(
        self, organization_id: int | None = None, study_id: int | None = None, page_size: int = LARGE_PAGE
    ) -> AsyncIterator[Patient]:
        filters = {"organization_id": organization_id, "study_id": study_id}
        return self._walk(Patient, "patients", "/api/v1/patients", filters, page_size, "listing patients")

    async def patient(self, patient_id: int) -> Patient:
        doing = "loading the patient"
        return _parse(Patient, await self._get(f"/api/v1/patients/{int(patient_id)}", doing), doing)

    async def find_patient_by_email(self, email: str) -> Patient | None:
        """The patient whose login is ``email``, in any organization, or None."""
        if not email.strip():
            raise InvalidInput("Enter an e-mail address to look up.", field_errors={"email": ["Required."]})
        doing = "looking up the e-mail address"
        query = (await self.adapter()).query("global_lookup", {"email": email.strip()})
        found = _parse_list(Patient, await self._get("/api/v1/patients/global_lookup", doing, query), doing)
        return found[0] if found else None

    async def create_patient(
        self, organization_id: int, draft: PatientDraft | Mapping[str, Any]
    ) -> PatientCreateResult:
        """Create the patient in the organization, or add the existing patient with that e-mail.

        The e-mail is looked up first: creating a duplicate is a 500 at v0.0.7 and a vague 400 at
        v0.0.13, while a patient known elsewhere only needs to join this organization.
        """
        draft = await self._valid_draft(draft)
        existing = await self.find_patient_by_email(draft.email)
        if existing is not None:
            if int(organization_id) in existing.organization_ids:
                raise Conflict(
                    f"A patient with this e-mail address already exists in organization {organization_id} "
                    f"(patient {existing.id})."
                )
            patient = await self.add_patient_to_organization_unchecked(existing.id, organization_id)
            return PatientCreateResult(action="added", patient=patient)
        return PatientCreateResult(action="created", patient=await self.create_patient_unchecked(organization_id, draft))

    async def create_patient_unchecked(
        self, organization_id: int, draft: PatientDraft | Mapping[str, Any]
    ) -> Patient:
        """One POST creating the patient in the organization, without looking the e-mail up first.

        For a caller that did the look-up itself and decides what a failed POST means (the import
        job); the input is still checked here, before anything is sent.
        """
        draft = await self._valid_draft(draft)
        adapter = await self.adapter()
        doing = "creating the patient"
        body = draft.wire_body(identifier_list=adapter.identifier_list, only_set=False)
        data = await self._session.json(
            "POST", "/api/v1/patients", json={**body, "organizationId": int(organization_id)}, doing=doing
        )
        return _parse(Patient, data, doing)

    async def _valid_draft(self, draft: PatientDraft | Mapping[str, Any]) -> PatientDraft:
        draft = _user_input(PatientDraft, draft, "patient")
        adapter = await self.adapter()
        problems = draft.problems(birth_date_required=adapter.generation is Generation.LEGACY,
                                  identifier_list=adapter.identifier_list)
        if problems:
            raise InvalidInput(f"The patient cannot be created: {field_text(problems)}.", field_errors=problems)
        return draft

    async def update_patient(
        self, patient_id: int, organization_id: int, changes: PatientChanges | PatientDraft | Mapping[str, Any]
    ) -> Patient:
        """Change the patient's details; ``organization_id`` is where the caller's role is checked.

        The e-mail is the patient's login and is never sent (the server would ignore it anyway).
        """
        if isinstance(changes, PatientDraft):
            changes = changes.model_dump(exclude={"email"}, exclude_unset=True)
        elif isinstance(changes, Mapping):
            changes = {key: value for key, value in changes.items() if key != "email"}
        changes = _user_input(PatientChanges, changes, "change")
        adapter = await self.adapter()
        id_problem = changes.identifier_problem(identifier_list=adapter.identifier_list)
        if id_problem:
            problems = {"external_id": [patient_rules.sentence(id_problem)]}
            raise InvalidInput(f"The patient cannot be saved: {field_text(problems)}.", field_errors=problems)
        body = changes.wire_body(identifier_list=adapter.identifier_list, only_set=True)
        if not body:
            return await self.patient(patient_id)
        doing = "updating the patient"
        data = await self._session.json(
            "PATCH",
            f"/api/v1/patients/{int(patient_id)}",
            params=adapter.query("patient_in_organization", {"organization_id": organization_id}),
            json=body,
            doing=doing,
        )
        return _parse(Patient, data, doing)

    async def remove_patient_from_organization(self, patient_id: int, organization_id: int) -> None:
        """Unlink the patient and their enrolments there; with no organization left, JHE deletes the patient."""
        query = (await self.adapter()).query("patient_in_organization", {"organization_id": organization_id})
        await self._session.json(
            "DELETE",
            f"/api/v1/patients/{int(patient_id)}",
            params=query,
            doing="removing the patient from the organization",
        )

    async def add_patient_to_organization(self, patient_id: int, organization_id: int) -> Patient:
        """Link an existing patient to another organization (refused if already linked: a 500 at v0.0.7)."""
        patient = await self.patient(patient_id)
        if int(organization_id) in patient.organization_ids:
            raise Conflict(f"Patient {patient.id} is already in organization {organization_id}.")
        return await self.add_patient_to_organization_unchecked(patient.id, organization_id)

    async def add_patient_to_organization_unchecked(self, patient_id: int, organization_id: int) -> Patient:
        """One PATCH linking the patient to the organization, without reading the patient first
        (``add_patient_to_organization`` refuses one already there; the import job checks itself)."""
        doing = "adding the patient to the organization"
        query = (await self.adapter()).query("patient_in_organization", {"organization_id": organization_id})
        path = f"/api/v1/patients/{int(patient_id)}/global_add_organization"
        return _parse(Patient, await self._session.json("PATCH", path, params=query, doing=doing), doing)

    # --- enrolment ------------------------------------------------------------------------------

    async def enroll_patients(self, study_id: int, patient_ids: Iterable[int]) -> EnrollmentResult:
        """Enrol patients in a study, skipping those already enrolled.

        Every patient must belong to the study's organization: JHE answers a 500 otherwise (and
        for a repeated enrolment), after enrolling the patients listed before the bad one.
        """
        ids = list(dict.fromkeys(int(i) for i in patient_ids))
        if not ids:
            return EnrollmentResult(study_id=int(study_id))
        study = await self.study(study_id)
        organization_id = study.organization_id
        if organization_id is None:
            raise ServerFailure(f"The server did not say which organization study {study.id} belongs to.")
        patients = await asyncio.gather(*(self.patient(i) for i in ids))
        outsiders = [p.id for p in patients if organization_id not in p.organization_ids]
        if outsiders:
            where = (study.organization.name if study.organization else "") or f"organization {organization_id}"
            listed = ", ".join(map(str, outsiders))
            who = f"Patient {listed} is" if len(outsiders) == 1 else f"Patients {listed} are"
            raise InvalidInput(f"{who} not in {where}, the organization of study {study.id}.")
        enrolled = {p.id async for p in self.iter_patients(organization_id, study.id)}
        todo = [i for i in ids if i not in enrolled]
        await self.enroll_patients_unchecked(study.id, todo)
        return EnrollmentResult(study_id=study.id, enrolled=todo, already_enrolled=[i for i in ids if i in enrolled])

    async def enroll_patients_unchecked(self, study_id: int, patient_ids: Iterable[int]) -> None:
        """One POST enrolling the patients, without ``enroll_patients``' checks (organization,
        already enrolled: each a 500 at the server), for a caller that made them (the import job)."""
        ids = list(dict.fromkeys(int(i) for i in patient_ids))
        if ids:
            await self._session.json(
                "POST",
                f"/api/v1/studies/{int(study_id)}/patients",
                json={"patient_ids": ids},
                doing="enrolling the patient in the study" if len(ids) == 1 else "enrolling patients in the study",
            )

    async def is_enrolled(self, study_id: int, patient_id: int, organization_id: int) -> bool:
        """Whether the patient is enrolled in the study: the organization's patient list, filtered
        by study and patient (the only enrolment question every generation answers)."""
        filters = {"organization_id": organization_id, "study_id": study_id, "patient_id": patient_id}
        page = await self._page(Patient, "patients", "/api/v1/patients", filters, 1, DEFAULT_PAGE_SIZE,
                                "checking the patient's enrolment")
        return any(patient.id == int(patient_id) for patient in page.items)

    async def unenroll_patients(self, study_id: int, patient_ids: Iterable[int]) -> None:
        """Remove patients from a study (their consents for it go too); absent ones are ignored."""
        ids = list(dict.fromkeys(int(i) for i in patient_ids))
        if ids:
            await self._session.json(
                "DELETE",
                f"/api/v1/studies/{int(study_id)}/patients",
                json={"patient_ids": ids},
                doing="removing patients from the study",
            )
