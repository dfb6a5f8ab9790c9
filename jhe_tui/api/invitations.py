"""What a server lists about the invitations it issued (v0.0.13 ``GET /api/v1/invitation``).

The list never shows a link again (``token`` is null): it says whether an invitation was issued
and what became of it, which is what an interrupted import needs to know before it sends another.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, Field

from .models import ApiModel


class IssuedInvitation(ApiModel):
    id: int
    patient_id: int
    client_id: int | None = Field(default=None, validation_alias=AliasChoices("client_id", "clientId"))
    status: str = ""  # issued, reissued (a newer one replaced it), redeemed, expired, cancelled
    last_updated: datetime | None = None
