"""The import journal: what has been done, written down before the next step starts.

One JSON object per line, appended, flushed and fsynced before the job takes the next step of
that row, so whatever instant the process dies at, a rerun knows every step that completed.
Records are keyed by a salted hash of the e-mail (the journal never holds the address or any
other patient field); the salt lives in the first line. The invitation link is kept because it
is the one thing a rerun could not produce again without invalidating the link already issued;
the file is mode 0600 for that reason.

Record kinds (``s``): ``creating``/``adding`` (an intent: a create or add-to-organization request
is about to be sent), ``refused`` (that create was refused), ``patient`` (outcome and patient id
known), ``enrolled``, ``inviting`` (an intent: an invitation is about to be issued; whether it is
e-mailed, and the newest invitation id the server listed for the patient before, ``after``),
``not invited`` (that call was refused), ``invited`` (the link, or ``found``: the id of the
invitation the server listed after a lost answer). A torn last line (the process died inside
``write``) is ignored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jhe_tui.local import paths

VERSION = 1


class JournalError(Exception):
    """The journal belongs to another import, or cannot be written: bad usage, exit 2."""


@dataclass
class RowState:
    intent: str | None = None  # "create" or "add": a request was about to be sent
    outcome: str | None = None  # created, added, skipped
    patient_id: int | None = None
    enrolled: bool = False
    already_enrolled: bool = False
    link: str | None = None
    emailed: bool = False
    invited: bool = False
    inviting: bool = False  # an invitation call was about to be sent, and its result is not known
    invite_emailed: bool = False  # ... and it asked the server to e-mail it
    invite_after: int | None = None  # ... and the newest invitation listed for the patient before


@dataclass
class Journal:
    path: Path
    salt: str
    organization_id: int
    study_id: int | None
    states: dict[str, RowState] = field(default_factory=dict)
    resumed: bool = False
    _fd: int | None = None
    _pending: list[tuple[bytes, asyncio.Future[None]]] = field(default_factory=list)
    _flushing: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, path: Path, organization_id: int, study_id: int | None) -> Journal:
        """Open (creating it 0600) or resume the journal at ``path``."""
        path = Path(path)
        paths.private_dir(path.parent)
        journal, needs_newline = cls._load(path, organization_id, study_id)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise JournalError(f"The journal {path} cannot be written ({exc.strerror}).") from None
        os.chmod(path, 0o600)
        if journal is None:
            journal = cls(path, secrets.token_hex(16), organization_id, study_id)
            journal._fd = fd
            journal._write({"journal": "jhe-tui import", "v": VERSION, "salt": journal.salt,
                            "org": organization_id, "study": study_id})
        else:
            journal._fd = fd
            if needs_newline:
                os.write(fd, b"\n")
        return journal

    @classmethod
    def read(cls, path: Path, organization_id: int, study_id: int | None) -> Journal | None:
        """What an earlier run of this import recorded, without writing or creating anything (the
        dry run's view); None when there is no journal of this import there."""
        try:
            return cls._load(Path(path), organization_id, study_id)[0]
        except (JournalError, OSError):
            return None

    @classmethod
    def _load(cls, path: Path, organization_id: int, study_id: int | None) -> tuple[Journal | None, bool]:
        """The journal's records (None: no journal yet) and whether its last line was torn."""
        journal: Journal | None = None
        needs_newline = False
        if path.exists() and path.stat().st_size:
            raw = path.read_bytes()
            needs_newline = not raw.endswith(b"\n")
            lines = raw.decode("utf-8", errors="replace").splitlines()
            try:
                head = json.loads(lines[0])
                assert head.get("journal") == "jhe-tui import"
            except (ValueError, AssertionError, IndexError):
                raise JournalError(f"{path} is not a jhe-tui import journal; choose another --journal.") from None
            if head.get("org") != organization_id or head.get("study") != study_id:
                raise JournalError(
                    f"{path} records an import into organization {head.get('org')}"
                    f"{'' if head.get('study') is None else ', study ' + str(head.get('study'))}; "
                    "use another --journal for this one."
                )
            journal = cls(path, head["salt"], organization_id, study_id, resumed=True)
            for line in lines[1:]:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # torn write of a killed process
                if isinstance(record, dict) and "k" in record:
                    journal._apply(record)
        return journal, needs_newline

    def key(self, email_key: str) -> str:
        return hmac.new(bytes.fromhex(self.salt), email_key.encode(), hashlib.sha256).hexdigest()[:32]

    def state(self, email_key: str) -> RowState:
        return self.states.get(self.key(email_key)) or RowState()

    def record(self, email_key: str, kind: str, **values: Any) -> None:
        """Append one record durably (write, fsync) and apply it to the in-memory state."""
        record = {"k": self.key(email_key), "s": kind, **values}
        self._write(record)
        self._apply(record)

    async def commit(self, email_key: str, kind: str, **values: Any) -> None:
        """Like ``record``, for the event loop: returns once the record is on disk.

        Records of rows in flight together share one write and one fsync (group commit), done in
        a thread so the other rows' network calls go on meanwhile.
        """
        record = {"k": self.key(email_key), "s": kind, **values}
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(((json.dumps(record, separators=(",", ":")) + "\n").encode(), done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await asyncio.shield(done)
        self._apply(record)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._write_bytes, b"".join(line for line, _ in batch))
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(JournalError(f"The journal {self.path} could not be written: {exc}"))
                return
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    def _write_bytes(self, data: bytes) -> None:
        if self._fd is None:
            raise JournalError("The journal is closed.")
        os.write(self._fd, data)
        os.fsync(self._fd)

    def _write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            raise JournalError("The journal is closed.")
        os.write(self._fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())
        os.fsync(self._fd)

    def _apply(self, record: dict[str, Any]) -> None:
        state = self.states.setdefault(record["k"], RowState())
        kind = record.get("s")
        if kind in ("creating", "adding"):
            state.intent = "create" if kind == "creating" else "add"
        elif kind == "refused":  # the create was refused: the e-mail was there before
            state.intent = None
        elif kind == "patient":
            state.outcome = record.get("outcome")
            state.patient_id = record.get("id")
        elif kind == "enrolled":
            state.enrolled = True
            state.already_enrolled = bool(record.get("already"))
        elif kind == "inviting":
            state.inviting = True
            state.invite_emailed = bool(record.get("emailed"))
            state.invite_after = record.get("after")
        elif kind == "not invited":
            state.inviting = False
        elif kind == "invited":
            state.invited, state.inviting = True, False
            state.link = record.get("link")
            state.emailed = bool(record.get("emailed"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def default_journal_path(source: Path, organization_id: int, study_id: int | None) -> Path:
    """Where a plain rerun of the same command finds its journal: the user data directory, one
    file per (CSV file, organization, study)."""
    resolved = str(Path(source).resolve())
    digest = hashlib.sha256(f"{resolved}\0{organization_id}\0{study_id}".encode()).hexdigest()[:16]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(source).stem)[:40] or "import"
    return paths.data_dir() / "import-journals" / f"{stem}-{digest}.jsonl"
