"""OMH data points read as a value, unit and time; unreadable payloads give None, never an error."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from api_recordings import load_exchanges

from jhe_tui.api.omh import decode


def point(name: str, body: dict, version: str = "1.0") -> dict:
    header = {"uuid": "u", "schema_id": {"namespace": "omh", "name": name, "version": version}}
    return {"header": header, "body": {"effective_time_frame": {"date_time": "2026-11-23T19:58:54+00:00"}, **body}}


@pytest.mark.parametrize(
    ("name", "body", "text", "value", "unit"),
    [
        ("blood-glucose", {"blood_glucose": {"value": 98, "unit": "mg/dL"}}, "98 mg/dL", 98, "mg/dL"),
        (
            "blood-glucose",
            {"blood_glucose": {"value": 5.4, "unit": "mmol/L"}, "temporal_relationship_to_meal": "fasting"},
            "5.4 mmol/L (fasting)",
            5.4,
            "mmol/L",
        ),
        (
            "blood-pressure",
            {
                "systolic_blood_pressure": {"value": 120, "unit": "mmHg"},
                "diastolic_blood_pressure": {"value": 80, "unit": "mmHg"},
            },
            "120/80 mmHg",
            120,
            "mmHg",
        ),
        ("heart-rate", {"heart_rate": {"value": 72, "unit": "beats/min"}}, "72 bpm", 72, "beats/min"),
        ("heart-rate", {"heart_rate": {"value": 67.5, "unit": "beats/min"}}, "67.5 bpm", 67.5, "beats/min"),
        ("body-temperature", {"body_temperature": {"value": 36.8, "unit": "C"}}, "36.8 °C", 36.8, "C"),
        ("oxygen-saturation", {"oxygen_saturation": {"value": 97, "unit": "%"}}, "97 %", 97, "%"),
        (
            "respiratory-rate",
            {"respiratory_rate": {"value": 16, "unit": "breaths/min"}},
            "16 breaths/min",
            16,
            "breaths/min",
        ),
        ("step-count", {"step_count": {"value": 8412, "unit": "steps"}}, "8,412 steps", 8412, "steps"),
        ("step-count", {"step_count": 8412}, "8,412 steps", 8412, "steps"),
        ("body-weight", {"body_weight": {"value": 72.5, "unit": "kg"}}, "72.5 kg", 72.5, "kg"),
        ("rr-interval", {"rr_interval": {"value": 812, "unit": "ms"}}, "812 ms", 812, "ms"),
        ("sleep-duration", {"sleep_duration": {"value": 7.5, "unit": "h"}}, "7 h 30 min", 7.5, "h"),
        ("sleep-episode", {"total_sleep_time": {"value": 450, "unit": "min"}}, "7 h 30 min asleep", 450, "min"),
    ],
)
def test_known_schemas(name, body, text, value, unit):
    decoded = decode(point(name, body))
    assert (decoded.text, decoded.value, decoded.unit) == (text, value, unit)
    assert decoded.name == name and decoded.schema_id == f"omh:{name}:1.0"
    assert decoded.effective_time == datetime(2026, 11, 23, 19, 58, 54, tzinfo=timezone.utc)


def test_blood_pressure_exposes_both_numbers():
    decoded = decode(
        point(
            "blood-pressure",
            {
                "systolic_blood_pressure": {"value": 115, "unit": "mmHg"},
                "diastolic_blood_pressure": {"value": 60, "unit": "mmHg"},
            },
        )
    )
    assert decoded.values == {"systolic": 115, "diastolic": 60} and decoded.label == "Blood pressure"


def test_physical_activity_over_an_interval():
    body = {
        "activity_name": "walking",
        "distance": {"value": 3.2, "unit": "km"},
        "kcal_burned": {"value": 210, "unit": "kcal"},
        "effective_time_frame": {
            "time_interval": {"start_date_time": "2026-01-01T08:00:00Z", "duration": {"value": 45, "unit": "min"}}
        },
    }
    decoded = decode(
        {"header": {"schema_id": {"namespace": "omh", "name": "physical-activity", "version": "1.2"}}, "body": body}
    )
    assert decoded.text == "walking · 3.2 km · 210 kcal · 45 min"
    assert decoded.values == {"distance": 3.2, "kcal_burned": 210}
    assert decoded.effective_end == datetime(2026, 1, 1, 8, 45, tzinfo=timezone.utc)


def test_sleep_episode_without_total_uses_its_interval():
    frame = {"time_interval": {"start_date_time": "2026-01-01T23:00:00Z", "end_date_time": "2026-01-02T06:15:00Z"}}
    decoded = decode(
        {
            "header": {"schema_id": {"name": "sleep-episode"}},
            "body": {"effective_time_frame": frame, "is_main_sleep": True},
        }
    )
    assert decoded.text == "7 h 15 min asleep"
    assert decoded.effective_start == datetime(2026, 1, 1, 23, 0, tzinfo=timezone.utc)


def test_unknown_schema_reads_its_first_quantity():
    decoded = decode(point("forced-vital-capacity", {"forced_vital_capacity": {"value": 3.9, "unit": "L"}}))
    assert decoded.text == "forced vital capacity: 3.9 L" and decoded.value == 3.9


def test_schema_comes_from_the_code_or_the_body_when_the_header_lacks_it():
    body = {"heart_rate": {"value": 60, "unit": "beats/min"}}
    assert decode({"body": body}, code="omh:heart-rate:2.0").schema_id == "omh:heart-rate:2.0"
    assert decode({"body": body}).name == "heart-rate"
    assert decode({"body": {"note": "hello"}}).text == ""


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "placeholder",
        [],
        42,
        {"header": {"schema_id": {"name": "heart-rate"}}},
        {"body": "not a dict"},
        {"body": ["x"]},
        # mixed naive and aware times cannot be subtracted
        {
            "header": {"schema_id": {"name": "physical-activity"}},
            "body": {
                "effective_time_frame": {
                    "time_interval": {"start_date_time": "2026-01-01T08:00:00", "end_date_time": "2026-01-01T09:00:00Z"}
                }
            },
        },
    ],
)
def test_garbage_decodes_to_none(payload):
    assert decode(payload) is None


def test_odd_values_never_raise():
    decoded = decode(
        point("heart-rate", {"heart_rate": {"value": True, "unit": "beats/min"}, "effective_time_frame": "yesterday"})
    )
    assert decoded.value is None and decoded.effective_time is None
    assert decode(point("sleep-duration", {"sleep_duration": {"value": 1e308, "unit": "d"}})) is None


def test_every_recorded_payload_decodes():
    payloads = [
        (item.get("valueAttachmentData") or item.get("omhData"), item["codingCode"])
        for exchange in load_exchanges()
        if exchange.path == "/api/v1/observations" and exchange.status == 200
        for item in exchange.json["results"]
    ]
    if not payloads:
        pytest.skip("recordings not available")
    for payload, code in payloads:
        decoded = decode(payload, code)
        assert decoded.schema_id == code and decoded.text.endswith(("bpm", "mmHg")) and decoded.effective_time
