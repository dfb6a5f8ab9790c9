"""Records of administration: practitioner API keys, and what a delete would take with it.

The impact records are worked out by the client before a delete (the server answers with a bare
204, or at v0.0.7 a 500 for a parent organization), so the confirmation can say what goes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .models import ApiModel, Organization, Study
from .text import VisibleText


class ApiKey(ApiModel):
    """A practitioner API key (v0.0.13 ``practitioner_clients``). ``key`` is
    base64(client_id:client_secret): a secret, shown once and never stored by jhe-tui."""

    id: int
    label: str = ""
    created: datetime | None = None
    name: str = ""
    key: str | None = Field(default=None, repr=False)


class OrganizationImpact(VisibleText):
    """What deleting an organization takes: its whole subtree, their studies, and patients left
    in no organization; ``refusal`` says why this server cannot delete it at all."""

    organization: Organization
    descendants: list[Organization] = []
    studies: list[Study] = []
    orphaned_patients: int | None = None  # None: not every organization's patients could be read
    refusal: str | None = None

    def lines(self) -> list[str]:
        kids = len(self.descendants)
        found = [f"{self.organization.name} (organization {self.organization.id}) is deleted"]
        found.append(f"{kids} sub-organization{'s' if kids != 1 else ''} under it "
                     + ("go too: " + ", ".join(o.name for o in self.descendants[:5])
                        + (" …" if kids > 5 else "") if kids else "(none)"))
        count = len(self.studies)
        found.append(f"{count} stud{'ies' if count != 1 else 'y'} deleted with their enrolments and consents"
                     + (": " + ", ".join(s.name for s in self.studies[:5]) + (" …" if count > 5 else "")
                        if count else ""))
        if self.orphaned_patients is None:
            found.append("patients left in no organization: unknown (some lists could not be read)")
        else:
            found.append(f"{self.orphaned_patients} patient{'s' if self.orphaned_patients != 1 else ''} "
                         "would be left in no organization")
        return found


class StudyImpact(VisibleText):
    """What deleting a study takes: enrolments and, by cascade, the consent answers given for it."""

    study: Study
    enrolled: int = 0
    consent_answers: int | None = None  # None: too many patients to count each one's answers

    def lines(self) -> list[str]:
        found = [f"{self.study.name} (study {self.study.id}) is deleted, with its data types and data sources",
                 f"{self.enrolled} enrolled patient{'s' if self.enrolled != 1 else ''} leave it "
                 "(they stay in the organization, their data stays on the server)"]
        if self.consent_answers is None:
            found.append("their consent answers for this study are deleted")
        else:
            found.append(f"{self.consent_answers} consent answer{'s' if self.consent_answers != 1 else ''} "
                         "for this study are deleted")
        return found
