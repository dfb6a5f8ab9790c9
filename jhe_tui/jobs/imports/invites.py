"""The import's invitation step: no patient gets a second e-mail because a run died or an answer
was lost on the way.

Before the call the journal records the intent (``inviting``: whether it e-mails, and the newest
invitation the server listed for the patient beforehand, 0 for a patient this import created);
after it, the result. A row found with an intent and no result was interrupted while the server
may have acted:

* An e-mailed invitation is looked for where the server lists what it issued (v0.0.13, the demo):
  one newer than the recorded mark was sent by the interrupted run and is recorded, and nothing
  goes out; none means the call never took effect, and it is made. Where nothing tells (v0.0.7)
  the row is reported "an invitation may already have been sent" and the e-mail goes out again
  only with ``reinvite``.
* A link without e-mail reached nobody: it lives only in the report, which is written from what
  the journal holds, so it is issued again (the server retires the lost one).

Within a run the same rule holds for a call whose answer was lost (a dropped connection, a 5xx):
the server is asked before anything is sent again.

Each link issued is noted in this workstation's invitation log (``jobs.invitation_issue``), as the
record's and the desk's are, so that on a server without invitation history the follow-up desk
knows the import invited them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jhe_tui.api import Invitation, JheClient, JheError, NetworkFailure, ServerFailure
from jhe_tui.api.generation import Adapter
from jhe_tui.api.invitations import IssuedInvitation

from ..invitation_issue import issue_invitation
from .journal import RowState

UNSURE = ("an invitation may already have been sent: the server's answer never arrived and this server "
          "(JHE before v0.0.13) does not list invitations; run the same import with --reinvite to send "
          "another, which cancels the earlier link")

Record = Callable[..., Awaitable[None]]
Retrying = Callable[..., Awaitable[Any]]


class _Unsure(Exception):
    """The server cannot say whether the invitation went out."""


@dataclass
class Invited:
    note: str
    link: str = ""
    emailed: bool = False
    unsure: bool = False  # may have been sent; not sent again without ``reinvite``


class Inviter:
    def __init__(self, client: JheClient, adapter: Adapter, *, send_email: bool, reinvite: bool,
                 retrying: Retrying, checkpoint: Callable[[str], None], practitioner: str = "") -> None:
        self.client = client
        self.practitioner = practitioner  # for this workstation's invitation log
        self.adapter = adapter
        self.send_email = send_email
        self.reinvite = reinvite
        self._retrying = retrying
        self._checkpoint = checkpoint

    async def invite(self, patient_id: int, state: RowState, *, created: bool, record: Record) -> Invited:
        """Invite the patient once; ``state`` is the row's journal, ``created`` whether this import
        created the patient (who then had no invitation before)."""
        again = state.inviting and not state.invite_emailed
        if state.inviting and state.invite_emailed:
            try:
                found = await self._sent_since(patient_id, state.invite_after)
            except _Unsure:
                return Invited(UNSURE, unsure=True)
            if found is not None:
                await record("invited", emailed=True, found=found.id)
                return Invited("invitation e-mailed before the interruption (found on the server)", emailed=True)
        send = self.send_email
        after = await self._mark(patient_id, created) if send else None
        await record("inviting", emailed=send, after=after)
        self._checkpoint("after-invite-intent")

        async def sent_after_all() -> IssuedInvitation | None:
            return await self._sent_since(patient_id, after)

        try:
            answer = await self._retrying(lambda: issue_invitation(self.client, patient_id, send_email=send,
                                                                   practitioner=self.practitioner),
                                          verify=sent_after_all if send else None)
        except _Unsure:
            return Invited(UNSURE, unsure=True)
        except (NetworkFailure, ServerFailure):
            raise  # unclear: the intent stays, and the next run checks
        except JheError as exc:
            if exc.status != 429:
                await record("not invited")  # refused: nothing was sent
            raise
        self._checkpoint("after-invite")
        if isinstance(answer, IssuedInvitation):  # the lost answer's invitation, found on the server
            await record("invited", emailed=True, found=answer.id)
            return Invited("invitation e-mailed", emailed=True)
        assert isinstance(answer, Invitation)
        await record("invited", link=answer.link, emailed=send)
        if send:
            return Invited("invitation e-mailed", answer.link, emailed=True)
        note = "invitation link issued again (the interrupted run never showed the first)" if again else ""
        return Invited(note or "invitation link in this report", answer.link)

    async def _mark(self, patient_id: int, created: bool) -> int | None:
        """The newest invitation the server lists for the patient now (0: none); None where the
        server lists none."""
        if not self.adapter.lists_invitations:
            return None
        if created:
            return 0
        issued = await self._retrying(lambda: self.client.invitations(patient_id))
        return issued[0].id if issued else 0

    async def _sent_since(self, patient_id: int, after: int | None) -> IssuedInvitation | None:
        """The patient's invitation issued after ``after``, or None; ``_Unsure`` where the server
        cannot tell, unless ``reinvite`` says to send anyway."""
        if after is None or not self.adapter.lists_invitations:
            if self.reinvite:
                return None
            raise _Unsure
        issued = await self._retrying(lambda: self.client.invitations(patient_id))
        return next((invitation for invitation in issued if invitation.id > after), None)
