"""The follow-up desk: who, in one organization (and optionally one study), needs a call today.

The user guide tells coordinators to follow up with patients who do not connect within 48 hours
and to reach out to those who stop uploading; no server view says who they are. Five queues:

* not connected: invited more than ``hours`` ago and never redeemed (v0.0.13, the demo); where
  the server keeps no invitations (v0.0.7), invited from this workstation with no consent answer
  and no data;
* consent pending: connected (or not known to be unconnected), a requested scope unanswered;
* went quiet: consented, yet nothing arrived for more than ``days`` days (the roster's rule);
* expiring soon: an unused link expiring within ``expiring_days``;
* never invited: enrolled in a study of the organization and never invited.

A job, not a screen, so the desk and `jhe-tui followup` give the same answers; the clock is a
parameter. Requests are few and bounded: the patient list, the organization's studies and the
server's invitation list are read whole (a page holds 1,000), then per patient the consents (no
server lists them in bulk). The newest data per patient and type come from the organization's
(or study's) observations read newest first, 1,000 a page, while a page settles more than the
searches it costs; what that leaves open is one FHIR search each: the newest observation of a
patient not met, and the newest per consented type of a patient who went quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from jhe_tui.api import CodeableConcept, JheClient, Patient, PatientConsents
from jhe_tui.api.text import counted
from jhe_tui.api.invitations import GUIDE_LIFETIME, OUTSTANDING, IssuedInvitation
from jhe_tui.local.invitation_log import WHERE, LoggedInvitation

DEFAULT_CONCURRENCY = 8
SWEEP_PAGE = 1000
SWEEP_WORTH = 75  # searches a page of 1,000 observations costs, about, on the embedded backend
Key = tuple[str, str]


class Queue(StrEnum):
    NOT_CONNECTED = "not-connected"
    PENDING = "pending"
    QUIET = "quiet"
    EXPIRING = "expiring"
    NEVER = "never"

    @property
    def title(self) -> str:
        return TITLES[self]


TITLES = {Queue.NOT_CONNECTED: "Not connected", Queue.PENDING: "Consent pending", Queue.QUIET: "Went quiet",
          Queue.EXPIRING: "Expiring soon", Queue.NEVER: "Never invited"}


@dataclass(frozen=True)
class Rules:
    hours: int = 48  # the guide: follow up with patients who do not connect within 48 hours
    days: int = 3  # the roster's "silent after"
    expiring_days: int = 2


@dataclass(frozen=True)
class Invited:
    """What is known of a patient's latest invitation, from the server or this workstation's log."""

    issued: datetime | None
    status: str  # the server's status as of now, or "recorded" (the local log)
    expires: datetime | None
    emailed: bool | None
    redeemed: datetime | None = None
    local: bool = False

    @property
    def how(self) -> str:
        return {True: "e-mailed", False: "copied"}.get(self.emailed, "") if self.emailed is not None else ""


@dataclass(frozen=True)
class Row:
    queue: Queue
    patient: Patient
    reason: str
    since: datetime | None  # what the queue sorts by, oldest first
    invited: Invited | None = None
    last_data: dict[str, datetime | None] = field(default_factory=dict)  # per data type name

    @property
    def id(self) -> int:
        return self.patient.id


@dataclass
class Desk:
    organization_id: int
    study_id: int | None
    now: datetime
    rules: Rules
    patients: int
    queues: dict[Queue, list[Row]]
    notes: dict[Queue, str]  # what this server could not say, per queue

    def count(self, queue: Queue) -> int:
        return len(self.queues[queue])

    @property
    def empty(self) -> bool:
        return not any(self.queues.values())


def rule_text(queue: Queue, rules: Rules) -> str:
    """Who the queue lists under these rules, in a few words, beside its title and count."""
    return {Queue.NOT_CONNECTED: f"invited more than {counted(rules.hours, 'hour')} ago",
            Queue.PENDING: "a requested data type unanswered",
            Queue.QUIET: f"consented, no data for more than {counted(rules.days, 'day')}",
            Queue.EXPIRING: f"unused links expiring within {counted(rules.expiring_days, 'day')}",
            Queue.NEVER: "in a study, no invitation known"}[queue]


def ago(moment: datetime | None, now: datetime) -> str:
    """``3 days ago``, ``50 hours ago``: hours below three days, where the 48-hour rule lives."""
    if moment is None:
        return "at an unknown time"
    hours = int((now - moment).total_seconds() // 3600)
    if hours < 0:
        return "in the future (check this computer's clock)"
    return f"{hours} hour{'s' * (hours != 1)} ago" if hours < 72 else f"{hours // 24} days ago"


def _from_server(invitations: list[IssuedInvitation], now: datetime) -> tuple[Invited, bool]:
    """The latest invitation, and whether any of them was ever redeemed."""
    latest = max(invitations, key=lambda i: i.id)
    redeemed = [i.redeemed_at for i in invitations if i.status == "redeemed"]
    state = Invited(latest.issued_at, latest.status_at(now), latest.expires_at, latest.sent_by_email,
                    max((t for t in redeemed if t), default=None))
    return state, bool(redeemed)


def _from_log(entries: list[LoggedInvitation]) -> Invited:
    latest = max(entries, key=lambda e: e.time)
    return Invited(latest.time, "recorded", latest.time + GUIDE_LIFETIME, latest.emailed, local=True)


class _Patient:
    """One patient's facts, gathered with as few requests as the rules need."""

    def __init__(self, patient: Patient) -> None:
        self.patient = patient
        self.consents: PatientConsents | None = None
        self.codes: dict[Key, CodeableConcept] = {}  # consented data types of the desk's studies
        self.seen = False  # the sweep met one of the patient's observations (the newest, then)
        self.found: dict[Key, datetime | None] = {}  # newest per consented type, as far as known
        self.latest: datetime | None = None
        self.last_data: dict[str, datetime | None] = {}


class FollowUp:
    def __init__(self, client: JheClient, organization_id: int, study_id: int | None, *, now: datetime,
                 rules: Rules, local_log: Sequence[LoggedInvitation], concurrency: int) -> None:
        self.client, self.organization_id, self.study_id = client, organization_id, study_id
        self.now, self.rules, self.local_log = now, rules, local_log
        self.limit = asyncio.Semaphore(concurrency)
        self.in_scope: set[int] = set()

    async def _call(self, work):
        async with self.limit:
            return await work

    async def run(self) -> Desk:
        client = self.client
        keeps = await client.keeps_invitations()
        listing = client.invitations() if keeps else asyncio.sleep(0, [])
        patients, studies, issued = await asyncio.gather(
            self._all(client.iter_patients(self.organization_id, self.study_id)),
            client.studies(self.organization_id), listing)
        self.in_scope = {self.study_id} if self.study_id else {s.id for s in studies}
        by_patient: dict[int, list[IssuedInvitation]] = {}
        for invitation in issued:
            by_patient.setdefault(invitation.patient_id, []).append(invitation)
        logged: dict[int, list[LoggedInvitation]] = {}
        for entry in self.local_log:
            logged.setdefault(entry.patient_id, []).append(entry)
        facts = [_Patient(p) for p in patients]
        await asyncio.gather(*(self._consents(fact) for fact in facts))
        wanted = {fact.patient.id: fact for fact in facts if self._wants_data(fact, keeps)}
        complete, oldest = await self._sweep(wanted)
        await asyncio.gather(*(self._searches(fact, complete, oldest) for fact in wanted.values()))
        queues: dict[Queue, list[Row]] = {queue: [] for queue in Queue}
        for fact in facts:
            for row in self._rows(fact, keeps, by_patient.get(fact.patient.id), logged.get(fact.patient.id)):
                queues[row.queue].append(row)
        far = self.now + timedelta(days=3650)
        for rows in queues.values():
            rows.sort(key=lambda r: (r.since or far, r.patient.display_name.lower()))
        guessed = any(not invitation.expiry_known for invitation in issued)
        return Desk(self.organization_id, self.study_id, self.now, self.rules, len(patients), queues,
                    self._notes(keeps, guessed))

    @staticmethod
    async def _all(walk) -> list:
        return [item async for item in walk]

    # --- the facts --------------------------------------------------------------------------------

    def _scopes(self, consents: PatientConsents) -> tuple[list, list]:
        """(answered, pending) scope consents of the desk's studies."""
        answered = [s for study in consents.answered if study.id in self.in_scope for s in study.scopes]
        pending = [s for study in consents.pending if study.id in self.in_scope for s in study.scopes
                   if s.consented is None]
        return answered, pending

    async def _consents(self, fact: _Patient) -> None:
        fact.consents = await self._call(self.client.consents(fact.patient.id))

    def _wants_data(self, fact: _Patient, keeps: bool) -> bool:
        """Whether the rules need the patient's data: a consent to watch, or (v0.0.7, where no
        redemption is recorded) no answer at all, so that only data can show a connection."""
        assert fact.consents is not None
        answered, _pending = self._scopes(fact.consents)
        fact.codes = {s.code.key: s.code for s in answered if s.consented}
        no_answer = not any(s.consented is not None for study in fact.consents.answered for s in study.scopes)
        return bool(fact.codes) or (not keeps and no_answer)

    async def _sweep(self, wanted: dict[int, _Patient]) -> tuple[bool, datetime | None]:
        """Read the organization's (or study's) observations newest first, a page of 1,000 at a
        time, noting each wanted patient's newest observation and newest per consented type,
        while a page settles more look-ups than it costs (``SWEEP_WORTH`` searches). Returns
        whether every observation was read, and the oldest time reached."""
        outstanding = sum(len(f.codes) or 1 for f in wanted.values())
        number, oldest = 1, None
        while outstanding > 0:
            page = await self._call(self.client.observations(self.organization_id, self.study_id, page=number,
                                                             page_size=SWEEP_PAGE))
            settled = 0
            for observation in page.items:
                oldest = observation.last_updated or oldest
                fact = wanted.get(observation.subject_patient_id or 0)
                if fact is None:
                    continue
                if not fact.seen:
                    fact.seen, fact.latest = True, observation.last_updated
                    settled += not fact.codes
                key = (observation.coding_system or "", observation.coding_code or "")
                if key in fact.codes and key not in fact.found:
                    fact.found[key] = observation.last_updated
                    settled += 1
            outstanding -= settled
            if page.next is None:
                return True, oldest
            if settled < SWEEP_WORTH:
                break
            number += 1
        return False, oldest

    async def _searches(self, fact: _Patient, complete: bool, oldest: datetime | None) -> None:
        """What the sweep left unknown, one FHIR search each: the newest observation of a
        patient it did not meet (unless it reached back past the quiet limit), and, for a
        patient who went quiet, the newest of each consented type."""
        pid = fact.patient.id
        if not complete and not fact.seen and (oldest is None or self._recent(oldest)):
            fact.latest = await self._newest(pid, None)
        if not fact.codes or self._recent(fact.latest):
            return
        missing = [key for key in fact.codes if key not in fact.found]
        if not complete:
            times = await asyncio.gather(*(self._newest(pid, key) for key in missing))
            fact.found.update(zip(missing, times, strict=True))
        fact.last_data = {(code.text or code.coding_code): fact.found.get(key) for key, code in fact.codes.items()}
        known = [t for t in fact.found.values() if t is not None]
        fact.latest = fact.latest or (max(known) if known else None)

    async def _newest(self, patient_id: int, code: Key | None) -> datetime | None:
        page = await self._call(self.client.fhir_observations(patient_id=patient_id, study_id=self.study_id,
                                                              code=code, count=1))
        return page.items[0].last_updated if page.items else None

    def _recent(self, moment: datetime | None) -> bool:
        return moment is not None and self.now - moment <= timedelta(days=self.rules.days)

    # --- the queues -------------------------------------------------------------------------------

    def _rows(self, fact: _Patient, keeps: bool, issued: list[IssuedInvitation] | None,
              logged: list[LoggedInvitation] | None) -> list[Row]:
        consents = fact.consents
        assert consents is not None
        patient, now, rules = fact.patient, self.now, self.rules
        enrolled = bool(consents.enrolled_study_ids & self.in_scope) or self.study_id is not None
        answered, pending = self._scopes(consents)
        rows: list[Row] = []
        if keeps:
            invited, redeemed = _from_server(issued, now) if issued else (None, False)
            connected = redeemed
        else:
            invited = _from_log(logged) if logged else None
            connected = any(s.consented is not None for study in consents.answered for s in study.scopes) \
                or fact.latest is not None
        if invited is None:
            if enrolled and not connected:  # at v0.0.7, one who answered was invited from elsewhere
                rows.append(Row(Queue.NEVER, patient, "never invited" if keeps else f"never invited ({WHERE})",
                                None))
        elif not connected:
            if invited.issued is not None and now - invited.issued > timedelta(hours=rules.hours):
                rows.append(Row(Queue.NOT_CONNECTED, patient, self._not_connected(invited), invited.issued,
                                invited))
            expires = invited.expires
            if invited.status in (OUTSTANDING, "recorded") and expires is not None \
                    and now < expires <= now + timedelta(days=rules.expiring_days):
                rows.append(Row(Queue.EXPIRING, patient, f"link expires {_in(expires, now)}", expires, invited))
        if pending and connected:
            since = invited.redeemed or invited.issued if invited else None
            waiting = f", waiting {(now - since).days} days" if since else ""
            rows.append(Row(Queue.PENDING, patient, f"{len(pending)} data type{'s' * (len(pending) != 1)} "
                            f"unanswered{waiting}", since, invited))
        quiet = self._quiet(fact, answered, invited)
        if quiet is not None:
            rows.append(quiet)
        return rows

    def _not_connected(self, invited: Invited) -> str:
        how = f" ({invited.how})" if invited.how else ""
        where = f", {WHERE}" if invited.local else ""
        state = {"expired": ", link expired", "cancelled": ", link cancelled", "recorded": ", no answer, no data"}
        return f"invited {ago(invited.issued, self.now)}{how}{state.get(invited.status, ', not redeemed')}{where}"

    def _quiet(self, fact: _Patient, answered: list, invited: Invited | None) -> Row | None:
        """The roster's rule: consented, and nothing for ``days`` days since the newest data (or
        since the consent, when nothing ever came)."""
        if not any(s.consented for s in answered):
            return None
        consented = [s.consented_time for s in answered if s.consented and s.consented_time]
        since = fact.latest or (min(consented) if consented else None)
        if since is not None and self.now - since <= timedelta(days=self.rules.days):
            return None
        reason = f"last data {ago(fact.latest, self.now)}" if fact.latest else "no data since consenting"
        return Row(Queue.QUIET, fact.patient, reason, since, invited, fact.last_data)

    def _notes(self, keeps: bool, guessed_expiry: bool) -> dict[Queue, str]:
        if keeps:
            return {} if not guessed_expiry else {Queue.EXPIRING: "Where the server does not give expiry times, links are taken to last "
                                    "v0.0.13's default 7 days (a server setting can change it)."}
        legacy = "This server (JHE before v0.0.13) keeps no invitation history: invitations are those "
        return {
            Queue.NOT_CONNECTED: legacy + f"{WHERE}, and not connected means no consent answer and no data yet.",
            Queue.EXPIRING: legacy + f"{WHERE}, taken to last the guide's 14 days.",
            Queue.NEVER: legacy + f"{WHERE}; a patient invited elsewhere is listed too.",
        }


def _in(moment: datetime, now: datetime) -> str:
    hours = int((moment - now).total_seconds() // 3600)
    return f"in {hours} hour{'s' * (hours != 1)}"


async def follow_up(client: JheClient, organization_id: int, study_id: int | None = None, *, now: datetime,
                    rules: Rules = Rules(), local_log: Sequence[LoggedInvitation] = (),
                    concurrency: int = DEFAULT_CONCURRENCY) -> Desk:
    """The desk's five queues as of ``now``; ``local_log``: this workstation's invitations to the server."""
    job = FollowUp(client, organization_id, study_id, now=now, rules=rules, local_log=local_log,
                   concurrency=concurrency)
    return await job.run()
