"""The report: one CSV line per input row, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
and LibreOffice (CSV injection); such cells get a leading apostrophe, the OWASP advice, so a
patient named ``=HYPERLINK(...)`` stays text. The file holds e-mails and invitation links, so it
is created 0600 and written atomically (a new temporary file beside it, never opened through a
link, renamed into place).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from jhe_tui.local import paths

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
    write_safe_csv(path, HEADER, lines)


def write_safe_csv(path: Path, header: list[str], lines: Iterable[list[object]]) -> None:
    """A CSV file of patient data: formula-safe cells, mode 0600, written atomically."""
    path = Path(path)
    paths.make_dirs(path.parent)
    fd, temporary = paths.create_beside(path, ".tmp", hidden=True)  # new, 0600, never through a link
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for line in lines:
                writer.writerow([neutralize(cell) for cell in line])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # its name is this run's own: no later run would reuse it
        raise
