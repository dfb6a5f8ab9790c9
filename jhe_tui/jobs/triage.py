"""Who has stopped sending data: each enrolled patient's consent answer and newest data per
requested data type, and whether they went quiet.

A job, not a screen: a roster page holds up to a thousand patients, and each needs its consents
and, per data type, the time of its newest observation. Requests are paced (``pacing``: up to
``concurrency`` in flight, as many as the server serves without slowing down), so a large page
does not flood a real server nor queue a thousand requests at once on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from jhe_tui.api import CodeableConcept, JheClient, Patient, PatientConsents, ScopeConsent

from .pacing import Pacing

DEFAULT_CONCURRENCY = 8
Key = tuple[str, str]


@dataclass(frozen=True)
class RosterEntry:
    patient: Patient
    consents: dict[Key, ScopeConsent | None]  # per requested scope; None = not listed
    last_data: dict[Key, datetime | None]  # newest observation received, per scope

    @property
    def id(self) -> int:
        return self.patient.id

    @property
    def consented_any(self) -> bool:
        return any(c is not None and c.consented for c in self.consents.values())

    @property
    def latest(self) -> datetime | None:
        times = [t for t in self.last_data.values() if t is not None]
        return max(times) if times else None

    @property
    def consented_since(self) -> datetime | None:
        times = [c.consented_time for c in self.consents.values() if c is not None and c.consented and c.consented_time]
        return min(times) if times else None

    def silent(self, days: int, at: datetime) -> bool:
        """Consented to something, yet nothing arrived for more than ``days`` days (counted from
        the consent when nothing ever arrived)."""
        if not self.consented_any:
            return False
        since = self.latest or self.consented_since
        return since is None or at - since > timedelta(days=days)


async def roster_entries(client: JheClient, patients: Iterable[Patient], study_id: int,
                         scopes: list[CodeableConcept], *, concurrency: int = DEFAULT_CONCURRENCY) -> list[RosterEntry]:
    """One entry per patient, in order: a request for the consents and one per requested scope
    (data may exist for a scope whose consent was reset, so none is skipped)."""
    pacing = Pacing(ceiling=concurrency, retry=client.retry)

    async def consents(patient: Patient) -> PatientConsents:
        return await pacing.fetch(lambda: client.consents(patient.id))

    async def last(patient: Patient, key: Key) -> datetime | None:
        page = await pacing.fetch(
            lambda: client.fhir_observations(patient_id=patient.id, study_id=study_id, code=key, count=1))
        return page.items[0].last_updated if page.items else None

    async def entry(patient: Patient) -> RosterEntry:
        state, *times = await asyncio.gather(consents(patient), *(last(patient, s.key) for s in scopes))
        return RosterEntry(patient, {s.key: state.scope(study_id, *s.key) for s in scopes},
                           dict(zip((s.key for s in scopes), times, strict=True)))

    return list(await asyncio.gather(*(entry(p) for p in patients)))
