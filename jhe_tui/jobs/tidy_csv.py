"""The tidy CSV: one row per observation, column for column what jupyterhealth-client's
``tidy_observation`` (and so ``list_observations_df``) makes of it, so a notebook written for that
client reads our file, and only the columns that have data.

``tidy_observation`` flattens the resource (without its attachment), then the OMH header, then the
OMH body into one level, nested keys joined with ``_`` (``code_coding_0_code``, ``schema_id_name``,
``blood_glucose_value``), after a ``resource_type`` and a ``code`` column; every ``*date_time``
becomes a UTC timestamp with a ``*date_time_local`` twin (the wall-clock time where it was measured,
without a zone), and ``meta_lastUpdated`` a UTC timestamp. The same happens here, without pandas.
Columns come in the order they first appear, as ``DataFrame.from_records`` orders them.

Which columns have data is known only at the end, so rows wait in an unnamed temporary file (owner
only, gone when closed, whatever happens) and the file is written from it when the last page is in:
memory stays flat, but a stream receives the rows only then.

Timestamps are ISO 8601 with microseconds always (``2026-01-31T08:15:00.000000Z``; local ones
without the ``Z``): pandas infers one format per column and refuses a column that mixes precisions.
Numbers stay numbers, so spreadsheet protection never touches them.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jhe_tui.api.fhir import decode_attachment
from jhe_tui.api.omh import parse_time

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def flatten(value: dict | list, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 5}, "c": [7]}`` -> ``{"a_b": 5, "c_0": 7}``, as jupyterhealth-client's ``flatten_dict``."""
    flat: dict[str, Any] = {}
    items = enumerate(value) if isinstance(value, list) else value.items()
    for key, item in items:
        name = f"{prefix}_{key}" if prefix else str(key)
        if isinstance(item, (dict, list)):
            flat.update(flatten(item, name))
        else:
            flat[name] = item
    return flat


def _utc(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime(_UTC_FORMAT)


def tidy_record(resource: dict[str, Any]) -> dict[str, Any]:
    """The flat record ``tidy_observation`` gives for one FHIR Observation, timestamps as ISO text.

    Where that function raises (an attachment that is not JSON) the record keeps the resource's own
    columns: one unreadable observation does not stop an export.
    """
    payload = decode_attachment((resource.get("valueAttachment") or {}).get("data"))
    payload = payload if isinstance(payload, dict) else {}
    header, body = (payload.get("header"), payload["body"]) if "body" in payload else ({}, payload)
    codings = (resource.get("code") or {}).get("coding") or [{}]
    code = codings[0].get("code") if isinstance(codings[0], dict) else None
    record: dict[str, Any] = {"resource_type": code, "code": code}
    record.update(flatten({key: value for key, value in resource.items() if key != "valueAttachment"}))
    for part in (header, body):
        if isinstance(part, (dict, list)):
            record.update(flatten(part))
    for key in list(record):
        if key.endswith("date_time"):
            moment = parse_time(record[key])
            if moment is not None:
                record[key] = _utc(moment)
                record[key + "_local"] = moment.replace(tzinfo=None).strftime(_LOCAL_FORMAT)
    updated = parse_time(record.get("meta_lastUpdated"))
    if updated is not None:
        record["meta_lastUpdated"] = _utc(updated)
    return record


class TidyCsvWriter:
    """Rows spooled with every column seen so far (a column is made by its first value), then
    written out padded to all of them under one header."""

    texts = False

    def __init__(self, stream: io.TextIOBase, cell: Callable[[Any], Any], spool_dir: Path | None = None) -> None:
        self.stream = stream
        self.cell = cell  # spreadsheet protection, or none
        self.spool_dir = spool_dir

    def start(self) -> None:
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=self.spool_dir)
        self.rows = csv.writer(self.spool, lineterminator="\n")
        self.index: dict[str, int] = {}

    def page(self, items: list[dict[str, Any]]) -> None:
        index, cell = self.index, self.cell
        rows = []
        for resource in items:
            row: list[Any] = [""] * len(index)
            for key, value in tidy_record(resource).items():
                if value is None:
                    continue
                column = index.get(key)
                if column is None:
                    column = index[key] = len(index)
                    row.append("")
                row[column] = cell(value)
            rows.append(row)
        self.rows.writerows(rows)

    def finish(self) -> None:
        out = csv.writer(self.stream, lineterminator="\n")
        out.writerow(self.index)
        width = len(self.index)
        self.spool.seek(0)
        for row in csv.reader(self.spool):
            out.writerow(row + [""] * (width - len(row)) if len(row) < width else row)
        self.spool.close()
