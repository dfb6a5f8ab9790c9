"""What became of a patient's invitations, as the record shows it, and which link a new one kills.

v0.0.13 keeps each invitation per app with a status (`consolidated_clients`); v0.0.7 keeps none,
so this workstation's log stands in and the text says so. Pure functions of what was read, so
the record's module stays about the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jhe_tui.api.invitations import OUTSTANDING, ClientInvitations, IssuedInvitation
from jhe_tui.api.text import counted
from jhe_tui.jobs.followup import Invited
from jhe_tui.local.invitation_log import WHERE, LoggedInvitation
from jhe_tui.widgets.clock import utc_text


@dataclass(frozen=True)
class SessionLink:
    """A link generated in this session: kept on the record until the console locks or quits,
    so copying it again never issues another."""

    link: str
    issued: datetime
    emailed_to: str | None  # the address the server e-mailed it to; None: copied only
    client_name: str | None = None


def _days(delta_seconds: float) -> str:
    days = int(abs(delta_seconds) // 86_400)
    return f"{days} day{'s' * (days != 1)}"


def _server_line(invitation: IssuedInvitation, now: datetime) -> str:
    status = invitation.status_at(now)
    how = {True: ", e-mailed", False: ", copied"}.get(invitation.sent_by_email, "") \
        if invitation.sent_by_email is not None else ""
    line = f"{status}{how}, issued {utc_text(invitation.issued_at)}"
    if status == "issued" and invitation.expires_at is not None:
        line += f", expires in {_days((invitation.expires_at - now).total_seconds())}"
    elif status == "expired" and invitation.expires_at is not None:
        line += f", expired {utc_text(invitation.expires_at)}"
    elif status == "redeemed" and invitation.redeemed_at is not None:
        line += f", redeemed {utc_text(invitation.redeemed_at)}"
    return line


def history_text(history: list[ClientInvitations] | None, logged: list[LoggedInvitation], now: datetime) -> str:
    """The history, newest first per app; on a server that keeps none, this workstation's log."""
    if history is None:
        if not logged:
            return f"No invitation {WHERE} (this server keeps no invitation history)."
        lines = [f"Invitations {WHERE} (this server keeps no history):"]
        for entry in sorted(logged, key=lambda e: e.time, reverse=True):
            lines.append(f"  {utc_text(entry.time)} {'e-mailed' if entry.emailed else 'copied'} by {entry.practitioner}")
        return "\n".join(lines)
    apps = [app for app in history if app.invitations]
    if not apps:
        return "Never invited."
    lines = []
    for app in apps:
        lines.append(f"{app.name or f'App {app.id}'}:")
        lines += [f"  {_server_line(i, now)}" for i in sorted(app.invitations, key=lambda i: i.id, reverse=True)]
    return "\n".join(lines)


def outstanding(history: list[ClientInvitations] | None, logged: list[LoggedInvitation],
                session: SessionLink | None, now: datetime) -> str | None:
    """What a new link would kill, as a sentence; None when no link is outstanding."""
    if session is not None:
        how = f"e-mailed to {session.emailed_to}" if session.emailed_to else "copied"
        return f"the link {how} at {utc_text(session.issued)} (this session) will stop working."
    if history is not None:
        live = [i for app in history for i in app.invitations if i.status_at(now) == "issued"]
        if not live:
            return None
        newest = max(live, key=lambda i: i.id)
        how = {True: "e-mailed", False: "copied"}.get(newest.sent_by_email, "issued") \
            if newest.sent_by_email is not None else "issued"
        return f"the link {how} on {utc_text(newest.issued_at)[:10]} will stop working."
    if logged:
        newest_entry = max(logged, key=lambda e: e.time)
        how = "e-mailed" if newest_entry.emailed else "copied"
        return f"the link {how} on {utc_text(newest_entry.time)[:10]} ({WHERE}) will stop working, if still unused."
    return None


def outstanding_of_many(invited: list[Invited]) -> str | None:
    """What re-issuing for several patients kills, as a sentence naming when those links went
    out; None when none is outstanding. ``invited``: each patient's latest invitation."""
    live = [i for i in invited if i.status in (OUTSTANDING, "recorded")]
    if not live:
        return None
    days = sorted({utc_text(i.issued)[:10] for i in live if i.issued is not None})
    when = "" if not days else f" on {days[0]}" if len(days) == 1 else f" between {days[0]} and {days[-1]}"
    hows = {i.how for i in live}
    how = hows.pop() if len(hows) == 1 and "" not in hows else "sent"
    unsure = ", if still unused" if any(i.local for i in live) else ""
    where = f" ({WHERE})" if all(i.local for i in live) else ""
    return f"The links {how}{when} to {counted(len(live), 'patient')}{where} will stop working{unsure}."
