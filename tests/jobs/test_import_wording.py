"""A resumed import says what it did itself and what earlier runs had done (issue 15 item 11):
a rerun that does nothing never reads "600 created"."""

from __future__ import annotations

from jhe_tui.jobs.imports import ImportOptions, Outcome

from .conftest import ORG
from .test_import_job import new_rows, run_job


async def test_each_run_tells_its_own_work_from_earlier_runs(make_client, write_csv, tmp_path):
    journal = tmp_path / "j.jsonl"
    rows = new_rows(5, "again")
    first = await run_job(make_client(), write_csv(rows[:3]), ImportOptions(ORG), journal)
    assert first.describe() == "3 created"
    second = await run_job(make_client(), write_csv(rows), ImportOptions(ORG), journal)
    assert [r.outcome for r in second.results] == [Outcome.CREATED] * 5  # the report keeps each row's outcome
    assert [r.earlier for r in second.results] == [True] * 3 + [False] * 2
    assert second.describe() == "3 done in an earlier run, 2 created now"
    assert second.rows_done_now == 2
    third = await run_job(make_client(), write_csv(rows), ImportOptions(ORG), journal)
    assert third.describe() == "5 done in an earlier run, nothing new" and third.rows_done_now == 0


def test_the_command_says_it_too(_seeded, isolated_home, tmp_path, capsys):
    import shutil

    from jhe_tui.cli import main

    shutil.copytree(_seeded, isolated_home / "data" / "demo")
    path = tmp_path / "rerun.csv"
    path.write_text("email,last_name,first_name,dob\n" + "\n".join(
        f"rerun{i}@example.org,Family,Given,1980-01-0{i + 1}" for i in range(3)) + "\n")
    assert main(["import", str(path), "--demo", "--org", str(ORG)]) == 0
    assert "3 created" in capsys.readouterr().err
    assert main(["import", str(path), "--demo", "--org", str(ORG)]) == 0
    err = capsys.readouterr().err
    assert "3/3 rows, 3 done in an earlier run, 0.0 rows/s" in err
    final = next(line for line in err.splitlines() if line.startswith("Import finished in"))
    assert final.endswith(" s: 3 done in an earlier run, nothing new.") and "rows/s" not in final


async def test_a_dry_run_after_an_interrupted_run_reads_the_journal_and_writes_nothing(make_client, write_csv,
                                                                                       tmp_path):
    from jhe_tui.jobs.imports import ImportRun, read_source

    journal = tmp_path / "j.jsonl"
    rows = new_rows(5, "dry")
    await run_job(make_client(), write_csv(rows[:3]), ImportOptions(ORG), journal)
    before = journal.read_bytes()
    path = write_csv(rows)
    async with make_client() as client:
        run = ImportRun(client, read_source(path), ImportOptions(ORG, dry_run=True), journal_path=journal,
                        report_path=tmp_path / "dry-report.csv")
        summary = await run.run()
    assert summary.describe() == "3 done in an earlier run, 2 would create"
    assert [r.message for r in summary.results[:3]] == ["done in an earlier run"] * 3
    assert journal.read_bytes() == before
