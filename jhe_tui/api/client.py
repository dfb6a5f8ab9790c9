"""``JheClient``: every operation of the patient-management guide as one typed async method.

The same code serves a real v0.0.7-era server, a v0.0.13+ server and the embedded demo: the
generation is detected once (``GET /health``) and its ``Adapter`` decides paths, bodies and the
query names that may be sent. Several operations first read what they need to avoid the real
server's 500s (duplicate e-mail, cross-organization enrolment, consent rows that already exist).
"""

from __future__ import annotations

from .client_core import LARGE_PAGE, Scope, _parse, _parse_list, _reading, scope_key
from .api_key_calls import ApiKeyCalls
from .consent_calls import ConsentCalls
from .invitations import InvitationCalls
from .models import CodeableConcept, DataSource, Member, Organization, ScopeRequest, Study, UserProfile
from .observation_calls import FhirFilters, ObservationCalls
from .pages import DEFAULT_PAGE_SIZE, Page
from .organization_admin_calls import OrganizationAdminCalls
from .patient_calls import PatientCalls

__all__ = ["LARGE_PAGE", "FhirFilters", "JheClient", "Scope", "scope_key"]


class JheClient(OrganizationAdminCalls, ApiKeyCalls, PatientCalls, ConsentCalls, InvitationCalls, ObservationCalls):
    """Every operation of the guide, and administration; the calls are grouped by subject in the
    base classes (``ApiKeyCalls`` stands on ``StudyAdminCalls``)."""

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
