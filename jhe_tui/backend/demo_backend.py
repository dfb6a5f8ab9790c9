"""``DemoBackend``: a seeded JHE-compatible server in a data directory, ready to use in process.

The command line, the TUI's demo mode and the client's tests use only this class: ``app`` (ASGI,
for ``httpx.ASGITransport`` or uvicorn), ``db_path``, ``outbox_dir``, ``site_url``, ``settings``,
``token_for`` and ``users``. Constructing it does the once-per-run work (seed, reset, redirect URI);
``app`` is only built when asked for, so ``serve-demo --workers N`` prepares the data set here, in
the parent, and lets each worker build its own application from ``settings`` (see ``served``).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from fastapi import FastAPI

from jhe_tui.local import paths

from . import db, demo_cast, seed, tokens
from .app import create_app
from .deps import Settings

DEFAULT_SITE_URL = "http://127.0.0.1:8765"


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    name: str
    # "manager", "member", "viewer" or "superuser" for the logins ``token_for`` knows; None otherwise.
    role: str | None
    description: str


def database_name(scale: bool | int = False) -> str:
    """The file of a data set: ``demo.sqlite3``, or ``demo-scale-N.sqlite3`` for N patients.

    A scale data set lives beside the demo one, never in its place, so a benchmark run neither
    wipes what a trainee did in the demo nor reuses a database of another size.
    """
    patients = seed.scale_patients(scale)
    return f"demo-scale-{patients}.sqlite3" if patients else "demo.sqlite3"


class DemoBackend:
    """The demo server of one data directory.

    Constructing it seeds the data set's database when missing (``demo.sqlite3``; with
    ``scale=True`` 100,000 patients, with ``scale=N`` N patients, each in a file of its own, see
    ``database_name``), rebuilds it with ``reset=True`` or when an older version of this code made
    it, and otherwise reuses it as it is, changes included; one that is damaged or cannot be
    written is refused (``DatabaseUnusable``, one sentence) and left as it is. ``site_url`` is
    where clients reach the server: OAuth discovery, invitation links and the console
    application's redirect URI are built from it (page links use the host of each request
    instead).
    """

    def __init__(self, data_dir: Path, *, reset: bool = False, scale: bool | int = False,
                 site_url: str = DEFAULT_SITE_URL) -> None:
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / database_name(scale)
        # Each data set keeps its own outbox, so resetting one leaves the other's mail alone.
        self.outbox_dir = self.data_dir / ("outbox" + self.db_path.stem.removeprefix("demo"))
        self.site_url = site_url.rstrip("/")
        try:
            self._open(reset=reset, scale=scale)
        except sqlite3.Error as error:
            raise db.DatabaseUnusable(db.unusable(self.db_path, error)) from None
        except OSError as error:
            raise db.DatabaseUnusable(
                f"The demo data directory {self.data_dir} cannot be used ({error.strerror or error})."
            ) from None
        self.settings = Settings(self.db_path, self.outbox_dir, self.site_url)
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def _open(self, *, reset: bool, scale: bool | int) -> None:
        """Check the database (or make it) before anything is served: a damaged or read-only one
        is refused in one sentence (``DatabaseUnusable``), never replaced unless ``reset``."""
        paths.make_dirs(self.data_dir)
        db.check_directory(self.data_dir)
        if not reset and self.db_path.exists():
            db.check(self.db_path)
            # Made by another version of this code: its tables may not fit.
            reset = db.schema_version(self.db_path) != db.SCHEMA_VERSION
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(self.outbox_dir, ignore_errors=True)
        if not self.db_path.exists():
            seed.seed(self.db_path, scale=scale)
        paths.make_dirs(self.outbox_dir)
        db.check_directory(self.outbox_dir)
        self._follow_site_url()

    def _follow_site_url(self) -> None:
        """Point the console application's redirect URI at this run's site URL (it may differ
        from the run that seeded the database)."""
        conn = db.connect(self.db_path)
        try:
            with db.transaction(conn):
                conn.execute("UPDATE oauth_application SET redirect_uris = ? WHERE client_id = ?",
                             (f"{self.site_url}/auth/callback", demo_cast.CONSOLE_CLIENT_ID))
        finally:
            conn.close()

    @cached_property
    def app(self) -> FastAPI:
        """Built on first use: the parent of ``serve-demo --workers N`` never needs one."""
        return create_app(self.settings)

    @property
    def users(self) -> list[DemoUser]:
        names = {org_id: name for org_id, name, _, _ in demo_cast.ORGANIZATIONS}
        login_role = {user_id: role for role, user_id in demo_cast.DEMO_LOGINS.items()}
        return [
            DemoUser(
                p.email, demo_cast.DEMO_PASSWORD, p.name, login_role.get(p.id),
                "superuser" if p.superuser else
                "; ".join(f"{role} of {names[org]}" for org, role in p.roles) or "no organization yet",
            )
            for p in demo_cast.PRACTITIONERS
        ]

    def token_for(self, role: str) -> str:
        """A valid 14-day access token of the demo practitioner with that role.

        The same token is handed out again while it is valid; a new one once it has expired or
        been revoked (a client's logout revokes it).
        """
        user_id = demo_cast.DEMO_LOGINS[role]
        with self._lock:
            conn = db.connect(self.db_path)
            try:
                cached = self._tokens.get(role)
                if cached is None or tokens.user_for_access_token(conn, cached) != user_id:
                    with db.transaction(conn):
                        self._tokens[role] = tokens.issue(conn, user_id, application_id=1)["access_token"]
            finally:
                conn.close()
            return self._tokens[role]
