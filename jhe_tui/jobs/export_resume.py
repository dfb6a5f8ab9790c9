"""Where an interrupted export stopped, so ``export --resume`` carries on instead of starting over.

An export of a large study from a slow server takes hours; a lost connection, a server that stops
answering or a ctrl+c near the end should not cost them. Beside its ``.partial`` file the export
keeps a small sidecar (``<partial>.resume``, JSON, mode 0600 like the file; it names the query,
not any patient's data): the query, format and page size it was started with, how many server
pages are written whole, how many observations they held and how many bytes of the file they fill,
and the server's count of matches. It is brought up to date at most once a second, and whenever
the export stops on a failure, so it may lag the file but never run ahead of it.

Resuming takes the newest ``.partial`` beside the target whose sidecar has the same query, format
and page size, cuts the file back to the recorded size (a page written after the last update is
fetched again), and asks the server for the pages after the recorded ones. Pages are fixed by
their number and size on a server whose data has not changed, which the count checks, so the
finished file is the one an uninterrupted export would have written, byte for byte.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from jhe_tui.local import paths

from .observations import ObservationQuery

PARTIAL_SUFFIX = ".partial"
SUFFIX = ".resume"
VERSION = 1
SAVE_EVERY = 1.0  # seconds between updates of the sidecar


class CannotResume(Exception):
    """``--resume`` found nothing to carry on, or the server's data changed since (exit 2)."""


def _query_fields(query: ObservationQuery) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in asdict(query).items()}


@dataclass
class Resume:
    partial: Path
    query: ObservationQuery
    fmt: str
    page_size: int
    pages: int = 0  # server pages written whole
    count: int = 0  # observations those pages held
    size: int = 0  # bytes of the file they fill, its start included
    total: int | None = None  # the server's count of matches, from its first answer
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    _saved_at: float | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> Path:
        return Path(f"{self.partial}{SUFFIX}")

    @property
    def finished_pages(self) -> bool:
        """Every page the server announced is written: nothing more to ask for."""
        return self.total is not None and self.pages >= max(1, math.ceil(self.total / self.page_size))

    def _key(self) -> dict[str, Any]:
        return {"query": _query_fields(self.query), "format": self.fmt, "page_size": self.page_size}

    def page(self, stream: TextIO, count: int) -> None:
        """One more server page, of ``count`` observations, is written whole to ``stream``."""
        self.mark(stream)
        self.pages += 1
        self.count += count
        if self._saved_at is None or self.clock() - self._saved_at >= SAVE_EVERY:
            self.save()

    def mark(self, stream: TextIO) -> None:
        """Note how far ``stream`` reaches, at the end of its start or of a whole page."""
        stream.flush()
        self.size = os.fstat(stream.fileno()).st_size

    def save(self) -> None:
        """Write the sidecar: the pages counted and the size noted with them."""
        self._write()
        self._saved_at = self.clock()

    def seen_total(self, total: int | None) -> None:
        """The server's count, from the first page of this run: it must not have changed."""
        if self.total is None:
            self.total = total
        elif total != self.total:
            raise CannotResume(
                f"The server's matches changed since the export started ({self.total:,} then, {total or 0:,} now), "
                f"so the pages would no longer line up; export again without --resume."
            )

    def _write(self) -> None:
        fd, tmp = paths.create_beside(self.path, ".tmp", hidden=True)
        try:
            with open(fd, "w", encoding="utf-8") as out:
                json.dump({"version": VERSION, **self._key(), "pages": self.pages, "count": self.count,
                           "size": self.size, "total": self.total}, out)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def keep(self) -> None:
        """Record where the export stopped; a sidecar that cannot be written (on the disk that just
        filled) leaves the last one, which may lag the file but never runs ahead of it."""
        try:
            self.save()
        except OSError:
            pass

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)

    def reopen(self) -> TextIO:
        """The partial file, cut back to what the sidecar vouches for, ready to append to."""
        fd = os.open(self.partial, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        if os.fstat(fd).st_size < self.size:
            os.close(fd)
            raise CannotResume(f"{self.partial} is shorter than its record of what was written; "
                               "export again without --resume.")
        os.ftruncate(fd, self.size)
        os.lseek(fd, 0, os.SEEK_END)
        return open(fd, "a", encoding="utf-8", newline="")


def open_target(output: Path, query: ObservationQuery, fmt: str, page_size: int, *, resume: bool,
                track: bool) -> tuple[TextIO, Path, Resume | None]:
    """The file to write (a new ``.partial`` beside ``output``, or with ``resume`` the interrupted
    one), its path, and its sidecar (none unless ``track``: rows chosen on a screen are not paged)."""
    if resume and track:
        state = find(output, query, fmt, page_size)
        return state.reopen(), state.partial, state
    fd, partial = paths.create_beside(output, PARTIAL_SUFFIX)
    stream = open(fd, "w", encoding="utf-8", newline="")
    return stream, partial, Resume(partial, query, fmt, page_size) if track else None


def find(output: Path, query: ObservationQuery, fmt: str, page_size: int) -> Resume:
    """The newest interrupted export of this query, format and page size beside ``output``."""
    wanted = Resume(output, query, fmt, page_size)._key()
    candidates = []
    for sidecar in output.parent.glob(f"{glob_escape(output.name)}.*{PARTIAL_SUFFIX}{SUFFIX}"):
        partial = Path(str(sidecar)[: -len(SUFFIX)])
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION or partial.is_symlink():
                continue
            if {key: data.get(key) for key in wanted} != wanted or not partial.is_file():
                continue
            found = Resume(partial, query, fmt, page_size, int(data["pages"]), int(data["count"]), int(data["size"]),
                           None if data.get("total") is None else int(data["total"]))
            candidates.append((sidecar.stat().st_mtime, str(partial), found))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable or of another version: not ours to resume
    if not candidates:
        raise CannotResume(f"There is no interrupted export of this query and format beside {output} to resume; "
                           "run it without --resume.")
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


def glob_escape(name: str) -> str:
    """``name`` matched literally by ``Path.glob`` (a file may be called ``[x]*.csv``)."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)
