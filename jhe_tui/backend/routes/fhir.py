"""FHIR R5 Observation search and read, answering real Bundles (contract section 2.9, HEAD).

Served under both ``/fhir/r5`` (the guide's path) and ``/FHIR/R5`` (current JHE). Search
parameters: ``patient``, ``patient._has:Group:member:_id`` (study; arrives renamed to
``patient._has:_group:member:_id`` like every query name), ``patient.organization``, ``code``
(``system|code``, comma-separated or repeated), ``date`` (``ge``/``gt``/``le``/``lt``/``eq``
prefixes, repeat it for a range), ``_count``, ``_page`` and ``_summary=count``. Unknown
parameters are ignored. Errors are OperationOutcomes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
from binascii import b2a_base64
from collections.abc import Iterator
from contextlib import contextmanager
from json.encoder import encode_basestring as _q  # type: ignore[attr-defined]
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import search, serializers
from ..auth import Caller, authenticate
from ..casing import to_camel
from ..deps import Conn, off_loop
from ..errors import ApiError
from ..inputs import integer
from ..pages import page_of

router = APIRouter()

PREFIXES = ("/fhir/r5", "/FHIR/R5")
STUDY_PARAM = "patient._has:_group:member:_id"
META_SOURCE = "https://jupyterhealth.org/jhe"
_META_SOURCE = _q(META_SOURCE)
MAX_DATES = 8  # a range needs two; each becomes an SQL condition
_DATE = re.compile(
    r"(?P<prefix>eq|ge|gt|le|lt)?(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]+)?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)


def outcome(status: int, diagnostics: str, headers: dict[str, str] | None = None) -> ApiError:
    issue = {"severity": "error", "code": "processing", "diagnostics": diagnostics}
    return ApiError(status, {"resourceType": "OperationOutcome", "issue": [issue]}, headers, raw=True)


def _text(body: Any) -> str:
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    if isinstance(body, dict):
        return "; ".join(f"{to_camel(k)}: {' '.join(map(str, v))}" for k, v in body.items())
    return "; ".join(map(str, body))


@contextmanager
def as_outcome() -> Iterator[None]:
    """Re-dress the API's errors (401, bad parameters) as OperationOutcomes."""
    try:
        yield
    except ApiError as exc:
        if isinstance(exc.body, dict) and exc.body.get("resourceType") == "OperationOutcome":
            raise
        raise outcome(exc.status, _text(exc.body), exc.headers) from None


def _fhir_json(request: Request, text: str) -> Response:
    """A 200 with JSON text already rendered (``resource_json``); errors go through ``ApiError``."""
    wants_fhir = "application/fhir+json" in request.headers.get("accept", "")
    return Response(text.encode(), media_type="application/fhir+json" if wants_fhir else "application/json")


def _reference(request: Request, name: str, resource: str) -> int | None:
    """A search parameter naming one resource, as ``40001`` or ``Patient/40001``."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return integer(raw.removeprefix(f"{resource}/"))
    except ValueError:
        raise outcome(400, f"Invalid {name} parameter: expected a {resource} id.") from None


def _concepts(conn: sqlite3.Connection, request: Request) -> list[int] | None:
    tokens = [t for value in request.query_params.getlist("code") for t in value.split(",") if t]
    if not tokens:
        return None
    concepts = set()
    for token in tokens:
        system, bar, code = token.rpartition("|")
        if bar and system:
            rows = conn.execute("SELECT id FROM codeable_concept WHERE coding_system = ? AND coding_code = ?",
                                (system, code))
        else:
            rows = conn.execute("SELECT id FROM codeable_concept WHERE coding_code = ?", (code,))
        concepts.update(row[0] for row in rows)
    return sorted(concepts)


def _bounds(value: str) -> tuple[str, str, str]:
    """(prefix, start, end) of a FHIR date: the instant range its precision covers, in UTC."""
    m = _DATE.fullmatch(value)
    if m is None:
        raise ValueError(value)
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    year, month, day = int(g["year"]), int(g.get("month", 1)), int(g.get("day", 1))
    start = dt.datetime(year, month, day, int(g.get("hour", 0)), int(g.get("minute", 0)), int(g.get("second", 0)))
    if "second" in g:
        end = start + dt.timedelta(seconds=1)
    elif "minute" in g:
        end = start + dt.timedelta(minutes=1)
    elif "day" in g:
        end = start + dt.timedelta(days=1)
    elif "month" in g:
        end = dt.datetime(year + month // 12, month % 12 + 1, 1)
    else:
        end = dt.datetime(year + 1, 1, 1)
    tz = g.get("tz", "Z")
    if tz != "Z":
        offset = dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])) * (1 if tz[0] == "+" else -1)
        start, end = start - offset, end - offset
    return g.get("prefix", "eq"), _iso(start), _iso(end)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _effective(request: Request) -> list[tuple[str, str]]:
    values = request.query_params.getlist("date")
    if len(values) > MAX_DATES:
        raise outcome(400, f"At most {MAX_DATES} date parameters are supported.")
    comparisons = []
    for value in values:
        try:
            prefix, start, end = _bounds(value.strip())
        except (ValueError, OverflowError):
            raise outcome(400, f"Invalid date parameter: {value!r}.") from None
        comparisons += {
            "eq": [("<", end), (">=", start)],
            "ge": [(">=", start)],
            "gt": [(">=", end)],
            "le": [("<", end)],
            "lt": [("<", start)],
        }[prefix]
    return comparisons


# FHIR type -> (table, query for the organizations it belongs to)
_OWNERS = {
    "Patient": ("patient", "SELECT organization_id FROM patient_organization WHERE patient_id = ?"),
    "Group": ("study", "SELECT organization_id FROM study WHERE id = ?"),
    "Organization": ("organization", "SELECT id FROM organization WHERE id = ?"),
}


def _check_access(conn: sqlite3.Connection, caller: Caller, kind: str, item_id: int) -> None:
    """404 when the resource does not exist, 403 when it shares no organization with the caller."""
    table, owners = _OWNERS[kind]
    found = {row[0] for row in conn.execute(owners, (item_id,))}
    if not found and conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (item_id,)).fetchone() is None:
        raise outcome(404, f"{kind}/{item_id} not found.")
    if not found & caller.organization_ids:
        raise outcome(403, f"Current user is not authorized to access {kind}/{item_id}.")


# Pages are read and rendered one at a time in a process. SQLite lets go of the GIL for each row
# it steps to, and with several pages at once every row then waits for a thread rendering another
# page to hand the GIL back (up to the 5 ms switch interval): pages in flight together took three
# times as long as the same pages one after the other.
_PAGE_AT_A_TIME = threading.Lock()

_ROW_COLUMNS = (
    "o.id, o.subject_patient_id, o.status, o.effective_start, o.effective_end, o.last_updated,"
    " o.codeable_concept_id, d.value_attachment_data"
)


def _rows(conn: sqlite3.Connection, ids: list[int]) -> tuple[list[tuple], dict[int, str]]:
    """The observations' rows (plain tuples, newest first) and, per codeable concept among them,
    its ``"code"`` member already rendered: a page holds a handful of concepts, so rendering
    each once and reading rows without ``sqlite3.Row`` saves about a third of a page's CPU."""
    if not ids:
        return [], {}
    cursor = conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute(
        f"SELECT {_ROW_COLUMNS} FROM observation o JOIN observation_data d ON d.id = o.id"
        f" WHERE o.id IN ({serializers.marks(ids)}) ORDER BY o.id DESC",
        ids,
    ).fetchall()
    concept_ids = list({row[6] for row in rows})
    codes = {
        concept_id: f'"code":{{"coding":[{{"system":{_q(system)},"code":{_q(code)},"display":{_q(text)}}}]}}'
        for concept_id, system, code, text in cursor.execute(
            "SELECT id, coding_system, coding_code, text FROM codeable_concept"
            f" WHERE id IN ({serializers.marks(concept_ids)})",
            concept_ids,
        )
    }
    return rows, codes


def resource_json(row: tuple, codes: dict[int, str]) -> str:
    """The Observation resource as compact JSON text, key for key what ``JSONResponse`` would
    render from the equivalent dict.

    A search page holds up to 1000 of them; building a dict tree per row and encoding the whole
    Bundle took most of the request's CPU. Here every string value is escaped on its own
    (``encode_basestring`` is the C escaper ``json.dumps(..., ensure_ascii=False)`` uses) and
    spliced into a fixed template, which is several times cheaper and gives the same bytes.
    """
    observation_id, patient_id, status, start, end, last_updated, concept_id, data = row
    if end is None:
        effective = f'"effectiveDateTime":{_q(start)}'
    else:
        effective = f'"effectivePeriod":{{"start":{_q(start)},"end":{_q(end)}}}'
    return (
        f'{{"resourceType":"Observation","id":"{observation_id}",'
        f'"meta":{{"lastUpdated":{_q(last_updated)},"source":{_META_SOURCE}}},'
        f'"status":{_q(status)},{codes[concept_id]},'
        f'"subject":{{"reference":"Patient/{patient_id}"}},{effective},'
        f'"valueAttachment":{{"contentType":"application/json","data":"{b2a_base64(data.encode(), newline=False).decode()}"}}}}'
    )


def _search(request: Request, conn: sqlite3.Connection) -> Response:
    with as_outcome():
        caller = authenticate(request, conn)
        wanted = search.ObservationFilter(
            patient_id=_reference(request, "patient", "Patient"),
            study_id=_reference(request, STUDY_PARAM, "Group"),
            organization_id=_reference(request, "patient.organization", "Organization"),
            concept_ids=_concepts(conn, request),
            effective=_effective(request),
        )
        for kind, item_id in (("Patient", wanted.patient_id), ("Group", wanted.study_id),
                              ("Organization", wanted.organization_id)):
            if item_id is not None:
                _check_access(conn, caller, kind, item_id)
        page = page_of(request, page_name="_page", size_name="_count")
        summary_only = request.query_params.get("_summary") == "count"
        count, ids = search.observations(conn, caller.organization_ids, wanted, offset=page.offset,
                                         limit=0 if summary_only else page.size)
    links = [{"relation": "self", "url": str(request.url)}]
    if not summary_only:
        links += [{"relation": relation, "url": url} for relation, url in
                  (("previous", page.previous_link(request)), ("next", page.next_link(request, count))) if url]
    with _PAGE_AT_A_TIME:
        rows, codes = _rows(conn, ids)
        # Entries as JHE writes them: the resource alone, no fullUrl.
        entries = ",".join([f'{{"resource":{resource_json(row, codes)}}}' for row in rows])
    head = json.dumps({"resourceType": "Bundle", "type": "searchset", "total": count, "link": links},
                      ensure_ascii=False, separators=(",", ":"))
    return _fhir_json(request, f'{head[:-1]},"entry":[{entries}]}}')


def _read(request: Request, conn: sqlite3.Connection, observation_id: int) -> Response:
    with as_outcome():
        caller = authenticate(request, conn)
        rows, codes = _rows(conn, [observation_id])
        if not rows:
            raise outcome(404, f"Observation/{observation_id} not found.")
        owners = {r[0] for r in conn.execute("SELECT organization_id FROM patient_organization WHERE patient_id = ?",
                                             (rows[0][1],))}
        if not owners & caller.organization_ids:
            raise outcome(403, f"Current user is not authorized to access Observation/{observation_id}.")
    return _fhir_json(request, resource_json(rows[0], codes))


def _register(prefix: str) -> None:
    @router.get(f"{prefix}/Observation", name=f"search{prefix}")
    async def search_observations(request: Request, conn: Conn) -> Response:
        return await off_loop(request, _search, request, conn)

    @router.get(f"{prefix}/Observation/{{observation_id:id}}", name=f"read{prefix}")
    def read_observation(observation_id: int, request: Request, conn: Conn) -> Response:
        return _read(request, conn, observation_id)


for _prefix in PREFIXES:
    _register(_prefix)
