"""Consent on the patient's behalf, from the patient record: what may be recorded for the data
type under the cursor, the one attestation that covers it, the server calls and the audit lines.

The answers offered are only those that change something, each named for what it records: a
pending data type is declined, a granted one revoked (the server stores both as "not
consented", but the coordinator and the audit log must tell them apart). At an in-clinic
enrolment the patient agrees to the whole study at once, so every data type of the study can be
granted with one attestation; the audit log still gets one line per data type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from jhe_tui import privacy
from jhe_tui.api import JheClient, JheError, Patient, ScopeConsent, StudyConsents
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.local.audit import ConsentAudit, record_consent
from jhe_tui.screens.base import ConsoleScreen

GRANT_ALL = "Grant every scope of this study"


def answer_text(scope: ScopeConsent) -> Text:
    """Symbol and word, so the answer reads the same in any colour scheme or none."""
    if scope.consented is None:
        return Text("… pending")
    if scope.consented:
        return Text("✓ consented", style="bold")
    return Text("✗ declined", style="italic")


@dataclass(frozen=True)
class ConsentRow:
    study: StudyConsents
    scope: ScopeConsent

    @property
    def key(self) -> str:
        return f"{self.study.id}|{self.scope.code.coding_system}|{self.scope.code.coding_code}"


@dataclass(frozen=True)
class ConsentChange:
    row: ConsentRow
    consented: bool

    @property
    def action(self) -> str:
        """What the audit log calls it: declining a pending data type is not revoking a grant."""
        if self.consented:
            return "grant"
        return "revoke" if self.row.scope.consented else "decline"

    def line(self) -> str:
        after = "✓ consented" if self.consented else "✗ declined"
        return f"{self.row.scope.code.display}: {answer_text(self.row.scope).plain} → {after}"


@dataclass(frozen=True)
class ConsentPlan:
    verb: str  # the dialog's title and button: "Grant consent", "Decline", "Revoke consent", GRANT_ALL
    changes: tuple[ConsentChange, ...]


def consent_plans(row: ConsentRow, rows: Iterable[ConsentRow]) -> list[tuple[str, ConsentPlan]]:
    """The choices for ``row``, in the order of the key map: Grant, Decline or Revoke, then every
    scope of the study when that changes more than this one data type."""
    scope, name = row.scope, row.scope.code.display
    plans: list[tuple[str, ConsentPlan]] = []
    if not scope.consented:
        plans.append((f"Grant consent: {name}", ConsentPlan("Grant consent", (ConsentChange(row, True),))))
    if scope.consented is None:
        plans.append((f"Decline: the patient does not share {name}", ConsentPlan("Decline", (ConsentChange(row, False),))))
    elif scope.consented:
        plans.append((f"Revoke consent: {name}", ConsentPlan("Revoke consent", (ConsentChange(row, False),))))
    missing = tuple(ConsentChange(other, True) for other in rows
                    if other.study.id == row.study.id and not other.scope.consented)
    if len(missing) > 1 or (missing and scope.consented):
        plans.append((f"{GRANT_ALL} ({len(missing)} data types, one attestation)", ConsentPlan(GRANT_ALL, missing)))
    return plans


def _confirmation(patient: Patient, row: ConsentRow, plan: ConsentPlan, masked: bool) -> ConfirmModal:
    changes = plan.changes
    if len(changes) == 1:
        what = [f"Data type: {changes[0].line()}"]
    else:
        what = [f"{len(changes)} data types, one attestation for all:", *(f"  {c.line()}" for c in changes)]
    return ConfirmModal(
        f"{plan.verb} on the patient's behalf?",
        [
            f"Patient: {privacy.name(patient.display_name, masked)} (patient {patient.id})",
            f"Study: {row.study.name} (study {row.study.id})",
            *what,
            "Record this only with the patient's explicit authorization. It is kept in the local "
            "audit log with your name and the answer below, one line per data type.",
        ],
        ask="Who authorized it, and how? (e.g. patient in person, clinic visit)",
        confirm_label="Grant" if plan.verb == GRANT_ALL else plan.verb,
        danger=not changes[0].consented,
    )


async def consent_on_behalf(screen: ConsoleScreen[Any], client: JheClient, patient: Patient, row: ConsentRow,
                            rows: Iterable[ConsentRow]) -> bool:
    """Choose, attest, record: True when at least one answer changed (the record reloads)."""
    session = screen.console.session
    if session is None:
        return False
    plans = consent_plans(row, list(rows))
    plan = await screen.app.push_screen_wait(
        ChoiceModal(f"Consent: {row.scope.code.display}",
                    f"{row.study.name} (study {row.study.id}); the answer now: {answer_text(row.scope).plain}.",
                    plans)
    )
    if plan is None:
        return False
    attestation = await screen.app.push_screen_wait(_confirmation(patient, row, plan, privacy.is_on(screen)))
    if attestation is None:
        return False
    done: list[ConsentChange] = []
    failure: JheError | None = None
    for change in plan.changes:
        try:
            await client.set_consent(patient.id, change.row.study.id, change.row.scope.code, change.consented)
        except JheError as error:
            failure = error
            break
        done.append(change)
    audited = True
    if done:
        entries = [ConsentAudit(action=c.action, practitioner_id=session.user.id or 0,
                                practitioner_email=session.user.email or "", server=screen.console.server_url,
                                patient_id=patient.id, study_id=c.row.study.id, scope_code=c.row.scope.code.coding_code,
                                attestation=attestation) for c in done]
        try:
            record_consent(*entries)
        except OSError as error:
            audited = False
            screen.notify(f"The consent was changed, but the audit log could not be written ({error.strerror}).",
                          severity="error", markup=False)
    if failure is not None:
        so_far = f" (after {len(done)} of {len(plan.changes)} data types)" if done else ""
        screen.notify(f"{failure.message}{so_far}", title="Consent not changed", severity="error", markup=False)
    elif audited:
        names = done[0].row.scope.code.display if len(done) == 1 else f"{len(done)} data types"
        screen.notify(f"{plan.verb}: {names} in {row.study.name}. Recorded in the audit log.", markup=False)
    return bool(done)
