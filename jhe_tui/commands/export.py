"""`jhe-tui export observations`: CSV, NDJSON or a FHIR Bundle, with a progress bar."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_server_options, fail, shown, target

SLOW_PAGE = 2.0  # seconds a page: from here the server, not this machine, sets the export's pace


def register(sub) -> None:
    exp = sub.add_parser(
        "export",
        help="export observations",
        description="Export the observations of an organization (optionally one study, patient, data type "
        "or date range) to a file, page by page, so memory stays flat however many there are.",
        epilog="Formats: csv, one tidy row per observation (patient id, data type, times, value columns "
        "with units); ndjson, one FHIR Observation a line; fhir, one FHIR Bundle. The file is written "
        "as a new FILE.<random>.partial beside it (mode 0600) and renamed when complete; a failure or ctrl+c "
        "leaves the .partial file and a small .resume record beside it, and the same command with --resume "
        "carries on from there. Pages are fetched as many at once as the server serves; a slow server "
        "gets --timeout seconds a page (default 120). With -o - the export goes to the standard output (the progress bar to stderr); "
        "a device, pipe, directory or link is refused as FILE. "
        "Exit codes: 0 done, 1 the export failed, 2 bad usage.",
    )
    exp.add_argument("what", choices=["observations"], help="what to export")
    exp.add_argument("--org", type=int, required=True, metavar="ID", help="organization (`jhe-tui whoami` lists yours)")
    exp.add_argument("--study", type=int, metavar="ID", help="only this study (of that organization)")
    exp.add_argument("--patient", type=int, metavar="ID", help="only this patient")
    exp.add_argument("--code", metavar="CODE", help="data type: its name (blood-pressure), its code (omh:blood-pressure:4.0) or SYSTEM|CODE; "
                     "an unknown one is refused with the codes the server knows")
    exp.add_argument("--since", metavar="DATE", help="first day (YYYY-MM-DD), inclusive")
    exp.add_argument("--until", metavar="DATE", help="last day (YYYY-MM-DD), inclusive")
    exp.add_argument("--format", choices=["csv", "ndjson", "fhir"], required=True, help="file format (see below)")
    exp.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                     help="the file to write, or - for the standard output")
    exp.add_argument("--force", action="store_true", help="overwrite an existing file")
    exp.add_argument("--resume", action="store_true",
                     help="carry on an interrupted export of the same query and format to FILE")
    exp.add_argument("--quiet", action="store_true", help="no progress bar")
    exp.add_argument("--columns", choices=["tidy", "wide"], default="tidy",
                     help="CSV columns: tidy (default) as jupyterhealth-client's tidy_observation, only those "
                     "with data; wide, a fixed set for every data type")
    exp.add_argument("--no-spreadsheet-safe", dest="spreadsheet_safe", action="store_false",
                     help="CSV: no apostrophe before text a spreadsheet would run as a formula (for pandas)")
    exp.add_argument("--with-patients", action="store_true",
                     help="NDJSON: also write Patient.ndjson (FHIR Patients) beside the file")
    exp.add_argument("--json", action="store_true",
                     help="end with a one-line JSON summary on stdout (on stderr with -o -)")
    add_server_options(exp)
    exp.set_defaults(handler=run)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} must be a date like 2026-01-31 (got {value!r}).") from None


def run(args: argparse.Namespace) -> int:
    import asyncio
    from jhe_tui.api import InvalidInput
    from jhe_tui.commands.connect import open_client
    from jhe_tui.jobs.export import ExportFailed, ExportRefused, check_output
    from jhe_tui.jobs.observations import ObservationQuery

    try:
        query = ObservationQuery(
            organization_id=args.org,
            study_id=args.study,
            patient_id=args.patient,
            code=args.code or None,
            since=_day(args.since, "--since"),
            until=_day(args.until, "--until"),
        )
        query.check()
        if args.resume and _to_stdout(args):
            raise ValueError("--resume needs a file: the standard output cannot be carried on.")
        if not _to_stdout(args):
            check_output(args.output, force=args.force)
    except (ValueError, InvalidInput, ExportRefused) as problem:
        return fail(getattr(problem, "message", None) or str(problem), EXIT_USAGE)
    client = open_client(target(args))
    try:
        result = asyncio.run(_export(client, query, args))
    except KeyboardInterrupt:
        again = "" if _to_stdout(args) else "; the same command with --resume carries on from the last page written"
        return fail(f"interrupted{again}.", EXIT_FAILED)
    except ExportRefused as problem:
        return _summary(args, EXIT_USAGE, error=str(problem)) or fail(str(problem), EXIT_USAGE)
    except InvalidInput as problem:
        return _summary(args, EXIT_USAGE, error=problem.message) or fail(problem.message, EXIT_USAGE)
    except ExportFailed as problem:
        if _to_stdout(args):
            _drop_unwritten_output()
        again = " Run the same command with --resume to carry on from there." if problem.resumable else ""
        partial = str(problem.partial) if problem.partial else None
        return (_summary(args, EXIT_FAILED, error=str(problem), partial=partial)
                or fail(f"{problem}{again}", EXIT_FAILED))
    noun = "observation" if result.count == 1 else "observations"
    where = result.path or "the standard output"
    print(shown(f"Exported {result.count:,} {noun} to {where} in {result.seconds:.1f} s ({result.rate:,.0f}/s)."),
          file=sys.stderr)
    _summary(args, EXIT_OK, count=result.count, file=str(result.path) if result.path else "-",
             patients_file=str(result.patients_path) if result.patients_path else None,
             patients=result.patients, seconds=round(result.seconds, 3))
    return EXIT_OK


def _summary(args: argparse.Namespace, code: int, **fields) -> None:
    """With --json, one line for scripts: on stdout, or on stderr when stdout carries the data.
    Returns None so a failure's sentence still follows on stderr."""
    if getattr(args, "json", False):
        import json

        status = {EXIT_OK: "ok", EXIT_FAILED: "failed", EXIT_USAGE: "usage"}[code]
        line = json.dumps({"command": "export", "status": status, "exit": code, "format": args.format, **fields},
                          ensure_ascii=False)
        print(shown(line), file=sys.stderr if _to_stdout(args) else sys.stdout, flush=True)


def _to_stdout(args: argparse.Namespace) -> bool:
    return str(args.output) == "-"


def _stdout():
    """The standard output as the export writes files: UTF-8, and no newline translation."""
    sys.stdout.flush()
    sys.stdout.reconfigure(encoding="utf-8", newline="")
    return sys.stdout


def _drop_unwritten_output() -> None:
    """After the reader of the standard output went away, what is still buffered for it goes
    nowhere, so Python's own flush at exit does not fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind it (a test's capture)
        pass


async def _export(client, query, args):
    from jhe_tui.jobs.export import OutputOptions, export_observations
    from jhe_tui.jobs.pacing import Pacing

    output = _stdout() if _to_stdout(args) else args.output
    pacing = Pacing(retry=client.retry)
    options = OutputOptions(columns=args.columns, spreadsheet_safe=args.spreadsheet_safe,
                            with_patients=args.with_patients)

    async def run(progress):
        # Nothing else runs on this event loop: writing on it is cheaper than in a thread.
        return await export_observations(
            client, query, args.format, output, force=args.force, progress=progress, write_in_thread=False,
            pacing=pacing, resume=args.resume, keep_interrupted=not _to_stdout(args), options=options,
        )

    async with client:
        if args.quiet or not sys.stderr.isatty():
            return await run(None)  # no bar to draw, and no rich to import (about 40 ms of start-up)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn("Exporting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[server]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("export", total=None, rate="", server="")
            said: list[str] = []

            def progress(done: int, total: int | None) -> None:
                elapsed = bar.tasks[0].elapsed or 0
                rate = f"{done / elapsed:,.0f} obs/s" if elapsed > 0 else ""
                bar.update(task, completed=done, total=max(total or 0, done) or None, rate=rate,
                           server=pacing.describe())
                limit = server_is_the_limit(pacing)
                if limit and not said:
                    said.append(limit)
                    bar.console.print(limit)

            return await run(progress)


def server_is_the_limit(pacing) -> str | None:
    """The one line for a slow server, once its pages are known to be slow: the wait is the server's."""
    seconds = pacing.answer_seconds
    if seconds is None or seconds < SLOW_PAGE or pacing.answered < 3:
        return None
    return (f"The server takes {seconds:.1f} s to prepare each page of 1,000, and jhe-tui already asks for as many "
            "at once as it serves: the server is the limit here, not this machine or the network.")
