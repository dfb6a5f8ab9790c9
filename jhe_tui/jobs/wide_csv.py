"""The wide CSV: one row per observation with a fixed set of columns whatever the data types, the
values of every OMH type in columns of their own (``COLUMNS``). The tidy CSV (``jobs.tidy_csv``)
is the default; this is the older layout, kept for sheets built on it.

With spreadsheet protection text cells a spreadsheet would run as a formula get a leading
apostrophe (``neutralize``); numbers are written as numbers, never touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from jhe_tui.api.fhir import decode_attachment
from jhe_tui.api.omh import decode

# Body keys holding an OMH unit-value, in the order their columns appear.
VALUE_KEYS = (
    "blood_glucose",
    "systolic_blood_pressure",
    "diastolic_blood_pressure",
    "heart_rate",
    "oxygen_saturation",
    "respiratory_rate",
    "body_temperature",
    "body_weight",
    "step_count",
    "sleep_duration",
    "total_sleep_time",
    "distance",
    "kcal_burned",
    "rr_interval",
)
BASE_COLUMNS = (
    "id",
    "patient_id",
    "subject_reference",
    "code_coding_0_system",
    "code_coding_0_code",
    "schema_id_name",
    "effective_time_frame_date_time",
    "effective_time_frame_time_interval_start_date_time",
    "effective_time_frame_time_interval_end_date_time",
    "meta_lastUpdated",
    "value",
    "unit",
    "value_text",
    "temporal_relationship_to_meal",
    "activity_name",
)
COLUMNS = BASE_COLUMNS + tuple(f"{key}_{part}" for key in VALUE_KEYS for part in ("value", "unit"))
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")



def neutralize(cell: Any) -> Any:
    """A text cell a spreadsheet would evaluate gets a leading apostrophe; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        try:
            float(cell)
        except ValueError:
            return "'" + cell
    return cell


def _time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return int(value) if float(value).is_integer() else value


def _patient(resource: dict[str, Any]) -> str:
    reference = (resource.get("subject") or {}).get("reference")
    return reference.removeprefix("Patient/") if isinstance(reference, str) else ""


def as_is(cell: Any) -> Any:
    """The cell unchanged, for files read by pandas rather than by a spreadsheet."""
    return cell


def csv_row(resource: dict[str, Any], cell: Callable[[Any], Any] = neutralize) -> list[Any]:
    """One wide row from a FHIR Observation resource (its OMH attachment decoded here)."""
    codings = (resource.get("code") or {}).get("coding") or [{}]
    coding = codings[0] if isinstance(codings[0], dict) else {}
    payload = decode_attachment((resource.get("valueAttachment") or {}).get("data"))
    payload = payload if isinstance(payload, dict) else {}
    body = payload.get("body") if isinstance(payload.get("body"), dict) else {}
    header = payload.get("header") if isinstance(payload.get("header"), dict) else {}
    schema = header.get("schema_id") if isinstance(header.get("schema_id"), dict) else {}
    value = decode(payload, coding.get("code"))
    period = resource.get("effectivePeriod") or {}
    if value is not None and value.effective_start is not None:
        start, end = _time(value.effective_start), _time(value.effective_end)
    else:
        start, end = resource.get("effectiveDateTime") or period.get("start") or "", period.get("end") or ""
    patient = _patient(resource)
    meal = body.get("temporal_relationship_to_meal")
    activity = body.get("activity_name")
    row: list[Any] = [
        resource.get("id", ""),
        patient,
        f"Patient/{patient}" if patient else "",
        coding.get("system") or "",
        coding.get("code") or "",
        schema.get("name") or (value.name if value else ""),
        "" if end else start,
        start if end else "",
        end,
        (resource.get("meta") or {}).get("lastUpdated") or "",
        _number(value.value) if value and value.value is not None else "",
        (value.unit or "") if value else "",
        value.text if value else "(unreadable payload)",
        meal if isinstance(meal, str) else "",
        activity if isinstance(activity, str) else "",
    ]
    for key in VALUE_KEYS:
        item = body.get(key)
        if isinstance(item, dict):
            row += [_number(item.get("value")), item.get("unit") if isinstance(item.get("unit"), str) else ""]
        else:
            row += [_number(item), ""]
    return list(map(cell, row))



class WideCsvWriter:
    """The export's writer for wide rows: the header first, then each page's rows."""

    texts = False  # takes resources as dicts

    def __init__(self, stream: io.TextIOBase, cell: Callable[[Any], Any]) -> None:
        self.stream = stream
        self.cell = cell

    def start(self) -> None:
        self.resume(0)
        self.csv.writerow(COLUMNS)

    def resume(self, written: int) -> None:
        self.csv = csv.writer(self.stream, lineterminator="\n")

    def page(self, items: list[dict[str, Any]]) -> None:
        self.csv.writerows(csv_row(o, self.cell) for o in items)

    def finish(self) -> None:
        """Nothing is held back: every row is written with its page."""
