"""What a server keeps about the invitations it issued (v0.0.13 ``GET /api/v1/invitation`` and
``consolidated_clients``), and the calls that read it.

The list never shows a link again (``token`` is null): it says whether an invitation was issued
and what became of it, which is what an interrupted import needs to know before it sends another,
and what the follow-up desk and the patient record show. v0.0.7 keeps nothing of the kind.

v0.0.13 records only a status and the time it last changed; the demo adds when the link was
issued, when it expires, when it was redeemed and whether it was e-mailed. Where a server does
not say, ``issued_at`` falls back on the last change and ``expires_at`` on v0.0.13's default
lifetime (the setting ``auth.patient.invitation_expiration_days`` can change it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AliasChoices, Field

from .client_core import ClientCore, _parse_list
from .models import ApiModel, InvitationClient

DEFAULT_LIFETIME = timedelta(days=7)  # v0.0.13's default
GUIDE_LIFETIME = timedelta(days=14)  # v0.0.7's grant (PATIENT_AUTHORIZATION_CODE_EXPIRE_SECONDS)
OUTSTANDING = "issued"


class IssuedInvitation(ApiModel):
    id: int
    patient_id: int
    client_id: int | None = Field(default=None, validation_alias=AliasChoices("client_id", "clientId"))
    status: str = ""  # issued, reissued (a newer one replaced it), redeemed, expired, cancelled
    last_updated: datetime | None = None
    created: datetime | None = None  # the demo only
    expires: datetime | None = None  # the demo only
    redeemed: datetime | None = None  # the demo only
    sent_by_email: bool | None = None  # the demo only; None: the server does not say

    @property
    def issued_at(self) -> datetime | None:
        return self.created or self.last_updated

    @property
    def expires_at(self) -> datetime | None:
        if self.expires is not None:
            return self.expires
        return self.issued_at + DEFAULT_LIFETIME if self.issued_at else None

    @property
    def expiry_known(self) -> bool:
        return self.expires is not None

    def status_at(self, now: datetime) -> str:
        """The status as of ``now``: an unused link past its expiry is ``expired`` (v0.0.13 marks
        it so only when someone tries it)."""
        if self.status == OUTSTANDING and self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return self.status

    @property
    def redeemed_at(self) -> datetime | None:
        return self.redeemed or (self.last_updated if self.status == "redeemed" else None)


class ClientInvitations(InvitationClient):
    """One app linked to the patient's studies, with the patient's invitations for it, newest first."""

    invitations: list[IssuedInvitation] = Field([], validation_alias=AliasChoices("patientInvitations",
                                                                                  "invitations"))


class InvitationCalls(ClientCore):
    @property
    def server_url(self) -> str:
        """The server's address, as this workstation's invitation log names it."""
        return self._session.base_url.rstrip("/")

    async def keeps_invitations(self) -> bool:
        """Whether the server keeps invitations and their statuses (v0.0.13+, the demo)."""
        return (await self.adapter()).lists_invitations

    async def invitation_history(self, patient_id: int) -> list[ClientInvitations] | None:
        """The patient's invitations per app, or None where the server keeps none (v0.0.7)."""
        if not await self.keeps_invitations():
            return None
        doing = "loading the patient's invitations"
        data = await self._get(f"/api/v1/patients/{int(patient_id)}/consolidated_clients", doing)
        return _parse_list(ClientInvitations, data, doing)
