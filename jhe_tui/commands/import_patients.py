"""`jhe-tui import`: bulk onboarding from a CSV file, with a progress bar.

The work is `jhe_tui.jobs.imports`; this module parses options, shows progress (count, rate,
ETA, failures) and prints where the report and the journal are. Rerunning the same command
resumes from the journal, so a crash or ctrl+c never means starting over or duplicating.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_server_options, fail, shown, target

if TYPE_CHECKING:
    from jhe_tui.jobs.imports import Checkpoint, ImportRun

EPILOG = """\
The CSV needs the columns email, last_name, first_name, dob (YYYY-MM-DD) and optionally phone and
external_id (common aliases such as "E-mail", "Surname" or "Date of birth" are understood);
UTF-8 with or without BOM, comma or semicolon separated.

Per row: a patient already in the organization is skipped, one in another organization is added,
anyone else is created; then enrolled in --study and, with --invite, given an invitation link
(e-mailed by the server with --send-email, otherwise listed in the report).

Every completed step is recorded in a journal (default: in the user data directory, one per CSV
file, organization and study). Running the same command again after a failure, a crash or
ctrl+c finishes the job without duplicating anything. An invitation the interrupted run may have
e-mailed is looked up on servers that list invitations (v0.0.13); on others (v0.0.7) the row is
reported "an invitation may already have been sent" and e-mailed again only with --reinvite.

Exit codes: 0 every row done, 1 some rows failed or were invalid, 2 bad usage.
"""


def register(sub) -> None:
    imp = sub.add_parser(
        "import",
        help="bulk-onboard patients from a CSV file",
        description="Create (or add), enroll and invite the patients listed in a CSV file.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path, metavar="FILE.csv", help="the patients, one a row (see below)")
    imp.add_argument("--org", type=int, required=True, metavar="ID",
                     help="organization to import into (`jhe-tui whoami` lists yours)")
    imp.add_argument("--study", type=int, metavar="ID", help="also enroll every patient in this study")
    imp.add_argument("--invite", action="store_true", help="generate an invitation link per new patient")
    imp.add_argument("--send-email", action="store_true", help="have the server e-mail the invitations (implies --invite)")
    imp.add_argument("--reinvite", action="store_true",
                     help="send again the invitations an interrupted run may already have sent, where the server "
                          "cannot tell (each new link cancels the earlier one)")
    imp.add_argument("--dry-run", action="store_true", help="check and look up every row, change nothing")
    imp.add_argument("--json", action="store_true",
                     help="end with a one-line JSON summary on stdout (counts per outcome, report, exit status)")
    imp.add_argument("--concurrency", type=int, default=4, metavar="N", help="rows in flight at most (default 4, 1-32); fewer while the server slows down")
    imp.add_argument("--journal", type=Path, metavar="FILE", help="journal file (default: user data directory)")
    imp.add_argument("--report", type=Path, metavar="FILE",
                     help="report CSV (default: FILE-report.csv beside the input)")
    add_server_options(imp)
    imp.set_defaults(handler=run)


class _Display:
    """The rich progress bar on a terminal; a plain line now and then otherwise."""

    def __init__(self, total: int, dry_run: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:6.1f} patients/s" if speed else "     - patients/s", style="progress.data.speed")

        class Failures(ProgressColumn):
            def render(self, task) -> Text:
                failed, invalid = task.fields.get("failed", 0), task.fields.get("invalid", 0)
                style = "red" if failed else ("yellow" if invalid else "green")
                return Text(f"{failed} failed, {invalid} invalid", style=style)

        self.console = Console(stderr=True)
        self.total = total
        self.started = self.last_line = time.monotonic()
        self.failed = self.invalid = self.done = self.earlier = 0
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            Failures(),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
        self.task = self.progress.add_task("Checking" if dry_run else "Importing", total=total, failed=0, invalid=0)

    def __enter__(self) -> _Display:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def row(self, result) -> None:
        from jhe_tui.jobs.imports import Outcome

        self.done += 1
        self.earlier += result.earlier
        self.failed += result.outcome is Outcome.FAILED
        self.invalid += result.outcome is Outcome.INVALID
        self.progress.update(self.task, advance=1, failed=self.failed, invalid=self.invalid)
        if not self.console.is_terminal:
            # In a log (cron, CI) a line every tenth of the way, or every 30 s, instead of a bar.
            now = time.monotonic()
            step = max(1, self.total // 10)
            if self.done == self.total or self.done % step == 0 or now - self.last_line >= 30:
                self.last_line = now
                elapsed = max(now - self.started, 1e-6)
                # The rate of this run's own rows: those an earlier run did take no time now.
                earlier = f", {self.earlier} done in an earlier run" if self.earlier else ""
                print(f"{self.done}/{self.total} rows{earlier}, {(self.done - self.earlier) / elapsed:.1f} rows/s, "
                      f"{self.failed} failed, {self.invalid} invalid", file=sys.stderr, flush=True)


async def _run(args: argparse.Namespace, checkpoint: Checkpoint | None) -> int:
    import asyncio
    from jhe_tui.commands.connect import open_client
    from jhe_tui.jobs.imports import ImportOptions, ImportRun, JournalError, PreflightError, SourceError, read_source

    if not 1 <= args.concurrency <= 32:
        return fail("--concurrency must be between 1 and 32.", EXIT_USAGE)
    try:
        source = read_source(args.file)
    except SourceError as exc:
        return fail(str(exc), EXIT_USAGE)
    where = target(args)
    options = ImportOptions(args.org, args.study, invite=args.invite, send_email=args.send_email,
                            reinvite=args.reinvite, dry_run=args.dry_run, concurrency=args.concurrency)
    err = sys.stderr
    invalid = len(source.invalid_rows)
    blank = len(source.blank_lines)
    print(shown(f"{args.file.name}: {len(source.rows)} rows, {invalid} invalid"
                + (f", {blank} blank line{'s' * (blank != 1)} skipped" if blank else "")
                + (f"; ignored columns: {', '.join(source.ignored_columns)}" if source.ignored_columns else "")),
          file=err)
    async with open_client(where) as client:
        display = _Display(len(source.rows), args.dry_run)
        run = ImportRun(client, source, options, journal_path=args.journal, report_path=args.report,
                        on_row=display.row, checkpoint=checkpoint)
        try:
            await run.prepare()
        except (PreflightError, JournalError) as exc:
            return fail(str(exc), EXIT_USAGE)
        if run.journal is not None and run.journal.resumed:
            print(shown(f"Resuming from the journal {run.journal_path} ({len(run.journal.states)} patients already "
                        "recorded)."),
                  file=err)
        try:
            with display:
                summary = await run.run()
        except asyncio.CancelledError:
            if run.summary is None:
                raise
            print(f"\nInterrupted: {run.summary.describe()}.", file=err)
            _print_report(run)
            print("Run the same command again to finish; the journal remembers what is done.", file=err)
            raise
    verb = "Dry run" if args.dry_run else "Import"
    verb += " stopped after" if summary.aborted else " finished in"
    # The rate of the rows this run did itself: those of earlier runs took no time now.
    done = summary.rows_done_now
    rate = f" ({done / summary.elapsed:.1f} rows/s)" if done and summary.elapsed > 0 else ""
    print(f"{verb} {summary.elapsed:.1f} s{rate}: {summary.describe()}.", file=err)
    if summary.aborted:
        print(shown(f"Stopped early: {summary.aborted}"), file=err)
    _print_report(run)
    if run.journal_path is not None:
        print(shown(f"Journal: {run.journal_path}"), file=err)
    if summary.failed:
        print("Rows marked failed are retried by running the same command again; finished rows are not repeated.",
              file=err)
    if summary.invites_unsure:
        print("Rows marked \"an invitation may already have been sent\" get no second e-mail unless you run the "
              "same command with --reinvite.", file=err)
    if summary.invalid:
        print("Invalid rows are explained in the report; fix them in the file and run the same command again.",
              file=err)
    code = summary.exit_code if run.report_problem is None else max(summary.exit_code, EXIT_FAILED)
    if args.json:
        _json_summary(args, run, summary, code)
    return code


def _json_summary(args: argparse.Namespace, run: ImportRun, summary, code: int) -> None:
    """The closing line for scripts: stdout holds nothing else, the progress and sentences go to stderr."""
    import json

    from jhe_tui.jobs.imports.outcomes import Outcome

    line = {"command": "import", "status": "ok" if code == EXIT_OK else "failed", "exit": code,
            "file": str(args.file), "dry_run": args.dry_run, "rows": len(summary.results),
            **{outcome.value.replace(" ", "_"): summary.count(outcome) for outcome in Outcome},
            "report": None if run.report_problem else str(run.report_path),
            "journal": str(run.journal_path) if run.journal_path else None, "seconds": round(summary.elapsed, 3)}
    print(shown(json.dumps(line, ensure_ascii=False)), flush=True)


def _print_report(run: ImportRun) -> None:
    print(shown(run.report_problem or f"Report: {run.report_path}"), file=sys.stderr)


def run(args: argparse.Namespace, *, checkpoint: Checkpoint | None = None) -> int:
    """The command; ``checkpoint`` is where the kill-and-resume tests' launcher makes the job die
    at a chosen step (``jhe_tui.jobs.imports.CHECKPOINTS``)."""
    import asyncio
    return asyncio.run(_run(args, checkpoint))
