"""The console's idea of "now", in one place so tests (and snapshots) can pin it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_ahead = timedelta(0)  # set by `jhe-tui --demo --now`


def now() -> datetime:
    return datetime.now(UTC) + _ahead


def start_at(moment: datetime) -> None:
    """Take ``moment`` as now and run on from it: a demonstration of what the console shows days
    later (who has not connected after 48 hours, who went quiet), without waiting for them."""
    global _ahead
    _ahead = moment - datetime.now(UTC)


def utc_text(moment: datetime | None) -> str:
    """``2026-11-25 21:28`` in UTC: unambiguous for a team spread over time zones."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def ago(moment: datetime | None, at: datetime | None = None) -> str:
    """"3 d ago", "5 h ago", "12 min ago", or "never"."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = ((at or now()) - moment).total_seconds()
    if seconds < 0:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86_400 * 2:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86_400)} d ago"
