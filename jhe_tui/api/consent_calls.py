"""Invitations and consent on the patient's behalf, for both generations (v0.0.7 issues links by a
GET and has no consent PATCH; v0.0.13 issues them by POST per client app and lists them)."""

from __future__ import annotations

from typing import Any

from .client_core import LARGE_PAGE, ClientCore, Scope, _parse, _parse_list, _reading, scope_key
from .errors import InvalidInput, ServerFailure
from .invitations import IssuedInvitation
from .models import Invitation, InvitationClient, PatientConsents, ScopeConsent


class ConsentCalls(ClientCore):
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
