"""One import from the checks to the report, the same for `jhe-tui import` and the Import screen.

``prepare`` checks the organization, role and study, then opens the journal (resuming it when an
earlier run of the same file, organization and study left one); ``run`` runs every row, closes the
journal and writes the report, whether the run completed, was stopped (``stop``: the rows in
flight finish) or was interrupted (ctrl+c, the console quitting: the cancellation goes on once the
report is written). A dry run writes no journal, only its report; it reads the journal, so that
it tells the rows an earlier run did from those a rerun would do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jhe_tui.api import JheClient, RetryPolicy

from .job import ImportJob
from .journal import Journal, default_journal_path
from .options import ImportOptions
from .outcomes import RowResult, Summary
from .report import default_report_path, write_report
from .source import Source
from .steps import Checkpoint, no_checkpoint


class ImportRun:
    def __init__(
        self,
        client: JheClient,
        source: Source,
        options: ImportOptions,
        *,
        journal_path: Path | None = None,
        report_path: Path | None = None,
        on_row: Callable[[RowResult], None] | None = None,
        retry: RetryPolicy | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.options = options
        journal_path = journal_path or default_journal_path(source.path, options.organization_id, options.study_id)
        self.journal_path = None if options.dry_run else journal_path
        self._earlier_path = journal_path if options.dry_run else None  # read, never written
        self.report_path = report_path or default_report_path(source.path, options.dry_run)
        self.job = ImportJob(client, source, options, on_row=on_row, retry=retry,
                             checkpoint=checkpoint or no_checkpoint)
        self.journal: Journal | None = None
        self.report_problem: str | None = None  # why the report could not be written, if it was not
        self._prepared = False

    @property
    def summary(self) -> Summary | None:
        """The rows' results once ``run`` has ended, completed or not."""
        return self.job.summary

    async def prepare(self) -> None:
        """Check before any row, then open the journal: ``PreflightError``, ``JournalError``."""
        await self.job.preflight()
        if self._earlier_path is not None:
            self.job.earlier = Journal.read(self._earlier_path, self.options.organization_id, self.options.study_id)
        if self.journal_path is not None:
            self.journal = self.job.journal = Journal.open(self.journal_path, self.options.organization_id,
                                                           self.options.study_id)
        self._prepared = True

    async def run(self) -> Summary:
        """Every row, then the report; on interruption the report too, then the cancellation."""
        try:
            if not self._prepared:
                await self.prepare()
            return await self.job.run()
        finally:
            if self.journal is not None:
                self.journal.close()
            if self.job.summary is not None:
                self._write_report(self.job.summary)

    def stop(self) -> None:
        """Start no further row; the rows in flight finish and ``run`` returns with the report written."""
        self.job.stop()

    def _write_report(self, summary: Summary) -> None:
        try:
            write_report(self.report_path, (r.report_line() for r in summary.results))
        except OSError as problem:
            self.report_problem = f"The report {self.report_path} could not be written ({problem.strerror})."
