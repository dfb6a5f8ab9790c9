"""The follow-up desk as text, CSV and JSON: what `jhe-tui followup` prints and what the desk
exports for phone follow-up.

The CSV is formula-safe and, when written to a file, mode 0600 and atomic
(``imports.report.write_safe_csv``): it names patients, their e-mail addresses and phone numbers.
It never holds an invitation link.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jhe_tui.jobs.followup import Desk, Queue, Row
from jhe_tui.jobs.imports.report import neutralize, write_safe_csv

CSV_HEADER = ["queue", "patient_id", "name", "email", "phone", "reason", "invited", "invitation_status",
              "expires", "last_data"]


def _time(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def last_data_text(row: Row) -> str:
    return "; ".join(f"{name}: {_time(moment) or 'never'}" for name, moment in row.last_data.items())


def csv_line(row: Row) -> list[object]:
    invited = row.invited
    return [row.queue.value, row.id, row.patient.display_name, row.patient.telecom_email or "",
            row.patient.telecom_phone or "", row.reason, _time(invited.issued) if invited else "",
            invited.status if invited else "", _time(invited.expires) if invited else "", last_data_text(row)]


def rows_of(desk: Desk, queues: Sequence[Queue]) -> Iterable[Row]:
    for queue in queues:
        yield from desk.queues[queue]


def write_csv(path: Path, rows: Iterable[Row]) -> None:
    write_safe_csv(path, CSV_HEADER, (csv_line(row) for row in rows))


def csv_text(rows: Iterable[Row]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([neutralize(cell) for cell in csv_line(row)])
    return out.getvalue()


def json_text(desk: Desk, queues: Sequence[Queue]) -> str:
    def item(row: Row) -> dict[str, Any]:
        return dict(zip(CSV_HEADER[1:], csv_line(row)[1:], strict=True)) | {
            "last_data": {name: _time(moment) or None for name, moment in row.last_data.items()}}

    document = {"organization_id": desk.organization_id, "study_id": desk.study_id, "now": _time(desk.now),
                "hours": desk.rules.hours, "days": desk.rules.days, "patients": desk.patients,
                "queues": {queue.value: [item(row) for row in desk.queues[queue]] for queue in queues},
                "notes": {queue.value: note for queue, note in desk.notes.items() if queue in queues}}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def table_text(desk: Desk, queues: Sequence[Queue]) -> str:
    """One block per queue, its count in the heading, then what the server could not say."""
    lines = [f"Follow-up for organization {desk.organization_id}"
             + (f", study {desk.study_id}" if desk.study_id else "")
             + f" as of {_time(desk.now)}: {desk.patients} patients"]
    for queue in queues:
        rows = desk.queues[queue]
        lines += ["", f"{queue.title} ({len(rows)})"]
        if not rows:
            lines.append("  nobody")
        width = max((len(row.patient.display_name) for row in rows), default=0)
        for row in rows:
            lines.append(f"  {row.id:>8}  {row.patient.display_name:<{width}}  {row.patient.telecom_email or '':<30}"
                         f"  {row.reason}")
            if row.last_data:
                lines.append(f"  {'':>8}  {last_data_text(row)}")
        if queue in desk.notes:
            lines.append(f"  Note: {desk.notes[queue]}")
    return "\n".join(lines) + "\n"
