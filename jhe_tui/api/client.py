"""``JheClient``: every operation of the patient-management guide as one typed async method.

The same code serves a real v0.0.7-era server, a v0.0.13+ server and the embedded demo: the
generation is detected once (``GET /health``) and its ``Adapter`` decides paths, bodies and the
query names that may be sent. Several operations first read what they need to avoid the real
server's 500s (duplicate e-mail, cross-organization enrolment, consent rows that already exist).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypedDict, TypeVar, Unpack

from pydantic import BaseModel, ValidationError

from .auth import BearerAuth
from .errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServerFailure,
    field_text,
    invalid_input_from_validation,
)
from .fhir import date_query, observation_page, resource_page, within_dates
from .generation import ADAPTERS, FHIR_STUDY, Adapter, Generation, ServerInfo, server_info_from_health
from .http import AsyncBaseTransport, Auth
from .invitations import IssuedInvitation
from .models import (
    CodeableConcept,
    DataSource,
    EnrollmentResult,
    FhirObservation,
    Invitation,
    InvitationClient,
    Member,
    Observation,
    Organization,
    Patient,
    PatientChanges,
    PatientConsents,
    PatientCreateResult,
    PatientDraft,
    ScopeConsent,
    ScopeRequest,
    Study,
    UserProfile,
)
from .pages import DEFAULT_PAGE_SIZE, Page, drf_page, iterate, on_own_origin
from .retry import RetryPolicy
from .session import ApiSession

OMH_SYSTEM = "https://w3id.org/openmhealth"
LARGE_PAGE = 1000  # the largest page JHE serves; used when walking whole lists

M = TypeVar("M", bound=BaseModel)
Scope = CodeableConcept | tuple[str, str] | str
Day = date | datetime


class FhirFilters(TypedDict, total=False):
    """What a FHIR observation search filters by; each is optional."""

    patient_id: int | None
    study_id: int | None
    organization_id: int | None
    code: Scope | None
    date_ge: Day | None
    date_le: Day | None


def scope_key(scope: Scope) -> tuple[str, str]:
    """(system, code) of a scope given as a concept, a pair, ``"system|code"`` or a bare OMH code."""
    if isinstance(scope, CodeableConcept):
        return scope.key
    if isinstance(scope, tuple):
        return scope
    system, bar, code = scope.partition("|")
    return (system, code) if bar else (OMH_SYSTEM, scope)


@contextmanager
def _reading(doing: str) -> Iterator[None]:
    """A 2xx answer of an unexpected shape becomes a ``ServerFailure``, not a parsing traceback.

    The validation error itself is dropped: its text quotes the answer, i.e. patient data.
    """
    try:
        yield
    except (ValidationError, TypeError, KeyError, IndexError, AttributeError):
        raise ServerFailure(f"The server's answer could not be read while {doing}.") from None


def _parse(model: type[M], data: Any, doing: str) -> M:
    with _reading(doing):
        return model.model_validate(data)


def _parse_list(model: type[M], data: Any, doing: str) -> list[M]:
    with _reading(doing):
        return [model.model_validate(item) for item in data or []]


def _user_input(model: type[M], value: M | Mapping[str, Any], what: str) -> M:
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid_input_from_validation(exc, what) from None


class JheClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: AsyncBaseTransport | None = None,
        timeout: float = 20.0,
        max_concurrency: int = 6,
        max_retries: int = 3,
        generation: Generation | None = None,
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
        auth: Auth | None = None,
    ):
        self._session = ApiSession(
            base_url,
            auth or BearerAuth(token),
            transport=transport,
            timeout=timeout,
            max_concurrency=max_concurrency,
            retry=retry or RetryPolicy(max_retries=max_retries),
            verify=verify,
        )
        self._info = ServerInfo(generation=generation) if generation else None
        self._detecting = asyncio.Lock()

    @property
    def auth(self) -> Auth:
        return self._session.auth

    def use_auth(self, auth: Auth) -> None:
        """Sign the following requests with ``auth`` (after a new sign-in)."""
        self._session.auth = auth

    @property
    def on_unauthenticated(self) -> Callable[[], None] | None:
        """Called (with no arguments) whenever a request ends in 401 after any renewal attempt:
        the console uses it to send the user to its sign-in screen."""
        return self._session.on_unauthenticated

    @on_unauthenticated.setter
    def on_unauthenticated(self, hook: Callable[[], None] | None) -> None:
        self._session.on_unauthenticated = hook

    async def __aenter__(self) -> JheClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        doing: str = "contacting the server",
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
    ) -> Any:
        """A raw call with the client's auth, retries and error mapping; returns parsed JSON.

        No generation rules apply here: the caller chooses the path and every query name.
        """
        return await self._session.json(method, path, doing=doing, params=params, json=json)

    async def request_text(
        self,
        method: str,
        path: str,
        *,
        doing: str = "contacting the server",
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    ) -> str:
        """Like ``request``, but the body as text, for callers that parse it their own way.

        Decoded in one call: httpx's ``Response.text`` decodes incrementally, fifteen times slower
        on the megabyte of an export's page."""
        response = await self._session.send(method, path, doing=doing, params=params)
        return response.content.decode(response.encoding or "utf-8", errors="replace")

    # --- server ---------------------------------------------------------------------------------

    async def server_info(self) -> ServerInfo:
        """The server's generation, detected once per client (``generation=`` skips it)."""
        async with self._detecting:
            if self._info is None:
                try:
                    response = await self._session.send("GET", "/health", doing="detecting the server version")
                except NotFound:
                    self._info = ServerInfo(generation=Generation.LEGACY)
                else:
                    content_type = response.headers.get("content-type", "")
                    self._info = server_info_from_health(content_type, response.text)
        return self._info

    async def adapter(self) -> Adapter:
        """What the detected generation accepts and how it differs (``generation.Adapter``), for
        jobs that choose between strategies (the export, the import) without naming versions."""
        return ADAPTERS[(await self.server_info()).generation]

    async def _get(self, path: str, doing: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._session.json("GET", path, doing=doing, params=params)

    async def _page(
        self,
        item_type: type[M],
        endpoint: str,
        path: str,
        filters: Mapping[str, Any],
        page: int,
        page_size: int,
        doing: str,
    ) -> Page[M]:
        adapter = await self.adapter()
        # Page number and size are left out at their defaults, so requests stay minimal.
        paging = {
            "page": page if page != 1 else None,
            "page_size": page_size if page_size != DEFAULT_PAGE_SIZE else None,
        }
        return await self._drf_page(item_type, path, adapter.query(endpoint, {**filters, **paging}), page, page_size,
                                    doing)

    async def _drf_page(
        self, item_type: type[M], path: str, params: Mapping[str, Any] | None, page: int, page_size: int, doing: str
    ) -> Page[M]:
        try:
            data = await self._get(path, doing, params)
        except NotFound as exc:
            if exc.detail != "No results found":  # v0.0.7's answer for an empty list
                raise
            data = {}
        with _reading(doing):
            return drf_page(item_type, data, page=page, page_size=page_size)

    def _walk(
        self, item_type: type[M], endpoint: str, path: str, filters: Mapping[str, Any], page_size: int, doing: str
    ) -> AsyncIterator[M]:
        """Every item of a paginated list: the first page as asked, then each ``next`` link."""

        def fetch(number: int, link: str | None) -> Awaitable[Page[M]]:
            if link is None:
                return self._page(item_type, endpoint, path, filters, number, page_size, doing)
            return self._drf_page(item_type, self._link(link), None, number, page_size, doing)

        return iterate(fetch)

    def _link(self, link: str) -> str:
        return on_own_origin(link, self._session.base_url)

    # --- people and organizations ---------------------------------------------------------------

    async def profile(self) -> UserProfile:
        doing = "loading your profile"
        return _parse(UserProfile, await self._get("/api/v1/users/profile", doing), doing)

    async def organizations(self, *, page_size: int = LARGE_PAGE) -> list[Organization]:
        """Every organization on the server, each with the caller's role (None where there is none)."""

        path, doing = "/api/v1/organizations", "listing organizations"
        walk = self._walk(Organization, "organizations", path, {}, page_size, doing)
        return [organization async for organization in walk]

    async def my_organizations(self, *, page_size: int = LARGE_PAGE) -> list[Organization]:
        """The organizations where the caller has a role."""
        return [org for org in await self.organizations(page_size=page_size) if org.current_user_role]

    async def organization(self, organization_id: int) -> Organization:
        doing = "loading the organization"
        return _parse(Organization, await self._get(f"/api/v1/organizations/{int(organization_id)}", doing), doing)

    async def organization_tree(self, organization_id: int) -> Organization:
        doing = "loading the organization tree"
        data = await self._get(f"/api/v1/organizations/{int(organization_id)}/tree", doing)
        return _parse(Organization, data, doing)

    async def organization_members(self, organization_id: int) -> list[Member]:
        doing = "listing the organization's members"
        return _parse_list(Member, await self._get(f"/api/v1/organizations/{int(organization_id)}/users", doing), doing)

    # --- studies --------------------------------------------------------------------------------

    async def studies_page(
        self, organization_id: int | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[Study]:
        filters = {"organization_id": organization_id}
        return await self._page(Study, "studies", "/api/v1/studies", filters, page, page_size, "listing studies")

    async def studies(self, organization_id: int | None = None, *, page_size: int = LARGE_PAGE) -> list[Study]:
        filters = {"organization_id": organization_id}
        return [study async for study in self._walk(Study, "studies", "/api/v1/studies", filters, page_size,
                                                    "listing studies")]

    async def study(self, study_id: int) -> Study:
        doing = "loading the study"
        return _parse(Study, await self._get(f"/api/v1/studies/{int(study_id)}", doing), doing)

    async def study_scope_requests(self, study_id: int) -> list[ScopeRequest]:
        doing = "loading the study's data types"
        data = await self._get(f"/api/v1/studies/{int(study_id)}/scope_requests", doing)
        return _parse_list(ScopeRequest, data, doing)

    async def study_data_sources(self, study_id: int) -> list[DataSource]:
        doing = "loading the study's data sources"
        links = await self._get(f"/api/v1/studies/{int(study_id)}/data_sources", doing)
        with _reading(doing):
            return _parse_list(DataSource, [link["dataSource"] for link in links or []], doing)

    async def codeable_concepts(self) -> list[CodeableConcept]:
        """Every data type the server knows (there is no other codeable-concept endpoint)."""
        doing = "listing data types"
        return _parse_list(CodeableConcept, await self._get("/api/v1/data_sources/all_scopes", doing), doing)

    # --- patients -------------------------------------------------------------------------------

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
        legacy = (await self.adapter()).generation is Generation.LEGACY
        problems = draft.problems(birth_date_required=legacy)
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

    # --- invitations ----------------------------------------------------------------------------

    async def invitation_clients(self, patient_id: int) -> list[InvitationClient]:
        """Apps an invitation can be issued for (v0.0.13+).

        Older servers and the demo issue links for one built-in app, so the list is empty there.
        """
        if not (await self.adapter()).invitation_by_post:
            return []
        doing = "listing the patient's apps"
        data = await self._get(f"/api/v1/patients/{int(patient_id)}/consolidated_clients", doing)
        return _parse_list(InvitationClient, data, doing)

    async def invitation_link(
        self, patient_id: int, *, send_email: bool = False, client_id: int | None = None
    ) -> Invitation:
        """A new invitation link (earlier ones stop working), optionally e-mailed by the server.

        ``client_id`` (the app's primary key) matters only from v0.0.13; without it the single app
        linked to the patient's studies is used.
        """
        doing = "generating the invitation link"
        adapter = await self.adapter()
        if not adapter.invitation_by_post:
            # A GET that issues (and may mail) a link: never sent again on guesswork.
            query = adapter.query("invitation_link", {"send_email": True if send_email else None})
            path = f"/api/v1/patients/{int(patient_id)}/invitation_link"
            data = await self._session.json("GET", path, doing=doing, params=query, replayable=False)
            with _reading(doing):
                return _parse(Invitation, {**data, "sent_by_email": send_email}, doing)
        client_name = None
        if client_id is None:
            client = await self._pick_invitation_client(patient_id)
            client_id, client_name = client.id, client.name
        body = {"patient_id": int(patient_id), "client_id": int(client_id), "send_email": send_email}
        data = await self._session.json("POST", "/api/v1/invitation", json=body, doing=doing)
        with _reading(doing):
            return _parse(Invitation, {**data, "sent_by_email": send_email, "client_name": client_name}, doing)

    async def invitations(self, patient_id: int | None = None) -> list[IssuedInvitation]:
        """The invitations the server has issued (the patient's only, if given), newest first.

        Only servers that list them (v0.0.13+, the demo) can say; elsewhere this is an
        ``InvalidInput``. The server lists every invitation of the exchange, so all its pages are
        read and the patient's picked out here.
        """
        adapter = await self.adapter()
        if not adapter.lists_invitations:
            raise InvalidInput("This server (JHE before v0.0.13) does not list the invitations it issued.")
        walk = self._walk(IssuedInvitation, "invitations", "/api/v1/invitation", {}, LARGE_PAGE,
                          "listing invitations")
        found = [i async for i in walk if patient_id is None or i.patient_id == int(patient_id)]
        return sorted(found, key=lambda invitation: invitation.id, reverse=True)

    async def _pick_invitation_client(self, patient_id: int) -> InvitationClient:
        usable = [c for c in await self.invitation_clients(patient_id) if c.invitation_url]
        if len(usable) == 1:
            return usable[0]
        if not usable:
            raise InvalidInput(
                f"No app with an invitation address is linked to the studies of patient {patient_id}; "
                "an administrator must add one to a study first."
            )
        choices = ", ".join(f"{c.name} (id {c.id})" for c in usable)
        raise InvalidInput(f"Patient {patient_id} can be invited to several apps ({choices}); choose one.")

    # --- consents -------------------------------------------------------------------------------

    async def consents(self, patient_id: int) -> PatientConsents:
        doing = "loading the patient's consents"
        return _parse(PatientConsents, await self._get(f"/api/v1/patients/{int(patient_id)}/consents", doing), doing)

    async def set_consent(self, patient_id: int, study_id: int, scope: Scope, consented: bool) -> ScopeConsent:
        """Record the patient's answer for one data type of one study, on the patient's behalf.

        The patient must be enrolled and the study must request the scope (both are 500s at the
        server). An answer equal to the current one is left untouched.
        """
        system, code = scope_key(scope)
        state = await self.consents(patient_id)
        if int(study_id) not in state.enrolled_study_ids:
            raise InvalidInput(
                f"Patient {patient_id} is not enrolled in study {study_id}, so no consent can be recorded."
            )
        current = state.scope(int(study_id), system, code)
        if current is None:
            raise InvalidInput(f"Study {study_id} does not request the data type {code}.")
        if current.consented is consented:
            return current
        adapter = await self.adapter()
        path = f"/api/v1/patients/{int(patient_id)}/consents"
        item = {"codingSystem": system, "codingCode": code}

        def body(scope_item: dict[str, Any]) -> dict[str, Any]:
            return {"studyScopeConsents": [{"studyId": int(study_id), "scopeConsents": [scope_item]}]}

        method = "POST"
        if current.consented is not None:
            if adapter.consent_patch:
                method = "PATCH"
            else:
                try:
                    await self._session.json("DELETE", path, json=body(item), doing="clearing the previous consent")
                except ServerFailure:
                    pass  # v0.0.7 deletes the row, then fails while building its answer
        doing = "recording the consent"
        data = await self._session.json(method, path, json=body({**item, "consented": consented}), doing=doing)
        with _reading(doing):
            return _parse(ScopeConsent, data["studyScopeConsents"][0], doing)

    async def grant_consent(self, patient_id: int, study_id: int, scope: Scope) -> ScopeConsent:
        return await self.set_consent(patient_id, study_id, scope, True)

    async def revoke_consent(self, patient_id: int, study_id: int, scope: Scope) -> ScopeConsent:
        return await self.set_consent(patient_id, study_id, scope, False)

    # --- observations ---------------------------------------------------------------------------

    async def observations(
        self,
        organization_id: int | None = None,
        study_id: int | None = None,
        patient_id: int | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Observation]:
        """Observations with their raw OMH payload and decoded value; newest first."""
        filters = {"organization_id": organization_id, "study_id": study_id, "patient_id": patient_id}
        path, doing = "/api/v1/observations", "listing observations"
        return await self._page(Observation, "observations", path, filters, page, page_size, doing)

    def iter_observations(
        self,
        organization_id: int | None = None,
        study_id: int | None = None,
        patient_id: int | None = None,
        page_size: int = LARGE_PAGE,
    ) -> AsyncIterator[Observation]:
        filters = {"organization_id": organization_id, "study_id": study_id, "patient_id": patient_id}
        return self._walk(Observation, "observations", "/api/v1/observations", filters, page_size,
                          "listing observations")

    async def _fhir_request(
        self, filters: FhirFilters, page: int, count: int
    ) -> tuple[str, dict[str, str | list[str]], bool]:
        """(path, query) of one FHIR search page, and whether the date range is left to the caller."""
        adapter = await self.adapter()
        if adapter.fhir_needs_patient and filters.get("patient_id") is None:
            raise InvalidInput(
                "This server (JHE before v0.0.13) searches FHIR observations one patient at a time; choose a patient."
            )
        date_ge, date_le, code = filters.get("date_ge"), filters.get("date_le"), filters.get("code")
        local_dates = not adapter.fhir_date_filter and (date_ge is not None or date_le is not None)
        query = adapter.query(
            "fhir_observations",
            {
                "patient": filters.get("patient_id"),
                FHIR_STUDY: filters.get("study_id"),
                "patient.organization": filters.get("organization_id"),
                "code": "|".join(scope_key(code)) if code is not None else None,
                "date": date_query(date_ge, date_le) if adapter.fhir_date_filter else None,
                "_count": count if count != DEFAULT_PAGE_SIZE else None,
                "_page": page if page != 1 else None,
            },
        )
        return f"{adapter.fhir_base}/Observation", query, local_dates

    async def _fhir_search(
        self, filters: FhirFilters, page: int, count: int, link: str | None = None
    ) -> tuple[Page[FhirObservation], bool]:
        """One page as the server returns it (``link``: the previous page's ``next``), and whether
        the date range must be applied locally."""
        path, query, local_dates = await self._fhir_request(filters, page, count)
        doing = "searching FHIR observations"
        data = await self._get(self._link(link), doing) if link is not None else await self._get(path, doing, query)
        with _reading(doing):
            return observation_page(data, page=page, count=count), local_dates

    async def fhir_observation_resources(
        self, *, page: int = 1, count: int = 100, texts_only: bool = False, **filters: Unpack[FhirFilters]
    ) -> Page[Any]:
        """One page of FHIR observations as resources, for a caller that copies them (the export):
        no models, no attachment decoding. Each item is the resource's dict, or with ``texts_only``
        its JSON text on one line. A body that is not a JSON object reads as an empty page.

        Every filter runs on the server, so a date range is refused where it cannot (JHE before
        v0.0.13; ``fhir_observations`` applies it locally there).
        """
        path, query, local_dates = await self._fhir_request(filters, page, count)
        if local_dates:
            raise InvalidInput("This server (JHE before v0.0.13) cannot search FHIR observations by date.")
        text = await self.request_text("GET", path, params=query, doing="searching FHIR observations")
        return resource_page(text, page=page, count=count, texts_only=texts_only)

    async def fhir_observations(
        self, *, page: int = 1, count: int = 100, **filters: Unpack[FhirFilters]
    ) -> Page[FhirObservation]:
        """One page of FHIR observations.

        Where the server has no ``date`` filter (v0.0.7) the range is applied to this page
        locally, and ``count`` stays the unfiltered total.
        """
        result, local_dates = await self._fhir_search(filters, page, count)
        if local_dates:
            result.items = [o for o in result.items if within_dates(o, filters.get("date_ge"), filters.get("date_le"))]
        return result

    async def iter_fhir_observations(
        self, *, count: int = LARGE_PAGE, **filters: Unpack[FhirFilters]
    ) -> AsyncIterator[FhirObservation]:
        """Every matching FHIR observation; pages are fetched whole and, on v0.0.7, filtered here."""
        local_dates = False

        async def fetch(number: int, link: str | None) -> Page[FhirObservation]:
            nonlocal local_dates
            result, local_dates = await self._fhir_search(filters, number, count, link)
            return result

        async for observation in iterate(fetch):
            if not local_dates or within_dates(observation, filters.get("date_ge"), filters.get("date_le")):
                yield observation
