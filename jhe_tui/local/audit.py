"""A local, append-only record of consent changes made on a patient's behalf.

The server stores only the consent row, not who in the clinic authorized the change or
on what grounds; a coordinator may be asked months later. So every grant, decline or revoke the
console makes is also written here, one line per data type even when one attestation covered a
whole study, as one JSON object a line (easy to grep, to ship to
a SIEM, or to read back in a spreadsheet). The file is private to its owner (mode 0600)
because it names patients by id, and it never holds a token.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from jhe_tui.local import paths

AUDIT_FILE = "audit.jsonl"


@dataclass(frozen=True)
class ConsentAudit:
    """One consent change: who did it, where, to whom, and who authorized it."""

    action: str  # "grant", "decline" (a pending scope) or "revoke" (a granted one)
    practitioner_id: int
    practitioner_email: str
    server: str
    patient_id: int
    study_id: int
    scope_code: str
    attestation: str


def audit_path() -> Path:
    return paths.data_dir() / AUDIT_FILE


def record_consent(*entries: ConsentAudit, now: datetime | None = None) -> Path:
    """Append one line per entry, all with the same time and in one write (the changes of one
    attestation stay together); returns the file so the UI can say where it went."""
    moment = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return append_private(audit_path(), [{"time": moment, **asdict(entry)} for entry in entries])


def append_private(path: Path, records: list[dict]) -> Path:
    """Append one JSON object a line, in one write, to a file only its owner may read."""
    paths.private_dir(path.parent)
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    # os.open so the file is born 0600 (no window where it is world-readable); chmod
    # repairs a file that someone created earlier with looser permissions.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, lines.encode())
    finally:
        os.close(fd)
    return path
