"""What became of each row, and of the whole import: what the report, the progress line and the
exit code are made of."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """A row's outcome; the value is what the report's ``outcome`` column says."""

    CREATED = "created"
    ADDED = "added"
    SKIPPED = "skipped"  # already a patient of the organization
    FAILED = "failed"
    INVALID = "invalid"  # the file's row, not the server, is at fault
    WOULD_CREATE = "would create"  # dry run
    WOULD_ADD = "would add"  # dry run


@dataclass
class RowResult:
    number: int
    email: str
    outcome: Outcome
    patient_id: int | None = None
    enrolled: str = ""  # yes, already, no, "" (no study)
    link: str = ""
    emailed: bool = False
    message: str = ""
    invite_unsure: bool = False  # an invitation may already have been sent; not sent again
    unfinished: bool = False  # failed because the import stopped before the row was done
    earlier: bool = False  # its patient was created, added or found by an earlier run (the journal)

    @classmethod
    def not_finished(cls, number: int, email: str, why: str) -> RowResult:
        """A row the import left (stopped, interrupted, server gone): a rerun does it."""
        return cls(number, email, Outcome.FAILED, message=f"not finished: {why}; run the same import again to "
                   "finish it", unfinished=True)

    @property
    def ok(self) -> bool:
        return self.outcome not in (Outcome.FAILED, Outcome.INVALID) and not self.invite_unsure

    def report_line(self) -> list[object]:
        return [self.number, self.email, self.outcome.value, self.patient_id or "", self.enrolled,
                "" if self.emailed else self.link, self.message]


@dataclass
class Summary:
    results: list[RowResult]
    elapsed: float
    dry_run: bool
    interrupted: bool = False
    aborted: str | None = None  # why the job stopped early (signed out, stopped by the user…)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)

    @property
    def invalid(self) -> int:
        return self.count(Outcome.INVALID)

    @property
    def exit_code(self) -> int:
        return 0 if all(r.ok for r in self.results) and not self.interrupted else 1

    @property
    def unfinished(self) -> int:
        return sum(1 for r in self.results if r.unfinished)

    @property
    def invites_unsure(self) -> int:
        return sum(1 for r in self.results if r.invite_unsure)

    @property
    def rows_done_now(self) -> int:
        """The rows this run worked on itself (not those an earlier run had done, nor invalid ones)."""
        return sum(1 for r in self.results if not r.earlier and r.outcome is not Outcome.INVALID)

    def describe(self) -> str:
        """What this run did, after what earlier runs of the same import had done, so a rerun
        that does nothing never reads as having created every row."""
        earlier = sum(1 for r in self.results if r.earlier)
        now = " now" if earlier else ""
        parts = [f"{earlier} done in an earlier run"] if earlier else []
        for outcome in (Outcome.CREATED, Outcome.ADDED, Outcome.WOULD_CREATE, Outcome.WOULD_ADD, Outcome.SKIPPED,
                        Outcome.FAILED, Outcome.INVALID):
            n = sum(1 for r in self.results if r.outcome == outcome and not r.earlier and not r.unfinished)
            if n:
                parts.append(f"{n} {outcome.value}{now if outcome in (Outcome.CREATED, Outcome.ADDED) else ''}")
        if self.unfinished:
            parts.append(f"{self.unfinished} not finished")
        if self.invites_unsure:
            parts.append(f"{self.invites_unsure} maybe invited already")
        if earlier and len(parts) == 1:
            parts.append("nothing new")
        return ", ".join(parts) or "nothing to do"
