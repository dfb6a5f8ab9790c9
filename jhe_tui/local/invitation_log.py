"""The invitations issued from this workstation, for servers that keep no history (JHE before
v0.0.13 forgets a link once issued: no endpoint lists what was sent, when, or to whom).

One JSON object a line in the user data directory (mode 0600, in a 0700 directory): when,
which practitioner, which server, which patient, which app, e-mailed or copied. Never the link
or its code, which would let anyone reading the file connect as the patient. What it says holds
for this workstation only, and the screens that show it say so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from jhe_tui.local import paths
from jhe_tui.local.audit import append_private

LOG_FILE = "invitations.jsonl"
WHERE = "recorded on this workstation"


@dataclass(frozen=True)
class LoggedInvitation:
    time: datetime
    practitioner: str  # the signed-in practitioner's e-mail
    server: str
    patient_id: int
    client: str  # the app's name, or "" where the server has one app
    emailed: bool  # False: the link was shown to be copied


def log_path() -> Path:
    return paths.data_dir() / LOG_FILE


def record_invitation(entry: LoggedInvitation) -> Path:
    return append_private(log_path(), [{**asdict(entry), "time": entry.time.astimezone(UTC).isoformat()}])


def invitations_for(server: str, path: Path | None = None) -> list[LoggedInvitation]:
    """This server's entries, oldest first; a damaged line is skipped, not fatal."""
    source = path or log_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
            entry = LoggedInvitation(datetime.fromisoformat(data["time"]), str(data["practitioner"]),
                                     str(data["server"]), int(data["patient_id"]), str(data.get("client", "")),
                                     bool(data["emailed"]))
        except (ValueError, KeyError, TypeError):
            continue
        if entry.server == server:
            found.append(entry)
    return found
