"""`import --study --invite` of 300 rows against a real `serve-demo` process, through a loopback
proxy that drops 5% of the answers on reused connections after the server acted, and closes
connections now and then. The client uses httpx's own transport, as against a real server.

Every row must end created, enrolled and invited exactly once, checked in the server's database
and outbox, and the report must say what the server holds."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from types import SimpleNamespace

import pytest

from jhe_tui.api import JheClient, RetryPolicy
from jhe_tui.backend.tokens import digest
from jhe_tui.jobs.imports import ImportJob, ImportOptions, Journal, Outcome, read_source, write_report
from tests.faults import FaultProxy, Faults
from tests.serving import serve_demo

from .conftest import HEADER, ORG, STUDY, Server, no_sleep, step_retry

ROWS = 300


@pytest.fixture(scope="module")
def served(_seeded, tmp_path_factory):
    data = tmp_path_factory.mktemp("faults") / "demo"
    shutil.copytree(_seeded, data)
    with serve_demo(data, "--workers", "1") as printed:
        yield Server(SimpleNamespace(db_path=data / "demo.sqlite3")), printed


def _code_of(link: str) -> str:
    return link.rsplit("%7C", 1)[1]


@pytest.mark.parametrize("send_email", [False, True], ids=["links", "e-mails"])
async def test_lossy_proxy_import_creates_enrols_and_invites_each_row_exactly_once(served, tmp_path, send_email):
    server, printed = served
    prefix = "mailed" if send_email else "linked"
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join([HEADER] + [f"{prefix}{i}@example.org,Family{i},Given{i},1980-02-{1 + i % 28:02d},,"
                                          for i in range(ROWS)]) + "\n")
    outbox_before = server.rows("SELECT count(*) FROM outbox")[0][0]
    options = ImportOptions(ORG, STUDY, invite=True, send_email=send_email, concurrency=4)
    journal = Journal.open(tmp_path / "journal.jsonl", ORG, STUDY)
    async with FaultProxy(printed["JHE_URL"], Faults(seed=13, drop_reused=0.05, close_after=12)) as proxy:
        async with JheClient(proxy.url, printed["JHE_TOKEN"], retry=RetryPolicy(sleep=no_sleep)) as client:
            summary = await ImportJob(client, read_source(path), options, journal, retry=step_retry()).run()
    journal.close()
    write_report(tmp_path / "report.csv", (r.report_line() for r in summary.results))

    posts = sum(n for key, n in proxy.requests.items() if key.startswith("POST "))
    print(f"\n{prefix}: rows {ROWS}, requests {sum(proxy.requests.values())}, POSTs sent {posts}, "
          f"creates sent {proxy.requests['POST /api/v1/patients']}, answers dropped {sum(proxy.dropped.values())} "
          f"({dict(proxy.dropped)}), connections closed idle {proxy.closed}")
    assert sum(proxy.dropped.values()) >= 15 and proxy.dropped["POST /api/v1/patients"] >= 3
    assert proxy.closed >= 5

    report = list(csv.DictReader((tmp_path / "report.csv").open()))
    assert Counter(line["outcome"] for line in report) == {Outcome.CREATED: ROWS}
    assert summary.exit_code == 0
    created = invited = duplicates = 0
    for line in report:
        ids = server.patients_with_email(line["email"])
        assert ids == [int(line["patient_id"])] and server.users_with_email(line["email"]) == 1
        created += 1
        assert server.organizations_of(ids[0]) == {ORG}
        assert server.enrolments(ids[0]) == [STUDY] and line["enrolled"] == "yes"
        issued = server.rows("SELECT code_hash, emailed FROM invitation WHERE patient_id = ? AND status = 'issued'",
                             ids[0])
        assert len(issued) == 1, line
        invited += 1
        mails = server.rows("SELECT count(*) FROM outbox WHERE lower(to_address) = ?", line["email"])[0][0]
        if send_email:
            assert mails == 1 and issued[0][1] == 1 and line["invitation_link"] == ""
            assert server.rows("SELECT count(*) FROM invitation WHERE patient_id = ?", ids[0])[0][0] == 1
            assert "invitation e-mailed" in line["message"]
        else:
            assert mails == 0
            # The link in the report is the patient's one valid invitation.
            assert digest(_code_of(line["invitation_link"])) == issued[0][0], line
        duplicates += server.rows("SELECT count(*) FROM invitation WHERE patient_id = ?", ids[0])[0][0] - 1
    assert server.rows("SELECT count(*) FROM outbox")[0][0] - outbox_before == (ROWS if send_email else 0)
    print(f"{prefix}: created {created}, invited {invited}, links issued again after a lost answer {duplicates}")
