"""Deterministic synthetic data for the demo backend.

The default data set (about 60 patients and 90 days of readings) is small enough to build in a
fraction of a second; the scale data set (100,000 patients and 1,000,000 observations, or N
patients and 10 x N observations) is for benchmarks: the demo patients plus scale ones, every one
of them in the Cardiometabolic Research Lab. Both come from a fixed random seed, anchored at the
time of building so the readings always end "now" and silent patients stay silent for the same
number of days.

The shapes are chosen so every workflow of the user guide has material: patients in two
organizations, patients in the organization tree where the demo practitioners have no role,
studies of that other tree, consents given, pending and declined, patients who stopped sending
data days ago, patients who never did, and patients not enrolled in any study; v0.0.13's patient
apps for the studies, and a superuser for what only a superuser may do.

A database is built in a side file and renamed into place when complete, so an interrupted build
never leaves a half-seeded database to be reused.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import sqlite3
import threading
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

from . import db, omh
from .demo_cast import (
    patient_plan,
    CONSOLE_CLIENT_ID,
    DATA_SOURCES,
    DEMO_PASSWORD,
    FIRST_NAMES,
    LAST_NAMES,
    LOOPBACK_CLIENT_ID,
    LOOPBACK_REDIRECT,
    ORGANIZATIONS,
    PATIENT_APPS,
    PRACTITIONERS,
    SOURCE_BY_ID,
    STUDIES,
    STUDY_APPS,
    STUDY_BY_ID,
)
from .tokens import password_hash

SEED = 20_240_501
DAYS = 90
SCALE_PATIENTS = 100_000  # ``scale=True``; ``scale=N`` asks for N
OBSERVATIONS_PER_PATIENT = 10  # at scale, N patients come with 10 x N observations in all
# Below this the demo patients' own readings (about 15,500) would already pass 10 a patient.
MIN_SCALE_PATIENTS = 2_000
# At scale this lab holds every patient: it is the demo manager's first organization (the one the
# console opens on), so the heaviest case for its lists is the one the benchmarks meet.
SCALE_ORGANIZATION = 20003
# (extra organizations, studies) of the i-th scale patient, by i % 6: the lab's two studies overlap
# and a sixth of the patients each also belong to a second organization and its study.
SCALE_PLAN = (
    ((), (30001, 30002)),
    ((20004,), (30001, 30003)),
    ((), (30002,)),
    ((20007,), (30001, 30004)),
    ((), (30001, 30002)),
    ((20006,), (30005,)),
)
BUILD_CACHE_KIB = -16_384  # SQLite's page cache while building (negative: KiB)
CHUNK = 5_000  # scale patients inserted per batch, so their rows never pile up in memory
DEFAULT_PATIENTS = 60


class _Clock:
    """ISO-8601 strings for epoch seconds, fast: the date part is cached per day."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def iso(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86_400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = dt.date.fromordinal(day + 719_163).isoformat()
        return "%sT%02d:%02d:%02dZ" % (prefix, rest // 3600, rest // 60 % 60, rest % 60)

    def iso_micro(self, micros: int) -> str:
        seconds, fraction = divmod(micros, 1_000_000)
        return "%s.%06dZ" % (self.iso(seconds)[:-1], fraction)


@dataclass(slots=True)
class _Stream:
    """One patient's readings of one code from one device."""

    patient_id: int
    concept_id: int
    source_id: int
    baseline: float
    first_day: int
    last_day: int


class _ScaleStreams:
    """The scale patients' streams in flat arrays: a few bytes each instead of an object, since
    there are about 3.5 for each of 100,000 patients. Readings at scale are drawn from any day, so
    only who, what, which device and the baseline are kept."""

    def __init__(self) -> None:
        self._fields = array("q"), array("q"), array("q"), array("d")

    def __len__(self) -> int:
        return len(self._fields[0])

    def append(self, s: _Stream) -> None:
        for values, value in zip(self._fields, (s.patient_id, s.concept_id, s.source_id, s.baseline), strict=True):
            values.append(value)

    def __getitem__(self, n: int) -> _Stream:
        patient, concept, source, baseline = self._fields
        return _Stream(patient[n], concept[n], source[n], baseline[n], 0, 0)


class _Seeder:
    def __init__(self, conn: sqlite3.Connection, now: int, scale: int) -> None:
        self.conn = conn
        self.now = now
        self.scale = scale  # patients of the scale data set; 0 for the default one
        self.rng = random.Random(SEED)
        self.clock = _Clock()
        self.today = now // 86_400
        self.first_day = self.today - DAYS
        self.streams: list[_Stream] = []
        self.scale_streams = _ScaleStreams()

    def run(self) -> None:
        self.reference_data()
        self.patients(range(DEFAULT_PATIENTS))
        for start in range(DEFAULT_PATIENTS, self.scale, CHUNK):
            self.patients(range(start, min(start + CHUNK, self.scale)))
        self.observations(self.scale * OBSERVATIONS_PER_PATIENT)

    def reference_data(self) -> None:
        c = self.conn
        c.executemany("INSERT INTO organization VALUES (?, ?, ?, ?)", ORGANIZATIONS)
        c.executemany(
            "INSERT INTO jhe_user (id, email, first_name, last_name, user_type, password_hash, is_superuser)"
            " VALUES (?, ?, ?, ?, 'practitioner', ?, ?)",
            [(p.id, p.email, p.first_name, p.last_name, password_hash(DEMO_PASSWORD, p.id), int(p.superuser))
             for p in PRACTITIONERS],
        )
        c.executemany(
            "INSERT INTO practitioner_organization VALUES (?, ?, ?)",
            [(p.id, org, role) for p in PRACTITIONERS for org, role in p.roles],
        )
        c.executemany(
            "INSERT INTO codeable_concept VALUES (?, ?, ?, ?)",
            [(cid, omh.OMH_SYSTEM, code, text) for cid, code, text in omh.CONCEPTS],
        )
        c.executemany("INSERT INTO data_source VALUES (?, ?, ?)", [s[:3] for s in DATA_SOURCES])
        c.executemany(
            "INSERT INTO data_source_supported_scope VALUES (?, ?)",
            [(s[0], code) for s in DATA_SOURCES for code in s[3]],
        )
        c.executemany("INSERT INTO study VALUES (?, ?, ?, ?, NULL)", [s[:4] for s in STUDIES])
        c.executemany(
            "INSERT INTO study_scope_request (study_id, scope_code_id) VALUES (?, ?)",
            [(s[0], code) for s in STUDIES for code in s[4]],
        )
        c.executemany(
            "INSERT INTO study_data_source (study_id, data_source_id) VALUES (?, ?)",
            [(s[0], ds) for s in STUDIES for ds in s[5]],
        )
        c.executemany("INSERT INTO jhe_client VALUES (?, ?, ?, ?)", PATIENT_APPS)
        c.executemany("INSERT INTO study_client (study_id, client_id) VALUES (?, ?)", STUDY_APPS)
        c.executemany(
            "INSERT INTO oauth_application VALUES (?, ?, ?, ?)",
            [
                (1, "JHE Demo Console", CONSOLE_CLIENT_ID, "http://127.0.0.1:8765/auth/callback"),
                (2, "jhe-tui (loopback)", LOOPBACK_CLIENT_ID, LOOPBACK_REDIRECT),
            ],
        )

    def patients(self, indexes: range) -> None:
        """Insert one batch of patients: the default ones (i < 60), then scale ones."""
        rng, clock = self.rng, self.clock
        users, patients, links, enrolments, consents, invitations = [], [], [], [], [], []
        emails: set[str] = set()
        enrolment_id = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM study_patient").fetchone()[0]
        for i in indexes:
            pid, uid = 40001 + i, 10006 + i
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            scale = i >= DEFAULT_PATIENTS
            if scale:
                extra, studies = SCALE_PLAN[i % len(SCALE_PLAN)]
                orgs = (SCALE_ORGANIZATION, *extra)
                email = f"{first}.{last}.{pid}@example.org".lower()
            else:
                orgs, studies = patient_plan(i)
                if self.scale and SCALE_ORGANIZATION not in orgs:
                    orgs = (*orgs, SCALE_ORGANIZATION)
                email = f"{first}.{last}@example.org".lower()
                n = 2
                while email in emails:
                    email, n = f"{first}.{last}{n}@example.org".lower(), n + 1
                emails.add(email)
            birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
            phone = f"+1-555-{rng.randrange(200, 1000):03d}-{rng.randrange(10_000):04d}"
            identifier = f"MRN-{pid * 7919 % 10_000_000:07d}" if rng.random() < 0.7 else None
            created = self.now - rng.randrange(100, 150) * 86_400
            users.append((uid, email, first, last))
            patients.append((pid, uid, identifier, last, first, birth.isoformat(), phone,
                             clock.iso_micro(created * 1_000_000 + rng.randrange(1_000_000))))
            links.extend((pid, org) for org in orgs)
            # Data habits: never connected a device, went silent some days ago, or still active.
            habit = rng.random()
            last_day = self.today - rng.randrange(3, 22) if 0.1 <= habit < 0.25 else self.today
            has_data = scale or habit >= 0.1
            enrolled_at = created + rng.randrange(1, 15) * 86_400
            streamed: set[int] = set()  # a code requested by two studies: one device, one stream
            emailed = bool(studies) and rng.random() < 0.5  # drawn here: the random stream stays the seed's
            answered = False  # a patient who answered a consent used the invitation to get there
            for study_id in studies:
                enrolment_id += 1
                enrolments.append((enrolment_id, study_id, pid))
                consented_at = enrolled_at + rng.randrange(3_600, 3 * 86_400)
                scopes = STUDY_BY_ID[study_id][4]
                answers = [True] * len(scopes) if scale else self._answers(len(scopes))
                for code, answer in zip(scopes, answers, strict=True):
                    if answer is None:
                        continue
                    answered = True
                    consents.append((enrolment_id, code, int(answer), clock.iso_micro(consented_at * 1_000_000)))
                    if answer and has_data and code not in streamed:
                        streamed.add(code)
                        self._stream(pid, study_id, code, consented_at // 86_400 + 1, last_day, scale)
            if studies:
                invitations.append(self._invitation(pid, enrolled_at, emailed=emailed, redeemed=answered))
        c = self.conn
        c.executemany(
            "INSERT INTO jhe_user (id, email, first_name, last_name, user_type) VALUES (?, ?, ?, ?, 'patient')", users
        )
        c.executemany("INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?, ?, ?)", patients)
        c.executemany("INSERT INTO patient_organization VALUES (?, ?)", links)
        c.executemany("INSERT INTO study_patient VALUES (?, ?, ?)", enrolments)
        c.executemany(
            "INSERT INTO scope_consent (study_patient_id, scope_code_id, consented, consented_time)"
            " VALUES (?, ?, ?, ?)",
            consents,
        )
        c.executemany(
            "INSERT INTO invitation (patient_id, code_hash, created, expires, emailed, status, redeemed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            invitations,
        )

    def _invitation(self, pid: int, enrolled_at: int, *, emailed: bool, redeemed: bool) -> tuple:
        """The patient's invitation, issued on enrolment; redeemed within the hour by those who
        went on to answer a consent. A code nobody knows: random bytes stand in for its digest (one
        system call, where drawing a code character by character took seconds at scale)."""
        clock = self.clock
        return (pid, secrets.token_hex(32), clock.iso_micro(enrolled_at * 1_000_000),
                clock.iso_micro((enrolled_at + 1_209_600) * 1_000_000), int(emailed),
                "redeemed" if redeemed else "issued",
                clock.iso_micro((enrolled_at + 3_000) * 1_000_000) if redeemed else None)

    def _answers(self, n: int) -> list[bool | None]:
        """A patient's answers to a study's scopes: mostly yes, some pending (None), some no."""
        r = self.rng.random()
        if r < 0.70:
            return [True] * n
        if r < 0.83:
            return [None] * n
        if r < 0.94:
            answers: list[bool | None] = [True] * n
            answers[self.rng.randrange(n)] = False
            return answers
        return [False] * n

    def _stream(self, pid: int, study_id: int, code: int, first_day: int, last_day: int, scale: bool) -> None:
        streams = self.scale_streams if scale else self.streams
        source = next(ds for ds in STUDY_BY_ID[study_id][5] if code in SOURCE_BY_ID[ds][3])
        measure = omh.MEASURES[code]
        streams.append(_Stream(pid, code, source, measure.baseline(self.rng),
                               max(first_day, self.first_day), last_day))

    def _default_events(self, day: int) -> list[tuple[int, _Stream, int, int | None]]:
        """(last_updated in µs, stream, effective start, effective end) of one day's uploads."""
        rng, start = self.rng, day * 86_400
        events = []
        for s in self.streams:
            if not (s.first_day <= day <= s.last_day) or rng.random() < 0.06:
                continue  # outside the patient's active days, or a day the device stayed home
            hours = omh.MEASURES[s.concept_id].hours
            if not hours:
                events.append(self._daily_total(start, s))
            for hour in hours:
                events.append(self._point(start, start + hour * 3_600 + rng.randrange(-1_800, 1_800), s))
        return [e for e in events if e[0] <= self.now * 1_000_000]

    def _scale_events(self, day: int, count: int) -> list[tuple[int, _Stream, int, int | None]]:
        # random() scaled rather than randrange(): a million draws, each several times cheaper.
        rng, start, streams = self.rng, day * 86_400, self.scale_streams
        events = []
        for _ in range(count):
            s = streams[int(rng.random() * len(streams))]
            if omh.MEASURES[s.concept_id].hours:
                events.append(self._point(start, start + int(rng.random() * 86_400), s))
            else:
                events.append(self._daily_total(start, s))
        return events

    def _point(self, day_start: int, effective: int, s: _Stream) -> tuple[int, _Stream, int, None]:
        effective = max(effective, day_start)
        uploaded = min(effective + self.rng.randrange(60, 1_500), day_start + 86_399)
        return uploaded * 1_000_000 + self.rng.randrange(1_000_000), s, effective, None

    def _daily_total(self, day_start: int, s: _Stream) -> tuple[int, _Stream, int, int]:
        """Yesterday's total, uploaded this morning."""
        uploaded = day_start + 6 * 3_600 + self.rng.randrange(3_600)
        return uploaded * 1_000_000 + self.rng.randrange(1_000_000), s, day_start - 86_400, day_start - 1

    def observations(self, total: int) -> None:
        """Insert every observation in upload order, so ids grow with ``last_updated``.

        At scale, the scale readings fill the days before today up to exactly ``total`` in all.
        """
        rng, clock = self.rng, self.clock
        by_day = {day: self._default_events(day) for day in range(self.first_day, self.today + 1)}
        quota = [0] * len(by_day)
        if total:
            past_days = len(by_day) - 1
            wanted = total - sum(len(events) for events in by_day.values())
            quota = [wanted // past_days + (1 if n < wanted % past_days else 0) for n in range(past_days)] + [0]
        next_id = 60_001
        insert = (
            "INSERT INTO observation (id, subject_patient_id, codeable_concept_id, data_source_id, status,"
            " effective_start, effective_end, last_updated) VALUES (?, ?, ?, ?, 'final', ?, ?, ?)"
        )
        for (day, events), count in zip(by_day.items(), quota, strict=True):
            events = sorted(events + self._scale_events(day, count), key=lambda e: e[0])
            rows, payloads = [], []
            for uploaded, s, start, end in events:
                start_iso = clock.iso(start)
                end_iso = None if end is None else clock.iso(end)
                data = omh.payload(
                    omh.MEASURES[s.concept_id], rng, s.baseline, source=SOURCE_BY_ID[s.source_id][1],
                    created=end_iso or start_iso, start=start_iso, end=end_iso,
                )
                rows.append((next_id, s.patient_id, s.concept_id, s.source_id, start_iso, end_iso,
                             clock.iso_micro(uploaded)))
                payloads.append((next_id, data))
                next_id += 1
            self.conn.executemany(insert, rows)
            self.conn.executemany("INSERT INTO observation_data VALUES (?, ?)", payloads)


def scale_patients(scale: bool | int) -> int:
    """The patient count ``scale`` asks for: 0 (the default data set), SCALE_PATIENTS for True, or N."""
    if scale is True:
        return SCALE_PATIENTS
    if scale and scale < MIN_SCALE_PATIENTS:
        raise ValueError(f"A scale data set has at least {MIN_SCALE_PATIENTS:,} patients (got {scale:,}).")
    return int(scale)


def build(path: Path, *, scale: bool | int = False, now: float | None = None) -> None:
    """Create a seeded database at ``path`` (replacing any), in one transaction.

    The page cache is capped (SQLite's sorter, which builds the indexes, spills to temporary files
    beyond it), so a build at scale stays well within the backend's memory budget.
    """
    building = path.with_name(path.name + ".building")
    for leftover in (building, Path(f"{building}-journal")):
        leftover.unlink(missing_ok=True)
    conn = sqlite3.connect(building, isolation_level=None)
    try:
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = {BUILD_CACHE_KIB}"):
            conn.execute(f"PRAGMA {pragma}")
        db.create_schema(conn)
        conn.execute("BEGIN")
        _Seeder(conn, int(time.time() if now is None else now) // 60 * 60, scale_patients(scale)).run()
        db.finish_bulk_load(conn)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    os.replace(building, path)


_template_lock = threading.Lock()
_template: bytes | None = None


def seed(path: Path, *, scale: bool | int = False) -> None:
    """Seed ``path``. The default data set is built once per process and copied afterwards,
    which keeps test suites that create many backends fast."""
    global _template
    if scale:
        build(path, scale=scale)
        return
    with _template_lock:
        if _template is None:
            build(path)
            _template = path.read_bytes()
            return
    copying = path.with_name(path.name + ".copying")
    copying.write_bytes(_template)
    os.replace(copying, path)
