"""The report: one CSV line per input row, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
and LibreOffice (CSV injection); such cells get a leading apostrophe, the OWASP advice, so a
patient named ``=HYPERLINK(...)`` stays text. The file holds e-mails and invitation links, so it
is created 0600 and written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

HEADER = ["row", "email", "outcome", "patient_id", "enrolled", "invitation_link", "message"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def default_report_path(source: Path, dry_run: bool = False) -> Path:
    """Beside the input file, which holds the same patients: ``cohort.csv`` -> ``cohort-report.csv``."""
    source = Path(source)
    return source.with_name(source.stem + ("-dry-run-report.csv" if dry_run else "-report.csv"))


def neutralize(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_report(path: Path, lines: Iterable[list[object]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for line in lines:
            writer.writerow([neutralize(cell) for cell in line])
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
