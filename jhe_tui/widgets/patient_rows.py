"""A patient as the patient list shows it: the table row, and which typed words it answers."""

from __future__ import annotations

from dataclasses import dataclass, replace

from jhe_tui.api import JheClient, Page, Patient
from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.paged_table import Row

# External ids early (clinics search by their own record number, as in the web console);
# the long e-mail last, so a narrow terminal cuts the column that stays recognisable.
COLUMNS = ("ID", "External ID", "Family name", "Given name", "Birth date", "Phone", "E-mail")


def patient_matches(patient: Patient, words: list[str]) -> bool:
    """Every typed word is in the name, the e-mail or the external ids, in any order and case."""
    text = " ".join(
        part
        for part in (patient.name_family, patient.name_given, patient.telecom_email, patient.external_ids)
        if part
    ).casefold()
    return all(word in text for word in words)


def patient_row(patient: Patient) -> Row:
    return Row(
        key=str(patient.id),
        item=patient,
        cells=(
            str(patient.id),
            Sensitive(patient.external_ids, "identifier"),
            Sensitive(patient.name_family or "", "name"),
            Sensitive(patient.name_given or "", "name"),
            Sensitive(patient.birth_date.isoformat() if patient.birth_date else "", "birth_date"),
            Sensitive(patient.telecom_phone or "", "phone"),
            Sensitive(patient.telecom_email or "", "email"),
        ),
    )


@dataclass(frozen=True)
class PageKey:
    """Which page of which list: what a page fetched ahead must match to be shown."""

    organization_id: int
    study_id: int | None
    page: int
    page_size: int

    def next(self) -> PageKey:
        return replace(self, page=self.page + 1)


@dataclass(frozen=True)
class PatientPage:
    """A page of patients with its rows built, so showing it costs no more than the table."""

    key: PageKey
    page: Page[Patient]
    rows: list[Row]


async def fetch_page(client: JheClient, key: PageKey) -> PatientPage:
    page = await client.patients(organization_id=key.organization_id, study_id=key.study_id, page=key.page,
                                 page_size=key.page_size)
    return PatientPage(key, page, [patient_row(p) for p in page.items])
