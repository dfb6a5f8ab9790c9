"""The importer applies the rules of the patient form (issue 15 item 2): a phone the Edit dialog
refuses, an external id twice in the file or already given to another patient of the
organization fail their own row, by row number, and the other rows go on."""

from __future__ import annotations

from jhe_tui.jobs.imports import ImportOptions, Outcome

from .conftest import ORG
from .test_import_job import new_rows, run_job


def taken_identifier(server) -> tuple[str, int, str]:
    """An external id a seeded patient of the organization holds, with that patient and e-mail."""
    return server.rows(
        "SELECT p.identifier, p.id, u.email FROM patient p JOIN jhe_user u ON u.id = p.jhe_user_id"
        " JOIN patient_organization po ON po.patient_id = p.id"
        " WHERE po.organization_id = ? AND p.identifier IS NOT NULL ORDER BY p.id LIMIT 1", ORG)[0]


def lines(server) -> list[str]:
    taken, _holder, _email = taken_identifier(server)
    return [
        *new_rows(2, "rule"),  # rows 2 and 3
        "phone@example.org,Doe,Jane,1980-01-01,abc,",  # 4: the Edit dialog refuses this phone
        "twice@example.org,Doe,Jane,1980-01-01,,MRN-rule0",  # 5: row 2's external id
        f"taken@example.org,Doe,Jane,1980-01-01,,{taken}",  # 6: another patient of ORG has it
    ]


async def test_rows_the_form_would_refuse_fail_one_by_one(make_client, write_csv, server, tmp_path):
    _taken, holder, _email = taken_identifier(server)
    summary = await run_job(make_client(), write_csv(lines(server)), ImportOptions(ORG), tmp_path / "j.jsonl")
    by_row = {r.number: r for r in summary.results}
    assert [by_row[n].outcome for n in range(2, 7)] == [Outcome.CREATED] * 2 + [Outcome.INVALID] * 3
    assert "phone needs at least 7 digits" in by_row[4].message
    assert "same external id as row 2" in by_row[5].message
    assert f"already used by patient {holder}" in by_row[6].message
    for email in ("phone@example.org", "twice@example.org", "taken@example.org"):
        assert server.patients_with_email(email) == []
    assert summary.exit_code == 1


async def test_the_dry_run_tells_the_same(make_client, write_csv, server, tmp_path):
    _taken, holder, _email = taken_identifier(server)
    summary = await run_job(make_client(), write_csv(lines(server)), ImportOptions(ORG, dry_run=True))
    assert [r.outcome for r in summary.results] == [Outcome.WOULD_CREATE] * 2 + [Outcome.INVALID] * 3
    assert f"already used by patient {holder}" in summary.results[4].message


async def test_the_holder_of_the_id_is_skipped_not_refused(make_client, write_csv, server, tmp_path):
    taken, holder, email = taken_identifier(server)
    path = write_csv([f"{email},Doe,Jane,1980-01-01,,{taken}"])
    summary = await run_job(make_client(), path, ImportOptions(ORG), tmp_path / "j.jsonl")
    assert [(r.outcome, r.patient_id) for r in summary.results] == [(Outcome.SKIPPED, holder)]
