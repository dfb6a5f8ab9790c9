"""Studies set up and changed: the study itself, the data types it requests, its data sources and
(v0.0.13) the patient apps invitations are issued for. Each link is checked before it is sent: a
repeated or unknown scope request is a 500 at both generations, a repeated data source a 500 at
v0.0.13 and a second row at v0.0.7, a repeated app a 500."""

from __future__ import annotations

import asyncio
from typing import Any

from .admin_models import StudyImpact
from .client_core import LARGE_PAGE, Scope, _parse, _parse_list, _reading, scope_key
from .errors import Conflict, InvalidInput
from .models import CodeableConcept, DataSource, InvitationClient, Study
from .organization_admin_calls import AdminCalls

# Above this many enrolled patients the delete preview does not read each one's consents.
COUNTED_CONSENTS = 200


def _text(value: str | None, what: str, *, required: bool) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"The study's {what} may not be empty (the server requires it).",
                           field_errors={what: ["Required."]})
    return text


class StudyAdminCalls(AdminCalls):
    async def create_study(self, organization_id: int, name: str, description: str,
                           icon_url: str | None = None) -> Study:
        body: dict[str, Any] = {"name": _text(name, "name", required=True),
                                "description": _text(description, "description", required=True),
                                "organization": int(organization_id),
                                "iconUrl": (icon_url or "").strip() or None}  # null, as the web console sends
        doing = "creating the study"
        return _parse(Study, await self._session.json("POST", "/api/v1/studies", json=body, doing=doing), doing)

    async def update_study(self, study_id: int, *, name: str | None = None, description: str | None = None,
                           icon_url: str | None = None) -> Study:
        """Change what is given; an empty icon URL clears it."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = _text(name, "name", required=True)
        if description is not None:
            body["description"] = _text(description, "description", required=True)
        if icon_url is not None:
            body["iconUrl"] = icon_url.strip() or None
        doing = "changing the study"
        return _parse(Study, await self._session.json("PATCH", f"/api/v1/studies/{int(study_id)}", json=body,
                                                      doing=doing), doing)

    async def study_delete_impact(self, study_id: int) -> StudyImpact:
        """Enrolled patients and the consent answers that go with the study (by cascade)."""
        study = await self.study(study_id)
        enrolled = [p async for p in self.iter_patients(study.organization_id, study.id)]
        answers: int | None = None
        if len(enrolled) <= COUNTED_CONSENTS:
            states = await asyncio.gather(*(self.consents(p.id) for p in enrolled))
            answers = sum(1 for state in states for s in state.answered if s.id == study.id
                          for scope in s.scopes if scope.consented is not None)
        return StudyImpact(study=study, enrolled=len(enrolled), consent_answers=answers)

    async def delete_study(self, study_id: int) -> None:
        await self._session.json("DELETE", f"/api/v1/studies/{int(study_id)}", doing="deleting the study")

    # --- data types -----------------------------------------------------------------------------

    async def _concept(self, scope: Scope | int) -> CodeableConcept:
        concepts = await self.codeable_concepts()
        if isinstance(scope, int):
            found = next((c for c in concepts if c.id == scope), None)
        else:
            key = scope_key(scope)
            found = next((c for c in concepts if c.key == key), None)
        if found is None:
            raise InvalidInput(f"The data type {scope} is not one this server knows.")
        return found

    async def add_scope_request(self, study_id: int, scope: Scope | int) -> CodeableConcept:
        """Request one more data type; enrolled patients must then consent to it."""
        concept = await self._concept(scope)
        requested = await self.study_scope_requests(study_id)
        if any(r.scope_code.key == concept.key for r in requested):
            raise Conflict(f"Study {study_id} already requests {concept.display}.")
        await self._session.json("POST", f"/api/v1/studies/{int(study_id)}/scope_requests",
                                 json={"scopeCodeId": concept.id}, doing="adding the data type")
        return concept

    async def remove_scope_request(self, study_id: int, scope: Scope | int) -> CodeableConcept:
        concept = await self._concept(scope)
        requested = await self.study_scope_requests(study_id)
        if not any(r.scope_code.key == concept.key for r in requested):
            raise InvalidInput(f"Study {study_id} does not request {concept.display}.")
        await self._session.json("DELETE", f"/api/v1/studies/{int(study_id)}/scope_requests",
                                 json={"scopeCodeId": concept.id}, doing="removing the data type")
        return concept

    # --- data sources ---------------------------------------------------------------------------

    async def data_sources(self, *, page_size: int = LARGE_PAGE) -> list[DataSource]:
        """Every data source on the server (all pages)."""
        walk = self._walk(DataSource, "data_sources", "/api/v1/data_sources", {}, page_size, "listing data sources")
        return [source async for source in walk]

    async def add_study_data_source(self, study_id: int, data_source_id: int) -> DataSource:
        source = next((s for s in await self.data_sources() if s.id == int(data_source_id)), None)
        if source is None:
            raise InvalidInput(f"There is no data source {data_source_id} on this server.")
        if any(s.id == source.id for s in await self.study_data_sources(study_id)):
            raise Conflict(f"{source.name} is already a data source of study {study_id}.")
        await self._session.json("POST", f"/api/v1/studies/{int(study_id)}/data_sources",
                                 json={"dataSourceId": source.id}, doing="adding the data source")
        return source

    async def remove_study_data_source(self, study_id: int, data_source_id: int) -> DataSource:
        source = next((s for s in await self.study_data_sources(study_id) if s.id == int(data_source_id)), None)
        if source is None:
            raise InvalidInput(f"Data source {data_source_id} is not one of study {study_id}'s.")
        await self._session.json("DELETE", f"/api/v1/studies/{int(study_id)}/data_sources",
                                 json={"dataSourceId": source.id}, doing="removing the data source")
        return source

    # --- patient apps (v0.0.13) -----------------------------------------------------------------

    async def _needs_apps(self) -> None:
        if not (await self.admin_rules()).patient_apps:
            raise InvalidInput("This server has no list of patient apps (JHE before v0.0.13).")

    async def patient_apps(self, *, page_size: int = LARGE_PAGE) -> list[InvitationClient]:
        """The apps patients can be invited to (all pages)."""
        await self._needs_apps()
        walk = self._walk(InvitationClient, "clients", "/api/v1/clients", {}, page_size, "listing patient apps")
        return [app async for app in walk]

    async def study_apps(self, study_id: int) -> list[InvitationClient]:
        await self._needs_apps()
        doing = "listing the study's patient apps"
        links = await self._get(f"/api/v1/studies/{int(study_id)}/clients", doing)
        with _reading(doing):
            return _parse_list(InvitationClient, [link["client"] for link in links or []], doing)

    async def add_study_app(self, study_id: int, app_id: int) -> InvitationClient:
        app = next((a for a in await self.patient_apps() if a.id == int(app_id)), None)
        if app is None:
            raise InvalidInput(f"There is no patient app {app_id} on this server.")
        if any(a.id == app.id for a in await self.study_apps(study_id)):
            raise Conflict(f"{app.name} is already an app of study {study_id}.")
        await self._session.json("POST", f"/api/v1/studies/{int(study_id)}/clients", json={"client_id": app.id},
                                 doing="adding the patient app")
        return app

    async def remove_study_app(self, study_id: int, app_id: int) -> InvitationClient:
        app = next((a for a in await self.study_apps(study_id) if a.id == int(app_id)), None)
        if app is None:
            raise InvalidInput(f"Patient app {app_id} is not one of study {study_id}'s.")
        await self._session.json("DELETE", f"/api/v1/studies/{int(study_id)}/clients", json={"client_id": app.id},
                                 doing="removing the patient app")
        return app
