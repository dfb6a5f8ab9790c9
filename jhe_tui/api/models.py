"""Typed records for both JHE generations.

Responses are camelCase (``alias_generator=to_camel``); every model built from a server's answer
shows its text ``visible`` (``VisibleText``: no terminal control survives it). Every model also
accepts its Python field names, ignores fields it does not know (servers keep adding some), and
absorbs the differences between generations at validation time: ``identifier`` string or
``identifiers`` list, ``valueAttachmentData`` or ``omhData``, a study's organization as an object
or a bare id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from jhe_tui import patient_rules

from .omh import OmhValue, decode
from .text import KEPT_AS_SENT, VisibleText

# System given to a single external id typed by a practitioner when the server (v0.0.13+) wants
# identifiers as {system, value} pairs.
DEFAULT_IDENTIFIER_SYSTEM = "urn:jhe-tui:external-id"

# Roles that may change patients, enrolments and consents (core/permissions.py of JHE).
_WRITE_ROLES = frozenset({"manager", "member", "super_user"})


class ApiModel(VisibleText):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def _reference_to_id(data: Any, key: str, id_key: str) -> Any:
    """Split ``key`` (a nested object or a bare id) into the object and ``id_key``."""
    if not isinstance(data, dict) or key not in data:
        return data
    ref = data[key]
    if isinstance(ref, dict):
        return {**data, id_key: ref.get("id")}
    if isinstance(ref, int):
        return {**data, key: None, id_key: ref}
    return data


class Organization(ApiModel):
    id: int
    name: str = ""
    type: str | None = None
    part_of: int | None = None
    current_user_role: str | None = None  # manager, member, viewer, super_user; None = no link
    children: list[Organization] = []

    @property
    def can_write(self) -> bool:
        """Whether the user's role here may change patients, enrolments and consents."""
        return self.current_user_role in _WRITE_ROLES


class Member(ApiModel):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or f"User {self.id}"


class CodeableConcept(ApiModel):
    id: int | None = None
    coding_system: str = ""
    coding_code: str = ""
    text: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.coding_system, self.coding_code

    @property
    def display(self) -> str:
        return self.text or self.coding_code


class DataSource(ApiModel):
    id: int | None = None
    name: str = ""
    type: str | None = None
    supported_scopes: list[CodeableConcept] = []


class Study(ApiModel):
    id: int
    name: str = ""
    description: str | None = None
    organization: Organization | None = None
    organization_id: int | None = None
    icon_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _organization_object_or_id(cls, data: Any) -> Any:
        return _reference_to_id(data, "organization", "organization_id")


class ScopeRequest(ApiModel):
    id: int | None = None
    scope_code: CodeableConcept
    study_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _study_object_or_id(cls, data: Any) -> Any:
        return _reference_to_id(data, "study", "study_id")


class Identifier(ApiModel):
    id: int | None = None
    system: str | None = None
    value: str


class Patient(ApiModel):
    id: int
    jhe_user_id: int | None = None
    identifiers: list[Identifier] = []
    name_family: str | None = None
    name_given: str | None = None
    birth_date: date | None = None
    telecom_phone: str | None = None
    telecom_email: str | None = None
    organizations: list[Organization] = []

    @model_validator(mode="before")
    @classmethod
    def _one_identifier_shape(cls, data: Any) -> Any:
        """v0.0.7 has one ``identifier`` string; v0.0.13 a list. Keep the list."""
        if not isinstance(data, dict):
            return data
        if "identifier" in data and not data.get("identifiers"):
            single = data["identifier"]
            data = {**data, "identifiers": [{"value": single}] if isinstance(single, str) and single else []}
        orgs = data.get("organizations")
        if isinstance(orgs, list) and any(isinstance(org, int) for org in orgs):
            data = {**data, "organizations": [{"id": o} if isinstance(o, int) else o for o in orgs]}
        return data

    @property
    def external_ids(self) -> str:
        return ", ".join(identifier.value for identifier in self.identifiers)

    @property
    def organization_ids(self) -> list[int]:
        return [organization.id for organization in self.organizations]

    @property
    def display_name(self) -> str:
        names = [name for name in (self.name_family, self.name_given) if name]
        return ", ".join(names) or f"Patient {self.id}"


class UserProfile(ApiModel):
    id: int | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    user_type: str | None = None
    is_superuser: bool = False
    patient: Patient | None = None
    settings: dict[str, Any] = {}  # v0.0.13: the console's sticky organization/study choice

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or (self.email or "")


_WIRE_NAMES = {
    "email": "telecomEmail",
    "family": "nameFamily",
    "given": "nameGiven",
    "birth_date": "birthDate",
    "phone": "telecomPhone",
}


class _PatientInput(BaseModel):
    """Fields a practitioner types for a patient, and their wire form for either generation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    family: str | None = None
    given: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    external_id: str | None = None
    # Full control over v0.0.13 identifiers; when None, ``external_id`` stands for the whole set.
    identifiers: list[Identifier] | None = None

    def identifier_problem(self, *, identifier_list: bool) -> str | None:
        """The external ids given, checked against what the server can keep (None: fine)."""
        if self.identifiers is not None:
            pairs = [(i.system, i.value) for i in self.identifiers]
        else:
            pairs = [(None, self.external_id)] if self.external_id else []
        return patient_rules.identifiers_problem(pairs, several=identifier_list)

    def wire_body(self, *, identifier_list: bool, only_set: bool) -> dict[str, Any]:
        """The JSON body: all filled fields (create) or exactly the fields set (update)."""
        chosen = self.model_fields_set if only_set else set(type(self).model_fields)
        body: dict[str, Any] = {}
        for name, key in _WIRE_NAMES.items():
            if name not in chosen or name not in type(self).model_fields:
                continue
            value = getattr(self, name)
            if value is not None or only_set:
                body[key] = value.isoformat() if isinstance(value, date) else value
        identifiers = self.identifiers
        if identifiers is None and "external_id" in chosen and (self.external_id is not None or only_set):
            value = self.external_id or ""
            identifiers = [Identifier(system=DEFAULT_IDENTIFIER_SYSTEM, value=value)] if value else []
        if identifiers is not None and (identifiers or only_set):
            if identifier_list:
                body["identifiers"] = [{"system": i.system, "value": i.value} for i in identifiers]
            else:
                body["identifier"] = identifiers[0].value if identifiers else ""
        return body


class PatientDraft(_PatientInput):
    email: str

    def problems(self, *, birth_date_required: bool, identifier_list: bool = True) -> dict[str, list[str]]:
        """What the form, the importer and the embedded backend refuse (``patient_rules``), and
        what the server would refuse, answer with a 500 or silently drop, before anything is sent."""
        values = {"email": self.email, "family": self.family or "", "given": self.given or "",
                  "birth_date": self.birth_date.isoformat() if self.birth_date else "", "phone": self.phone or ""}
        required = ("email", "birth_date") if birth_date_required else ("email",)
        found = patient_rules.problems(values, required=required)
        ids = [i.value for i in self.identifiers] if self.identifiers is not None else [self.external_id or ""]
        id_problem = (next(filter(None, (patient_rules.text_problem("external_id", value) for value in ids)), None)
                      or self.identifier_problem(identifier_list=identifier_list))
        if id_problem:
            found["external_id"] = id_problem
        return {name: [patient_rules.sentence(problem)] for name, problem in found.items()}


class PatientChanges(_PatientInput):
    """Only the fields that were set are sent; the e-mail is the login and cannot be changed."""


class PatientCreateResult(VisibleText):
    action: Literal["created", "added"]  # added: the e-mail existed, the patient joined the organization
    patient: Patient


class EnrollmentResult(VisibleText):
    study_id: int
    enrolled: list[int] = []
    already_enrolled: list[int] = []


class Invitation(ApiModel):
    link: str = Field(validation_alias=AliasChoices("invitationLink", "link"))
    sent_by_email: bool = False
    client_name: str | None = None
    client_id: int | None = None  # the client application's primary key (v0.0.13)
    id: int | None = None
    status: str | None = None


class InvitationClient(ApiModel):
    """A patient app linked to one of the patient's studies (v0.0.13 ``consolidated_clients``)."""

    id: int
    name: str = ""
    client_id: str | None = None  # the OAuth client_id string, not the primary key
    invitation_url: str | None = None


class ScopeConsent(ApiModel):
    code: CodeableConcept = Field(validation_alias=AliasChoices("code", "scopeCode", "scope_code"))
    consented: bool | None = None  # None: not answered yet; False: declined
    consented_time: datetime | None = None


class StudyConsents(ApiModel):
    id: int
    name: str = ""
    description: str | None = None
    organization: Organization | None = None
    data_sources: list[DataSource] = []
    scopes: list[ScopeConsent] = Field(
        [], validation_alias=AliasChoices("pendingScopeConsents", "scopeConsents", "scopes")
    )


class PatientConsents(ApiModel):
    patient: Patient | None = None
    consented_scopes: list[CodeableConcept] = Field([], alias="consolidatedConsentedScopes")
    pending: list[StudyConsents] = Field([], alias="studiesPendingConsent")  # scopes awaiting an answer
    answered: list[StudyConsents] = Field([], alias="studies")  # scopes consented or declined
    # A study with both kinds of scope appears in both lists.

    @property
    def enrolled_study_ids(self) -> set[int]:
        return {study.id for study in (*self.pending, *self.answered)}

    def scope(self, study_id: int, system: str, code: str) -> ScopeConsent | None:
        """The patient's state for one requested scope of one study; None if it is not requested."""
        for study in (*self.answered, *self.pending):
            if study.id == study_id:
                for scope in study.scopes:
                    if scope.code.key == (system, code):
                        return scope
        return None


class Observation(ApiModel):
    id: int
    subject_patient_id: int | None = None
    patient_name_family: str | None = None
    patient_name_given: str | None = None
    jhe_user_id: int | None = None
    codeable_concept_id: int | None = None
    coding_system: str | None = None
    coding_code: str | None = None
    coding_text: str | None = None
    last_updated: datetime | None = None
    # The raw OMH data point: ``valueAttachmentData`` at v0.0.7, ``omhData`` at v0.0.13.
    payload: Any = Field(
        None,
        validation_alias=AliasChoices("omhData", "valueAttachmentData", "omh_data", "value_attachment_data", "payload"),
    )
    value: OmhValue | None = None

    @model_validator(mode="after")
    def _decode_payload(self) -> Observation:
        self.value = decode(self.payload, self.coding_code)
        return self

    @property
    def effective_time(self) -> datetime | None:
        return (self.value.effective_time if self.value else None) or self.last_updated


class FhirObservation(VisibleText):
    """A FHIR Observation resource with its base64 OMH attachment already decoded."""

    id: str
    status: str | None = None
    coding_system: str | None = None
    coding_code: str | None = None
    coding_display: str | None = None
    subject_patient_id: int | None = None
    effective_start: datetime | None = None
    effective_end: datetime | None = None
    last_updated: datetime | None = None
    payload: Any = None
    value: OmhValue | None = None
    # As received (v0.0.7's base64 has line breaks), for export files; screens show it through
    # json.dumps' ASCII escapes only.
    resource: Annotated[dict[str, Any], KEPT_AS_SENT] = {}

    @property
    def effective_time(self) -> datetime | None:
        return self.effective_start or (self.value.effective_time if self.value else None) or self.last_updated
