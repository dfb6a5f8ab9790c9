"""Open mHealth data points as a value and unit a practitioner can read.

JHE stores each observation as one raw OMH data point (``{"header": …, "body": …}``). Screens
and exports want "120/80 mmHg" and a time, not JSON, so every known schema gets a small reader;
anything else gets a best-effort reading of its first quantity, and a payload that is not an OMH
data point at all decodes to None (the raw payload stays available to the caller).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .text import VisibleText


class OmhValue(VisibleText):
    schema_id: str  # "omh:heart-rate:2.0" when the header says so, else the best name we have
    name: str  # "heart-rate"
    label: str  # "Heart rate"
    values: dict[str, float] = {}
    value: float | None = None  # the main number (systolic for blood pressure)
    unit: str | None = None
    text: str = ""
    effective_start: datetime | None = None
    effective_end: datetime | None = None

    @property
    def effective_time(self) -> datetime | None:
        return self.effective_start or self.effective_end


class _Reading(NamedTuple):
    values: dict[str, float]
    value: float | None
    unit: str | None
    text: str


_UNIT_TEXT = {"beats/min": "bpm", "C": "°C", "F": "°F", "K": "K"}
_MINUTES_PER = {"ms": 1 / 60000, "sec": 1 / 60, "s": 1 / 60, "min": 1, "h": 60, "hr": 60, "d": 1440}

# Schemas whose body holds one quantity under one key, with the unit to assume if it is missing.
_SINGLE_QUANTITY = {
    "blood-glucose": ("blood_glucose", "mg/dL"),
    "heart-rate": ("heart_rate", "beats/min"),
    "body-temperature": ("body_temperature", "C"),
    "oxygen-saturation": ("oxygen_saturation", "%"),
    "respiratory-rate": ("respiratory_rate", "breaths/min"),
    "body-weight": ("body_weight", "kg"),
    "rr-interval": ("rr_interval", "ms"),
    "step-count": ("step_count", "steps"),
}
_BODY_KEY_SCHEMAS = {key: name for name, (key, _unit) in _SINGLE_QUANTITY.items()} | {
    "systolic_blood_pressure": "blood-pressure",
    "sleep_duration": "sleep-duration",
    "total_sleep_time": "sleep-episode",
    "activity_name": "physical-activity",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _quantity(obj: Any, default_unit: str | None = None) -> tuple[float, str | None] | None:
    """An OMH unit-value ``{"value", "unit"}`` (or a bare number) as (value, unit)."""
    if isinstance(obj, dict):
        value = _number(obj.get("value"))
        unit = obj.get("unit") if isinstance(obj.get("unit"), str) else default_unit
        return None if value is None else (value, unit)
    value = _number(obj)
    return None if value is None else (value, default_unit)


def format_number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _quantity_text(value: float, unit: str | None) -> str:
    unit_text = _UNIT_TEXT.get(unit, unit) if unit else None
    return f"{format_number(value)} {unit_text}" if unit_text else format_number(value)


def _minutes(value: float, unit: str | None) -> float | None:
    factor = _MINUTES_PER.get(unit or "")
    return None if factor is None else value * factor


def _duration_text(minutes: float) -> str:
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as servers and OMH payloads write it, or None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def effective_time(frame: Any) -> tuple[datetime | None, datetime | None]:
    """(start, end) of an OMH time frame; a single ``date_time`` gives (it, None)."""
    if not isinstance(frame, dict):
        return None, None
    if "date_time" in frame:
        return parse_time(frame["date_time"]), None
    interval = frame.get("time_interval")
    if not isinstance(interval, dict):
        return None, None
    start = parse_time(interval.get("start_date_time"))
    end = parse_time(interval.get("end_date_time"))
    length = _quantity(interval.get("duration"))
    minutes = _minutes(*length) if length else None
    if minutes is not None and (start is None) != (end is None):
        if start is None:
            start = end - timedelta(minutes=minutes)
        else:
            end = start + timedelta(minutes=minutes)
    return start, end


def _single(key: str, default_unit: str) -> Callable[[dict], _Reading | None]:
    def read(body: dict) -> _Reading | None:
        found = _quantity(body.get(key), default_unit)
        if found is None:
            return None
        value, unit = found
        text = _quantity_text(value, unit)
        meal = body.get("temporal_relationship_to_meal")
        if isinstance(meal, str):
            text += f" ({meal.replace('_', ' ')})"
        return _Reading({key: value}, value, unit, text)

    return read


def _blood_pressure(body: dict) -> _Reading | None:
    systolic = _quantity(body.get("systolic_blood_pressure"), "mmHg")
    diastolic = _quantity(body.get("diastolic_blood_pressure"), "mmHg")
    if systolic is None or diastolic is None:
        return None
    unit = systolic[1]
    text = f"{format_number(systolic[0])}/{format_number(diastolic[0])} {unit}"
    return _Reading({"systolic": systolic[0], "diastolic": diastolic[0]}, systolic[0], unit, text)


def _duration_reading(key: str, found: tuple[float, str | None] | None) -> _Reading | None:
    if found is None:
        return None
    value, unit = found
    minutes = _minutes(value, unit)
    text = _duration_text(minutes) if minutes is not None else _quantity_text(value, unit)
    return _Reading({key: value}, value, unit, text)


def _sleep_duration(body: dict) -> _Reading | None:
    return _duration_reading("sleep_duration", _quantity(body.get("sleep_duration")))


def _sleep_episode(body: dict) -> _Reading | None:
    reading = _duration_reading("total_sleep_time", _quantity(body.get("total_sleep_time")))
    if reading is None:
        start, end = effective_time(body.get("effective_time_frame"))
        if start is None or end is None:
            return None
        reading = _duration_reading("total_sleep_time", ((end - start).total_seconds() / 60, "min"))
    return reading._replace(text=f"{reading.text} asleep")


def _physical_activity(body: dict) -> _Reading | None:
    parts: list[str] = []
    values: dict[str, float] = {}
    if isinstance(body.get("activity_name"), str):
        parts.append(body["activity_name"])
    for key in ("distance", "kcal_burned"):
        found = _quantity(body.get(key), "kcal" if key == "kcal_burned" else None)
        if found:
            values[key] = found[0]
            parts.append(_quantity_text(*found))
    start, end = effective_time(body.get("effective_time_frame"))
    if start and end:
        parts.append(_duration_text((end - start).total_seconds() / 60))
    if not parts:
        return None
    distance = _quantity(body.get("distance"))
    return _Reading(values, values.get("distance"), distance[1] if distance else None, " · ".join(parts))


def _generic(body: dict) -> _Reading | None:
    """The first quantity in the body, for schemas without a reader of their own."""
    for key, item in body.items():
        found = _quantity(item) if key != "effective_time_frame" else None
        if found is not None:
            value, unit = found
            return _Reading({key: value}, value, unit, f"{key.replace('_', ' ')}: {_quantity_text(value, unit)}")
    return None


_READERS: dict[str, Callable[[dict], _Reading | None]] = {
    name: _single(key, unit) for name, (key, unit) in _SINGLE_QUANTITY.items()
} | {
    "blood-pressure": _blood_pressure,
    "sleep-duration": _sleep_duration,
    "sleep-episode": _sleep_episode,
    "physical-activity": _physical_activity,
}


def _schema(header: Any, code: str | None, body: dict) -> tuple[str, str]:
    """(schema id, schema name) from the header, else the observation's code, else the body."""
    schema = header.get("schema_id") if isinstance(header, dict) else None
    if isinstance(schema, dict) and isinstance(schema.get("name"), str):
        parts = [schema.get("namespace"), schema["name"], schema.get("version")]
        return ":".join(str(p) for p in parts if p), schema["name"]
    if code:
        pieces = code.split(":")
        return code, pieces[1] if len(pieces) >= 2 else code
    name = next((_BODY_KEY_SCHEMAS[key] for key in body if key in _BODY_KEY_SCHEMAS), "unknown")
    return name, name


def decode(payload: Any, code: str | None = None) -> OmhValue | None:
    """Read one OMH data point; ``code`` (e.g. ``omh:heart-rate:2.0``) helps when the header lacks it."""
    if not isinstance(payload, dict) or not isinstance(payload.get("body"), dict):
        return None
    body = payload["body"]
    try:
        schema_id, name = _schema(payload.get("header"), code, body)
        reading = _READERS.get(name, _generic)(body) or _generic(body) or _Reading({}, None, None, "")
        start, end = effective_time(body.get("effective_time_frame"))
    except (TypeError, ValueError, ArithmeticError):
        # Mixed naive/aware times, absurd numbers: a payload we cannot read is not an error.
        return None
    return OmhValue(
        schema_id=schema_id,
        name=name,
        label=name.replace("-", " ").capitalize(),
        values=reading.values,
        value=reading.value,
        unit=reading.unit,
        text=reading.text,
        effective_start=start,
        effective_end=end,
    )
