"""Export observations to CSV, NDJSON or one FHIR Bundle, streaming page by page.

Memory stays flat: pages of the largest size the server allows (1000) are fetched a few ahead, as
many at once as the server serves (``pacing``), written and dropped. The file is written as a new
``<name>.<random>.partial`` beside it (mode 0600, owner only: it holds health data; made with
``O_EXCL | O_NOFOLLOW``, so nothing planted under that name is written through) and renamed when
complete, so a file with the requested name is always whole. If the server fails mid-way the
export stops and the ``.partial`` file stays, named as such, with a sidecar saying where it
stopped (``export_resume``: ``--resume`` carries on). The target must be a regular file, or not
exist: renaming over a device, a FIFO or a link (``/dev/stdout``) would replace it with patient
data. A stream (the command's ``-o -``, the
standard output) is written as it comes instead.

CSV rows are one per observation. ``tidy`` columns (the default, ``jobs.tidy_csv``) are the ones
jupyterhealth-client's ``tidy_observation`` gives, those with data only; ``wide`` ones are a fixed
set (``jobs.wide_csv``) whatever the data types. With ``spreadsheet_safe`` (the default) text cells that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) get a leading apostrophe; numbers are written as numbers, never touched. The Bundle and the
``Patient.ndjson`` written beside an NDJSON export are ``jobs.fhir_bundle``'s.

No Textual here; patient data never goes to the log.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from jhe_tui.api import FhirObservation, JheClient, JheError
from jhe_tui.local import paths

from . import export_resume
from .data_types import with_known_code
from .export_resume import CannotResume
from .fhir_bundle import BundleWriter, PatientsSeen, patients_of, write_patients
from .tidy_csv import TidyCsvWriter
from .wide_csv import WideCsvWriter, as_is, neutralize
from .observations import LARGE_PAGE, ObservationQuery, check_study, matching_resources, with_effective
from .pacing import Pacing

FORMATS = ("csv", "ndjson", "fhir")
CSV_COLUMNS = ("tidy", "wide")
PARTIAL_SUFFIX = ".partial"
PATIENTS_FILE = "Patient.ndjson"  # beside an NDJSON export, named as FHIR bulk data names its files

class ExportRefused(Exception):
    """Bad usage (exit 2): an existing file without --force, a target that is not a regular file,
    a missing directory, a bad format."""


class ExportFailed(Exception):
    """The export stopped (exit 1); ``partial`` is the file holding what was written, if any."""

    def __init__(self, message: str, partial: Path | None = None) -> None:
        super().__init__(message)
        self.partial = partial
        self.resumable = False  # whether --resume can carry on from ``partial``


@dataclass(frozen=True)
class OutputOptions:
    """How the file looks, apart from its format: CSV columns, spreadsheet protection, patients."""

    columns: str = "tidy"  # or "wide" (CSV only)
    spreadsheet_safe: bool = True  # CSV only
    with_patients: bool = False  # NDJSON to a file only: Patient.ndjson beside it


@dataclass(frozen=True)
class ExportResult:
    path: Path | None  # None: written to the stream given instead of a file
    count: int
    seconds: float
    patients_path: Path | None = None  # Patient.ndjson, when asked for
    patients: int = 0

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, int | None], None]


# One encoder for the resources that come as dicts (a server without a FHIR search for the whole
# query): ``json.dumps`` with options builds a new one per call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _texts(items: list[Any]) -> list[str]:
    """The page's resources as JSON texts, one line each. A page comes either all as texts (the
    FHIR search, ``jhe_tui.api.fhir_pages``) or all as dicts; texts are used as they are."""
    return items if isinstance(items[0], str) else list(map(_encode, items))


class _NdjsonWriter:
    """One resource a line, each written as it comes: nothing to open, close or hold back."""

    texts = True  # takes each resource as its JSON text (a str) where the client writes them

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream

    def start(self) -> None: ...

    def resume(self, written: int) -> None:
        """Go on writing a file whose first ``written`` lines are there already: nothing to do."""

    def finish(self) -> None: ...

    def page(self, items: list[dict[str, Any]]) -> None:
        if items:
            self.stream.write("\n".join(_texts(items)))
            self.stream.write("\n")  # apart: appending it would copy the page's megabyte again


def _writer(fmt: str, stream: io.TextIOBase, options: OutputOptions, client: JheClient, output: Any) -> Any:
    """The writer of ``fmt`` as ``options`` shape it; a tidy CSV spools its rows beside the file."""
    if fmt == "fhir":
        return BundleWriter(stream, client.base_url)
    if fmt == "ndjson":
        return PatientsSeen(stream) if options.with_patients else _NdjsonWriter(stream)
    cell = neutralize if options.spreadsheet_safe else as_is
    if options.columns == "wide":
        return WideCsvWriter(stream, cell)
    return TidyCsvWriter(stream, cell, output.parent if isinstance(output, Path) else None)


def resumable(fmt: str, options: OutputOptions) -> bool:
    """Whether an interrupted export can go on where it stopped: not a tidy CSV, whose columns are
    known only once every row is in, nor one whose ``Patient.ndjson`` needs every page's patients."""
    return not (fmt == "csv" and options.columns == "tidy") and not options.with_patients


def check_options(fmt: str, options: OutputOptions, *, to_stream: bool, resume: bool = False) -> None:
    if resume and not resumable(fmt, options):
        raise ExportRefused("--resume carries on an NDJSON, FHIR or --columns wide CSV export without "
                            "--with-patients; a tidy CSV's columns are known only at the end, so run it again.")
    if fmt not in FORMATS:
        raise ExportRefused(f"Unknown format {fmt!r}; use csv, ndjson or fhir.")
    if options.columns not in CSV_COLUMNS:
        raise ExportRefused(f"Unknown CSV columns {options.columns!r}; use tidy or wide.")
    if options.with_patients and (fmt != "ndjson" or to_stream):
        raise ExportRefused(f"--with-patients writes {PATIENTS_FILE} beside an NDJSON file: "
                            "use it with --format ndjson and -o FILE.")


def check_output(output: Path, *, force: bool) -> None:
    """Refuse, before anything is fetched, a target the export may not rename its file over.

    A link is refused whatever it points at: the rename would replace the link itself (as root,
    ``/dev/stdout`` became a file of patient data), and following it would let a link planted in
    a shared directory choose which file gets overwritten.
    """
    if output.is_symlink():
        raise ExportRefused(f"{output} is a symbolic link (to {os.readlink(output)}); give the file itself, "
                            "or -o - to write to the standard output.")
    try:
        found = os.stat(output)
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise ExportRefused(f"{output} cannot be used ({error.strerror}).") from None
    if found is not None:
        if stat.S_ISDIR(found.st_mode):
            raise ExportRefused(f"{output} is a directory; give a file name.")
        if not stat.S_ISREG(found.st_mode):
            raise ExportRefused(f"{output} is not a regular file (a device, a pipe or a socket); give a file name, "
                                "or -o - to write to the standard output.")
        if not force:
            raise ExportRefused(f"{output} already exists; choose another file or add --force to overwrite it.")
    if not output.parent.is_dir():
        raise ExportRefused(f"The directory {output.parent} does not exist.")


def _open_partial(output: Path) -> tuple[io.TextIOWrapper, Path]:
    fd, partial = paths.create_beside(output, PARTIAL_SUFFIX)
    return open(fd, "w", encoding="utf-8", newline=""), partial


async def export_observations(
    client: JheClient,
    query: ObservationQuery,
    fmt: str,
    output: Path | TextIO,
    *,
    force: bool = False,
    progress: Progress | None = None,
    page_size: int = LARGE_PAGE,
    pacing: Pacing | None = None,
    resume: bool = False,
    keep_interrupted: bool = False,
    write_in_thread: bool = True,
    chosen: Sequence[FhirObservation] | None = None,
    options: OutputOptions = OutputOptions(),
) -> ExportResult:
    """Write every observation matching ``query`` to ``output`` in ``fmt`` (csv, ndjson, fhir):
    a file (through a ``.partial`` one), or a text stream, written as it comes and flushed.

    Pages are fetched as fast as the server serves them (``pacing``, which a progress display may
    read). A file's ``.partial`` has a sidecar (``export_resume``): ``resume`` carries on the newest
    interrupted export of the same query beside ``output``, and ``keep_interrupted`` keeps both
    when the export is cancelled (ctrl+c) instead of deleting them.

    ``write_in_thread`` keeps the event loop free while a page is written, which the console needs
    to stay responsive. A process that only exports turns it off: handing each page to a thread,
    and the GIL back and forth while the loop reads the next ones, costs it about a quarter of
    its CPU, more than the milliseconds per page the loop then spends writing instead of reading
    (the pages in flight wait in the socket buffers meanwhile).

    ``chosen`` (the rows ticked on the screen, already fetched) is written instead of the query's
    matches; ``query`` then only names what they were chosen from.
    """
    to_file = isinstance(output, (str, os.PathLike))
    check_options(fmt, options, to_stream=not to_file, resume=resume)
    if to_file:
        output = Path(output)
        check_output(output, force=force)
        if options.with_patients:
            check_output(output.parent / PATIENTS_FILE, force=force)
    if chosen is None:
        query.check()
        await check_study(client, query)
        query = await with_known_code(client, query)
    started = time.perf_counter()
    track = chosen is None and resumable(fmt, options)
    try:
        stream, partial, state = (export_resume.open_target(output, query, fmt, page_size, resume=resume,
                                                            track=track)
                                  if to_file else (output, None, None))
    except CannotResume as refusal:
        raise ExportRefused(str(refusal)) from None
    writer = _writer(fmt, stream, options, client, output)
    resumed = state is not None and state.pages > 0
    count = state.count if state is not None else 0
    try:
        if resumed:
            writer.resume(count)
        else:
            writer.start()
            if state is not None:
                state.mark(stream)
                state.save()
        if chosen is not None:
            pages = _chosen_pages(chosen)
        elif state is not None and state.finished_pages:
            pages = _chosen_pages(())
        else:
            pages = matching_resources(client, query, page_size=page_size, pacing=pacing or Pacing(retry=client.retry),
                                       first=state.pages + 1 if state else 1, texts_only=writer.texts)
        async for items, total in pages:
            if state is not None:
                state.seen_total(total)
            if write_in_thread:
                await asyncio.to_thread(writer.page, items)
            else:
                writer.page(items)
            count += len(items)
            if state is not None:
                state.page(stream, len(items))
            if progress is not None:
                progress(count, total)
        writer.finish()
        stream.flush()
    except CannotResume as refusal:
        stream.close()
        raise ExportRefused(str(refusal)) from None
    except (JheError, OSError) as error:
        if isinstance(writer, TidyCsvWriter) and isinstance(error, JheError):
            writer.finish()  # the rows so far, from its spool, into what is kept
        failed = _stopped(error, count, stream, partial)
        failed.resumable = state is not None and failed.partial is not None
        if state is not None:
            state.keep() if failed.partial else state.drop()
        raise failed from None
    except BaseException:
        if partial is not None:
            stream.close()
            if keep_interrupted and state is not None and state.pages > 0:
                state.keep()
            else:
                partial.unlink(missing_ok=True)
                if state is not None:
                    state.drop()
        raise
    if partial is None:
        return ExportResult(None, count, time.perf_counter() - started)
    stream.close()
    os.replace(partial, output)
    if state is not None:
        state.drop()
    if isinstance(writer, PatientsSeen):
        return await _with_patients(client, query, writer.patient_ids, output, count, started)
    return ExportResult(output, count, time.perf_counter() - started)


async def _with_patients(client: JheClient, query: ObservationQuery, patient_ids: set[int], output: Path,
                         count: int, started: float) -> ExportResult:
    """``Patient.ndjson`` beside the observations: their patients, through a ``.partial`` file too."""
    target = output.parent / PATIENTS_FILE
    try:
        patients = await patients_of(client, query, patient_ids)
        stream, partial = _open_partial(target)
        with stream:
            written = write_patients(stream, patients)
        os.replace(partial, target)
    except (JheError, OSError) as error:
        reason = error.message if isinstance(error, JheError) else error.strerror or str(error)
        raise ExportFailed(f"The {count:,} observations are in {output}, but {PATIENTS_FILE} could not be "
                           f"written ({reason.rstrip('.')[:1].lower()}{reason.rstrip('.')[1:]}).") from None
    return ExportResult(output, count, time.perf_counter() - started, target, written)


async def _chosen_pages(chosen: Sequence[FhirObservation]) -> AsyncIterator[tuple[list[Any], int | None]]:
    """The chosen observations as one page of resources, ``effective[x]`` filled in as the query's are."""
    if chosen:
        yield [with_effective(o) for o in chosen], len(chosen)


def _stopped(error: JheError | OSError, count: int, stream: TextIO, partial: Path | None) -> ExportFailed:
    """The one sentence for an export that stopped: the server's reason, or the write that failed
    (a full disk; a reader of the standard output that went away)."""
    if isinstance(error, JheError):
        reason = error.message.rstrip(".")
    else:
        reason = f"{partial or 'the standard output'} could not be written: {(error.strerror or str(error)).lower()}"
    if partial is not None:
        try:
            stream.close()
        except OSError:
            pass  # the same failure again, flushing what is left: already being reported
    if count == 0:
        if partial is not None:
            partial.unlink(missing_ok=True)
        return ExportFailed(f"{reason[:1].upper()}{reason[1:]}.")
    kept = f"what was written so far is in {partial}" if partial else "the output holds only those"
    return ExportFailed(f"The export stopped after {count:,} observations ({reason[:1].lower()}{reason[1:]}); {kept}.",
                        partial)
