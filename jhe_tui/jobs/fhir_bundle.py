"""FHIR shapes of an export beyond the server's own Observations: the ``collection`` Bundle and
the Patient resources written beside an NDJSON export.

A collection Bundle's entries SHALL carry ``fullUrl`` (R5 invariant bdl-15) and the Bundle a
``timestamp`` (when it was assembled). The ``fullUrl`` is a ``urn:uuid:``, the name-based (version
5) UUID of the resource's address on its server: the same observation of the same server gets the
same one in every export, and two servers' observation 60001 differ. JHE v0.0.7 cannot read a
resource by its address, so the address itself would not resolve everywhere.

Patients are the exchange's own records rendered as FHIR R5 Patients, shaped as JHE's FHIR API
renders them (identifier, name, birthDate, telecom), so NDJSON exports are self-contained for FHIR
bulk-data tools on either server generation.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import orjson

from jhe_tui.api import JheClient, Patient

from .observations import ObservationQuery

# orjson refuses lone surrogates, which ``json`` reads from a server (see ``api.fhir_pages``).
_ascii = json.JSONEncoder(separators=(",", ":")).encode


def compact(item: dict[str, Any]) -> str:
    """One JSON line, UTF-8 as the servers write it; escaped to ASCII where orjson cannot."""
    try:
        return orjson.dumps(item).decode()
    except TypeError:
        return _ascii(item)


def full_url(base_url: str, resource: dict[str, Any]) -> str:
    address = f"{base_url.rstrip('/')}/{resource.get('resourceType', 'Observation')}/{resource.get('id', '')}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, address)}"


def utc_now() -> datetime:
    """The Bundle's clock (tests set it)."""
    return datetime.now(timezone.utc)


def instant(moment: datetime) -> str:
    """A FHIR ``instant``: UTC, with the zone, to the millisecond."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BundleWriter:
    """One ``collection`` Bundle, written entry by entry (never held whole in memory)."""

    texts = False

    def __init__(self, stream: io.TextIOBase, base_url: str, now: datetime | None = None) -> None:
        self.stream = stream
        self.base_url = base_url
        self.timestamp = instant(now or utc_now())

    def start(self) -> None:
        self.resume(0)
        self.stream.write(f'{{"resourceType":"Bundle","type":"collection","timestamp":"{self.timestamp}","entry":[\n')

    def resume(self, written: int) -> None:
        """Go on writing a Bundle whose start and first ``written`` entries are there already."""
        self.first = written == 0

    def page(self, items: list[dict[str, Any]]) -> None:
        if items:
            entries = ",\n".join(compact({"fullUrl": full_url(self.base_url, r), "resource": r}) for r in items)
            self.stream.write(entries if self.first else ",\n" + entries)
            self.first = False

    def finish(self) -> None:
        self.stream.write("\n]}\n")


class PatientsSeen:
    """The NDJSON writer's lines, noting each observation's patient for ``Patient.ndjson``."""

    texts = False

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream
        self.patient_ids: set[int] = set()

    def start(self) -> None: ...

    def page(self, items: list[dict[str, Any]]) -> None:
        for resource in items:
            reference = (resource.get("subject") or {}).get("reference")
            if isinstance(reference, str) and reference.removeprefix("Patient/").isdigit():
                self.patient_ids.add(int(reference.removeprefix("Patient/")))
        if items:
            self.stream.write("\n".join(map(compact, items)))
            self.stream.write("\n")

    def finish(self) -> None: ...


def patient_resource(patient: Patient) -> dict[str, Any]:
    """The exchange's patient record as a FHIR R5 Patient, members without a value left out."""
    resource: dict[str, Any] = {"resourceType": "Patient", "id": str(patient.id)}
    identifiers = [{"system": i.system, "value": i.value} if i.system else {"value": i.value}
                   for i in patient.identifiers if i.value]
    if identifiers:
        resource["identifier"] = identifiers
    name = {key: value for key, value in (("family", patient.name_family),
                                          ("given", [patient.name_given] if patient.name_given else None)) if value}
    if name:
        resource["name"] = [name]
    if patient.birth_date:
        resource["birthDate"] = patient.birth_date.isoformat()
    telecom = [{"system": system, "value": value, "use": use} for system, value, use in
               (("phone", patient.telecom_phone, "mobile"), ("email", patient.telecom_email, "home")) if value]
    if telecom:
        resource["telecom"] = telecom
    return resource


async def patients_of(client: JheClient, query: ObservationQuery, patient_ids: set[int]) -> list[Patient]:
    """The exchange's records of the patients seen, in id order: the one asked for, or those of the
    organization (and study) among its patients, one listing rather than a request each."""
    if not patient_ids:
        return []
    if query.patient_id is not None:
        return [await client.patient(query.patient_id)]
    found = [p async for p in client.iter_patients(query.organization_id, query.study_id) if p.id in patient_ids]
    return sorted(found, key=lambda p: p.id)


def write_patients(stream: io.TextIOBase, patients: Iterable[Patient]) -> int:
    count = 0
    for patient in patients:
        stream.write(compact(patient_resource(patient)) + "\n")
        count += 1
    return count
