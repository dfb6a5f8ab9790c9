"""Bulk onboarding from a CSV file: read and check it, then run the import job with a journal
and write the report. No UI here: the `jhe-tui import` command and the console's Import screen
are two faces of the same job."""

from .job import (
    ADDED,
    CREATED,
    FAILED,
    INVALID,
    SKIPPED,
    WOULD_ADD,
    WOULD_CREATE,
    ImportJob,
    ImportOptions,
    PreflightError,
    RowResult,
    Summary,
)
from .journal import Journal, JournalError, default_journal_path
from .report import default_report_path, neutralize, write_report
from .source import Source, SourceError, SourceRow, read_source

__all__ = [
    "ADDED", "CREATED", "FAILED", "INVALID", "SKIPPED", "WOULD_ADD", "WOULD_CREATE",
    "ImportJob", "ImportOptions", "Journal", "JournalError", "PreflightError", "RowResult", "Source",
    "SourceError", "SourceRow", "Summary", "default_journal_path", "default_report_path", "neutralize", "read_source", "write_report",
]
