"""Bulk onboarding from a CSV file: read and check it, then run the import job with a journal
and write the report (``run``). No UI here: the `jhe-tui import` command and the console's Import
screen are two faces of the same run."""

from .job import ImportJob
from .journal import Journal, JournalError, default_journal_path
from .options import ImportOptions, PreflightError
from .outcomes import Outcome, RowResult, Summary
from .report import default_report_path, neutralize, write_report
from .run import ImportRun
from .source import Source, SourceError, SourceRow, read_source
from .steps import CHECKPOINTS, Checkpoint

__all__ = [
    "CHECKPOINTS", "Checkpoint", "ImportJob", "ImportOptions", "ImportRun", "Journal", "JournalError", "Outcome",
    "PreflightError", "RowResult", "Source", "SourceError", "SourceRow", "Summary", "default_journal_path",
    "default_report_path", "neutralize", "read_source", "write_report",
]
