"""Issuing an invitation link, the one way every path does it (the patient record, the
follow-up desk's re-issue, the bulk import): the server's call, then one line in this
workstation's invitation log.

JHE before v0.0.13 keeps no invitation history, so that log is all the desk has to tell "not
connected" from "never invited"; a path that issued links without it made its patients look
never invited. Only an answer received is logged: an invitation whose answer was lost is found
again only where the server lists invitations, and there the server's history tells.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from jhe_tui.api import Invitation, JheClient
from jhe_tui.local.invitation_log import LoggedInvitation, record_invitation


def wall_clock() -> datetime:
    return datetime.now(UTC)


async def issue_invitation(client: JheClient, patient_id: int, *, send_email: bool, practitioner: str,
                           client_id: int | None = None, clock: Callable[[], datetime] = wall_clock) -> Invitation:
    """A new link for the patient (earlier ones stop working), e-mailed or not, and logged."""
    invitation = await client.invitation_link(patient_id, send_email=send_email, client_id=client_id)
    record_invitation(LoggedInvitation(clock(), practitioner, client.server_url, patient_id,
                                       invitation.client_name or "", invitation.sent_by_email))
    return invitation
