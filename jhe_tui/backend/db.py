"""SQLite schema and connections of the demo backend.

The tables mirror JHE's Django models (contract section 4) closely enough that every wire shape
can be built from them, with additions that exist only for speed at 1,000,000 observations:

* ``observation_organization`` and ``observation_study`` list, per organization and per study,
  the observations of its patients (for a study: of the codes it requests). Paging "the
  observations of organization X (or study S), newest first" is then a walk along one narrow
  index instead of a join and a sort. Triggers keep both right when a patient joins or leaves an
  organization or a study and when an observation arrives, so no route has to remember them.
  Observations are only deleted with a patient who has no organization (hence no study) left, by
  which time neither table holds rows for them.
* The OMH payload lives in ``observation_data``, so the ``observation`` rows that filters walk
  stay small.
* ``revision`` counts committed write transactions; ``search`` keeps a COUNT until it changes.
* The secondary indexes, triggers and derived tables are built after the bulk insert of the seed
  (``finish_bulk_load``), which is several times faster than maintaining them row by row.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 6
"""Stored as ``PRAGMA user_version``; a database of another version is rebuilt, not reused.

Version 6: a superuser flag on users, and v0.0.13's patient apps with the studies they serve.

Version 5: an invitation keeps when it was redeemed (v0.0.13's statuses, for the follow-up desk).

Version 4: users, patients, enrolments, observations and invitations take ``AUTOINCREMENT`` ids,
so the id of a deleted patient (or of their login) is never given to the next one, and the
consent audit's lines keep naming who they named. A version 3 data set is seeded afresh."""

SCHEMA = """
CREATE TABLE jhe_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    user_type TEXT,
    password_hash TEXT,
    is_superuser INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE organization (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    part_of INTEGER REFERENCES organization(id)
);
CREATE TABLE practitioner_organization (
    user_id INTEGER NOT NULL REFERENCES jhe_user(id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organization(id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
) WITHOUT ROWID;
CREATE TABLE patient (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    jhe_user_id INTEGER NOT NULL UNIQUE REFERENCES jhe_user(id),
    identifier TEXT,
    name_family TEXT,
    name_given TEXT,
    birth_date TEXT,
    telecom_phone TEXT,
    last_updated TEXT NOT NULL
);
CREATE TABLE patient_organization (
    patient_id INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organization(id),
    PRIMARY KEY (patient_id, organization_id)
) WITHOUT ROWID;
CREATE TABLE codeable_concept (
    id INTEGER PRIMARY KEY,
    coding_system TEXT NOT NULL,
    coding_code TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (coding_system, coding_code)
);
CREATE TABLE data_source (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL
);
CREATE TABLE data_source_supported_scope (
    data_source_id INTEGER NOT NULL REFERENCES data_source(id),
    scope_code_id INTEGER NOT NULL REFERENCES codeable_concept(id),
    PRIMARY KEY (data_source_id, scope_code_id)
) WITHOUT ROWID;
CREATE TABLE study (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES organization(id),
    icon_url TEXT
);
CREATE TABLE study_scope_request (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES study(id),
    scope_code_id INTEGER NOT NULL REFERENCES codeable_concept(id),
    UNIQUE (study_id, scope_code_id)
);
CREATE TABLE study_data_source (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES study(id),
    data_source_id INTEGER NOT NULL REFERENCES data_source(id),
    UNIQUE (study_id, data_source_id)
);
CREATE TABLE jhe_client (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    invitation_url TEXT NOT NULL
);
CREATE TABLE study_client (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES study(id),
    client_id INTEGER NOT NULL REFERENCES jhe_client(id),
    UNIQUE (study_id, client_id)
);
CREATE TABLE study_patient (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES study(id),
    patient_id INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    UNIQUE (study_id, patient_id)
);
CREATE TABLE scope_consent (
    id INTEGER PRIMARY KEY,
    study_patient_id INTEGER NOT NULL REFERENCES study_patient(id) ON DELETE CASCADE,
    scope_code_id INTEGER NOT NULL REFERENCES codeable_concept(id),
    consented INTEGER NOT NULL,
    consented_time TEXT NOT NULL,
    UNIQUE (study_patient_id, scope_code_id)
);
CREATE TABLE observation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_patient_id INTEGER NOT NULL REFERENCES patient(id),
    codeable_concept_id INTEGER NOT NULL REFERENCES codeable_concept(id),
    data_source_id INTEGER REFERENCES data_source(id),
    status TEXT NOT NULL DEFAULT 'final',
    effective_start TEXT NOT NULL,
    effective_end TEXT,
    last_updated TEXT NOT NULL
);
CREATE TABLE observation_data (
    id INTEGER PRIMARY KEY REFERENCES observation(id) ON DELETE CASCADE,
    value_attachment_data TEXT NOT NULL
);
CREATE TABLE observation_organization (
    organization_id INTEGER NOT NULL,
    observation_id INTEGER NOT NULL,
    PRIMARY KEY (organization_id, observation_id)
) WITHOUT ROWID;
CREATE TABLE observation_study (
    study_id INTEGER NOT NULL,
    observation_id INTEGER NOT NULL,
    PRIMARY KEY (study_id, observation_id)
) WITHOUT ROWID;
CREATE TABLE revision (n INTEGER NOT NULL);
INSERT INTO revision VALUES (0);
CREATE TABLE invitation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    emailed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'issued',  -- then 'reissued', 'redeemed', 'expired' or 'cancelled'
    redeemed TEXT  -- when the patient's app first used it
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    file_name TEXT NOT NULL
);
CREATE TABLE oauth_application (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    redirect_uris TEXT NOT NULL
);
CREATE TABLE oauth_grant (
    code_hash TEXT PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES oauth_application(id),
    user_id INTEGER NOT NULL REFERENCES jhe_user(id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE oauth_token (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES jhe_user(id) ON DELETE CASCADE,
    application_id INTEGER REFERENCES oauth_application(id),
    expires REAL,
    access_hash TEXT
);
CREATE TABLE web_session (
    session_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES jhe_user(id) ON DELETE CASCADE,
    expires REAL NOT NULL
);
"""

INDEXES = (
    "CREATE INDEX patient_organization_by_org ON patient_organization (organization_id, patient_id)",
    "CREATE INDEX patient_identifier ON patient (identifier) WHERE identifier IS NOT NULL",
    "CREATE INDEX practitioner_organization_by_org ON practitioner_organization (organization_id)",
    "CREATE INDEX study_by_org ON study (organization_id)",
    "CREATE INDEX study_patient_by_patient ON study_patient (patient_id)",
    "CREATE INDEX observation_by_patient ON observation (subject_patient_id, codeable_concept_id, id)",
    "CREATE INDEX observation_organization_by_observation"
    " ON observation_organization (observation_id, organization_id)",
    "CREATE INDEX invitation_by_patient ON invitation (patient_id)",
    "CREATE INDEX oauth_token_by_access ON oauth_token (access_hash) WHERE access_hash IS NOT NULL",
)

TRIGGERS = (
    """CREATE TRIGGER patient_joins_organization AFTER INSERT ON patient_organization BEGIN
        INSERT OR IGNORE INTO observation_organization (organization_id, observation_id)
            SELECT NEW.organization_id, id FROM observation WHERE subject_patient_id = NEW.patient_id;
    END""",
    """CREATE TRIGGER patient_leaves_organization AFTER DELETE ON patient_organization BEGIN
        DELETE FROM observation_organization
            WHERE organization_id = OLD.organization_id
              AND observation_id IN (SELECT id FROM observation WHERE subject_patient_id = OLD.patient_id);
    END""",
    """CREATE TRIGGER patient_joins_study AFTER INSERT ON study_patient BEGIN
        INSERT OR IGNORE INTO observation_study (study_id, observation_id)
            SELECT NEW.study_id, id FROM observation
            WHERE subject_patient_id = NEW.patient_id AND codeable_concept_id IN
                (SELECT scope_code_id FROM study_scope_request WHERE study_id = NEW.study_id);
    END""",
    """CREATE TRIGGER patient_leaves_study AFTER DELETE ON study_patient BEGIN
        DELETE FROM observation_study
            WHERE study_id = OLD.study_id
              AND observation_id IN (SELECT id FROM observation WHERE subject_patient_id = OLD.patient_id);
    END""",
    """CREATE TRIGGER observation_arrives AFTER INSERT ON observation BEGIN
        INSERT OR IGNORE INTO observation_organization (organization_id, observation_id)
            SELECT organization_id, NEW.id FROM patient_organization WHERE patient_id = NEW.subject_patient_id;
        INSERT OR IGNORE INTO observation_study (study_id, observation_id)
            SELECT sp.study_id, NEW.id FROM study_patient sp
            JOIN study_scope_request r ON r.study_id = sp.study_id AND r.scope_code_id = NEW.codeable_concept_id
            WHERE sp.patient_id = NEW.subject_patient_id;
    END""",
)

# One organization's (one study's) rows of the derived tables, in id order: a walk of the
# observation table that appends to the table's B-tree. Filling a whole table in one statement
# would sort a million rows or more, which spills to disk under the build's capped page cache.
FILL_ORGANIZATION = """INSERT INTO observation_organization (organization_id, observation_id)
    SELECT :id, o.id FROM observation o NOT INDEXED
    WHERE o.subject_patient_id IN (SELECT patient_id FROM patient_organization WHERE organization_id = :id)
    ORDER BY o.id"""
FILL_STUDY = """INSERT INTO observation_study (study_id, observation_id)
    SELECT :id, o.id FROM observation o NOT INDEXED
    WHERE o.subject_patient_id IN (SELECT patient_id FROM study_patient WHERE study_id = :id)
      AND o.codeable_concept_id IN (SELECT scope_code_id FROM study_scope_request WHERE study_id = :id)
    ORDER BY o.id"""


def connect(path: Path) -> sqlite3.Connection:
    """Open a connection the way every request needs it.

    ``check_same_thread`` is off because FastAPI may open a request's connection in one worker
    thread and run the endpoint in another; a connection is still used by one request at a time.
    Isolation is manual (``isolation_level=None``) so writes can take the lock up front with
    ``BEGIN IMMEDIATE`` and never fail half-way on a lock upgrade.
    """
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


class Pool:
    """Open connections kept between requests, so a request neither opens one nor re-reads the schema.

    A new connection costs its open, its PRAGMAs and, at its first statement, parsing the whole
    schema (tables, indexes, triggers): together more than the queries of a typical request. A
    connection is handed to one request at a time and comes back outside any transaction.
    """

    IDLE = 16  # more idle connections than worker threads would only hold file handles

    def __init__(self, path: Path) -> None:
        self.path = path
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def take(self) -> sqlite3.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return connect(self.path)

    def give(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        with self._lock:
            if len(self._idle) < self.IDLE:
                self._idle.append(conn)
                return
        conn.close()


def timestamp(moment: dt.datetime | None = None) -> str:
    """A stored time: ISO 8601 in UTC with microseconds and ``Z``, as JHE renders ``lastUpdated``."""
    return (moment or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that holds the write lock from its first statement.

    Checks made inside it see the data they protect: an enrolment's validation and its inserts
    cannot interleave with another request's writes, and a failed check writes nothing.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("UPDATE revision SET n = n + 1")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def schema_version(path: Path) -> int | None:
    """The file's schema version; None when it is not a database at all."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


class DatabaseUnusable(Exception):
    """A data set that cannot be served as it is; ``str()`` is one sentence: what, and what to do."""


_FRESH = "move it away, or start a fresh demo data set with `jhe-tui serve-demo --reset` (which deletes it)"
_ELSEWHERE = "make it writable, or give `jhe-tui serve-demo` another directory with --data"


def check_directory(directory: Path) -> None:
    """SQLite writes its journal beside the database, and invitations go to the outbox in it."""
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseUnusable(f"The demo data directory {directory} cannot be written; {_ELSEWHERE}.")


def check(path: Path) -> None:
    """Refuse, before anything is served, a database that is damaged or cannot be written.

    Left alone, SQLite fails only the requests that reach a damaged page, serves whatever it can
    read elsewhere, and a read-only file fails at its first write. ``quick_check`` reads every
    page (it skips only ``integrity_check``'s index-to-table comparison); the write probe stores
    the schema version again, in a transaction that is rolled back.
    """
    check_directory(path.parent)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise DatabaseUnusable(f"The demo database {path} is damaged (SQLite's check found "
                                       f"{len(problems):,} problems); {_FRESH}.")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise DatabaseUnusable(unusable(path, error)) from None


def unusable(path: Path, error: sqlite3.Error) -> str:
    """One sentence for what SQLite said about the data set's file."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_NOTADB:
        return f"The demo database {path} is damaged: it is not an SQLite database; {_FRESH}."
    if code == sqlite3.SQLITE_CORRUPT:
        return f"The demo database {path} is damaged (SQLite: {error}); {_FRESH}."
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return f"The demo database {path} is read-only or cannot be opened for writing; {_ELSEWHERE}."
    if code == sqlite3.SQLITE_BUSY:
        return f"The demo database {path} is locked by another process (is `jhe-tui serve-demo` running on it?)."
    return f"The demo database {path} cannot be used (SQLite: {error})."


def finish_bulk_load(conn: sqlite3.Connection) -> None:
    """Build what the bulk insert skipped: the organization map, indexes, triggers, statistics.

    Runs inside the caller's transaction, so a half-built database is never committed.
    """
    for (organization_id,) in conn.execute("SELECT DISTINCT organization_id FROM patient_organization").fetchall():
        conn.execute(FILL_ORGANIZATION, {"id": organization_id})
    for (study_id,) in conn.execute("SELECT DISTINCT study_id FROM study_patient").fetchall():
        conn.execute(FILL_STUDY, {"id": study_id})
    for statement in INDEXES + TRIGGERS:
        conn.execute(statement)
    conn.execute("ANALYZE")
