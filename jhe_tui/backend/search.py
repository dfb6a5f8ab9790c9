"""The paged queries behind the patient list, the observation list and the FHIR search.

Each query walks one narrow index in the order of the page (patient id ascending, observation
id descending) and filters with index probes, so ``LIMIT/OFFSET`` skips index entries rather
than joined rows. The walked index is the most selective one the filters allow: a patient's
observations, a study's or an organization's observations (``observation_study``,
``observation_organization``, see ``db.py``), an organization's or a study's patients, or, for a
caller with several organizations and no filter, the union of theirs.

Visibility follows JHE: a practitioner sees the patients who share at least one organization
with them, and those patients' observations. When the walked index already belongs to one of
the caller's organizations (or to a study of one, since enrolled patients belong to the study's
organization), the rule holds by construction and costs nothing.

Observation ids grow with ``last_updated`` (data arrives in that order), so "newest first" is
"highest id first".

Page numbers stay DRF's (a page is an offset), but a deep page is not found by ``OFFSET`` from
the top, which would walk every entry before it (up to a million). Each list remembers
*bookmarks*, the key at every ``STRIDE``-th position, found the first time a page past the first
``STRIDE`` entries is asked for, by hopping ``STRIDE`` entries at a time to the end of the list
(about as long as its COUNT took; doing it all at once means one slow request per list, not one
for every page deeper than any before). A page then starts from the nearest bookmark above it
(``key < bookmark``, a seek on the same index) and skips fewer than ``STRIDE`` entries. The keys
are unique in every list (an organization's patients, an observation id...), so the rows are
exactly those ``OFFSET`` would give.

COUNTs and bookmarks are remembered per database until its ``revision`` changes (every committed
write bumps it), so moving between pages of one list pays for them once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from .serializers import marks


class _Walk:
    """What is known about one list at one revision: its length and, once needed, its bookmarks."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.bookmarks: list[object] | None = None  # [n]: the key at position (n + 1) * STRIDE - 1
        self.lock = threading.Lock()


class _Walks:
    """``_Walk``s keyed by database, revision, query and order."""

    LIMIT = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._walks: dict[tuple, _Walk] = {}

    def get(self, conn: sqlite3.Connection, select: str, params: list[object], order: str) -> _Walk:
        # The revision is read before counting: a write landing in between leaves the entry
        # keyed by a revision nobody will ask for again, never a stale count under a new one.
        revision = conn.execute("SELECT n FROM revision").fetchone()[0]
        database = conn.execute("PRAGMA database_list").fetchone()[2]
        key = (database, revision, select, tuple(params), order)
        with self._lock:
            walk = self._walks.get(key)
        if walk is not None:
            return walk
        walk = _Walk(conn.execute(f"SELECT COUNT(*) FROM ({select})", params).fetchone()[0])
        with self._lock:
            if len(self._walks) >= self.LIMIT:
                self._walks.clear()
            return self._walks.setdefault(key, walk)


_walks = _Walks()
STRIDE = 1_000


@dataclass
class _Query:
    source: str
    key: str
    order: str  # of the key: "ASC" or "DESC"
    distinct: bool = False
    conditions: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def where(self, condition: str, *params: object) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def _select(self, after: object) -> tuple[str, list[object]]:
        """The query, and its parameters, of the keys past ``after`` (None: from the first)."""
        conditions, params = list(self.conditions), list(self.params)
        if after is not None:
            conditions.append(f"{self.key} {'<' if self.order == 'DESC' else '>'} ?")
            params.append(after)
        where = " WHERE " + " AND ".join(conditions) if conditions else ""
        return f"SELECT {'DISTINCT ' if self.distinct else ''}{self.key} FROM {self.source}{where}", params

    def _keys(self, conn: sqlite3.Connection, after: object, offset: int, limit: int) -> list:
        select, params = self._select(after)
        rows = conn.execute(f"{select} ORDER BY {self.key} {self.order} LIMIT ? OFFSET ?", [*params, limit, offset])
        return [row[0] for row in rows]

    def _bookmark_before(self, conn: sqlite3.Connection, walk: _Walk, offset: int) -> tuple[object, int]:
        """(key to start after, entries still to skip) for the page at ``offset``."""
        if offset < STRIDE:
            return None, offset
        with walk.lock:
            if walk.bookmarks is None:
                walk.bookmarks = self._bookmarks(conn)
        # Fewer bookmarks than the count implies: rows went away under a write that the
        # revision did not show yet. The page is then read from the last bookmark there is.
        known = min(offset // STRIDE, len(walk.bookmarks))
        if known == 0:
            return None, offset
        return walk.bookmarks[known - 1], offset - known * STRIDE

    def _bookmarks(self, conn: sqlite3.Connection) -> list[object]:
        """The key at every STRIDE-th position, each found by skipping STRIDE entries past the last."""
        bookmarks: list[object] = []
        while found := self._keys(conn, bookmarks[-1] if bookmarks else None, STRIDE - 1, 1):
            bookmarks += found
        return bookmarks

    def run(self, conn: sqlite3.Connection, offset: int, limit: int) -> tuple[int, list[int]]:
        select, params = self._select(None)
        walk = _walks.get(conn, select, params, self.order)
        if offset >= walk.count or limit == 0:
            return walk.count, []
        after, skip = self._bookmark_before(conn, walk, offset)
        return walk.count, self._keys(conn, after, skip, limit)


def _study_organization(conn: sqlite3.Connection, study_id: int) -> int | None:
    row = conn.execute("SELECT organization_id FROM study WHERE id = ?", (study_id,)).fetchone()
    return None if row is None else row[0]


def patients(
    conn: sqlite3.Connection,
    visible_to: frozenset[int],
    *,
    organization_id: int | None = None,
    study_id: int | None = None,
    patient_id: int | None = None,
    identifier: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[int]]:
    """(total, ids of the page) of the visible patients matching every given filter."""
    if not visible_to:
        return 0, []
    if organization_id is None and study_id is None and len(visible_to) == 1:
        (organization_id,) = visible_to
    if study_id is not None:
        q = _Query("study_patient f", "f.patient_id", "ASC")
        q.where("f.study_id = ?", study_id)
        study_organization = _study_organization(conn, study_id)
        visible = study_organization in visible_to
        if organization_id not in (None, study_organization):
            q.where("EXISTS (SELECT 1 FROM patient_organization po"
                    " WHERE po.patient_id = f.patient_id AND po.organization_id = ?)", organization_id)
    elif organization_id is not None:
        q = _Query("patient_organization f", "f.patient_id", "ASC")
        q.where("f.organization_id = ?", organization_id)
        visible = organization_id in visible_to
    else:
        # The primary key (patient_id, organization_id) walks in patient order; repeats are adjacent.
        q = _Query("patient_organization f NOT INDEXED", "f.patient_id", "ASC", distinct=True)
        q.where(f"f.organization_id IN ({marks(visible_to)})", *visible_to)
        visible = True
    if not visible:
        q.where(f"EXISTS (SELECT 1 FROM patient_organization v WHERE v.patient_id = f.patient_id"
                f" AND v.organization_id IN ({marks(visible_to)}))", *visible_to)
    if patient_id is not None:
        q.where("f.patient_id = ?", patient_id)
    if identifier is not None:
        q.where("f.patient_id IN (SELECT id FROM patient WHERE identifier = ?)", identifier)
    return q.run(conn, offset, limit)


@dataclass
class ObservationFilter:
    organization_id: int | None = None
    study_id: int | None = None
    patient_id: int | None = None
    observation_id: int | None = None
    concept_ids: Sequence[int] | None = None
    # (SQL comparison on the effective time, ISO-8601 UTC bound), e.g. (">=", "2026-01-01T00:00:00Z")
    effective: list[tuple[str, str]] = field(default_factory=list)

    @property
    def per_row(self) -> bool:
        """Whether a filter needs the observation row itself."""
        return bool(self.observation_id is not None or self.concept_ids or self.effective)


def observations(
    conn: sqlite3.Connection, visible_to: frozenset[int], f: ObservationFilter, *, offset: int = 0, limit: int = 20
) -> tuple[int, list[int]]:
    """(total, ids of the page, newest first) of the visible observations matching every filter."""
    if not visible_to or f.concept_ids == []:
        return 0, []
    organization_id = f.organization_id
    if organization_id is None and f.patient_id is None and f.study_id is None and len(visible_to) == 1:
        (organization_id,) = visible_to
    row = " JOIN observation o ON o.id = f.observation_id" if f.per_row else ""
    if f.patient_id is not None:
        q = _Query("observation o", "o.id", "DESC")
        q.where("o.subject_patient_id = ?", f.patient_id)
        q.where(f"EXISTS (SELECT 1 FROM patient_organization v WHERE v.patient_id = ?"
                f" AND v.organization_id IN ({marks(visible_to)}))", f.patient_id, *visible_to)
        if organization_id is not None:
            q.where("EXISTS (SELECT 1 FROM patient_organization v WHERE v.patient_id = ? AND v.organization_id = ?)",
                    f.patient_id, organization_id)
        if f.study_id is not None:
            q.where("EXISTS (SELECT 1 FROM observation_study s WHERE s.study_id = ? AND s.observation_id = o.id)",
                    f.study_id)
    elif f.study_id is not None:
        study_organization = _study_organization(conn, f.study_id)
        if study_organization not in visible_to:
            return 0, []
        q = _Query(f"observation_study f{row}", "f.observation_id", "DESC")
        q.where("f.study_id = ?", f.study_id)
        if organization_id not in (None, study_organization):
            q.where("EXISTS (SELECT 1 FROM observation_organization v"
                    " WHERE v.organization_id = ? AND v.observation_id = f.observation_id)", organization_id)
    elif organization_id is not None:
        q = _Query(f"observation_organization f{row}", "f.observation_id", "DESC")
        q.where("f.organization_id = ?", organization_id)
        if organization_id not in visible_to:
            q.where(f"EXISTS (SELECT 1 FROM observation_organization v WHERE v.observation_id = f.observation_id"
                    f" AND v.organization_id IN ({marks(visible_to)}))", *visible_to)
    else:
        q = _Query(f"observation_organization f INDEXED BY observation_organization_by_observation{row}",
                   "f.observation_id", "DESC", distinct=True)
        q.where(f"f.organization_id IN ({marks(visible_to)})", *visible_to)
    if f.observation_id is not None:
        q.where("o.id = ?", f.observation_id)
    if f.concept_ids is not None:
        q.where(f"o.codeable_concept_id IN ({marks(f.concept_ids)})", *f.concept_ids)
    for comparison, bound in f.effective:
        column = "o.effective_start" if comparison.startswith("<") else "COALESCE(o.effective_end, o.effective_start)"
        q.where(f"{column} {comparison} ?", bound)
    return q.run(conn, offset, limit)
