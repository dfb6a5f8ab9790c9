"""An export and an import through a slow server that sometimes times out (``tests.slow``: every
page takes seconds on a fake clock, and a share of the requests, writes included, lose their answer
after the server acted). Both finish with nothing lost or duplicated, and the pacing heard the
timeouts and slowed down; the progress line names the server's time per page."""

from __future__ import annotations

from collections import Counter
from datetime import date

from jhe_tui.api import ASGITransport, JheClient, RetryPolicy
from jhe_tui.jobs.export import export_observations
from jhe_tui.jobs.imports import ImportJob, ImportOptions, Outcome, read_source
from jhe_tui.jobs.observations import ObservationQuery
from jhe_tui.jobs.pacing import Pacing
from tests.slow import FakeClock, SlowServer

from .conftest import HEADER, ORG, STUDY, Server, no_sleep, step_retry

QUERY = ObservationQuery(ORG, study_id=STUDY, since=date(2000, 1, 1))


def slow_client(backend, clock: FakeClock, share: float, seed: int = 3, **shares: float) -> tuple[JheClient, SlowServer]:
    server = SlowServer(ASGITransport(app=backend.app), clock, timeout_share=share, seed=seed, **shares)
    client = JheClient(backend.site_url, backend.token_for("manager"), transport=server,
                       retry=RetryPolicy(max_retries=3, sleep=no_sleep))
    return client, server


async def test_an_export_through_a_server_that_times_out_is_whole_and_exact(backend, tmp_path):
    async with JheClient(backend.site_url, backend.token_for("manager"),
                         transport=ASGITransport(app=backend.app)) as direct:
        reference = await export_observations(direct, QUERY, "ndjson", tmp_path / "direct.ndjson", page_size=10)
    clock = FakeClock()
    client, server = slow_client(backend, clock, share=0.05, page_timeout_share=0.5)
    pacing = Pacing(clock=clock, retry=RetryPolicy(max_retries=3, sleep=no_sleep))
    lines = []
    async with client:
        result = await export_observations(client, QUERY, "ndjson", tmp_path / "slow.ndjson", page_size=10,
                                           pacing=pacing, progress=lambda done, total: lines.append(pacing.describe()))
    # Half the attempts lost: the session's own retries alone (four attempts a page) would give up.
    assert server.timed_out["GET page"] >= 20 and pacing.slowed >= 1
    assert result.count == reference.count > 100
    assert (tmp_path / "slow.ndjson").read_bytes() == (tmp_path / "direct.ndjson").read_bytes()
    assert any(line.startswith("server: ") and " s a page, " in line and "in flight" in line for line in lines)


async def test_an_import_through_a_server_that_times_out_creates_each_row_once(backend, tmp_path):
    rows = 1000
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join([HEADER] + [f"slow{i}@example.org,Family{i},Given{i},1980-03-{1 + i % 28:02d},,"
                                          for i in range(rows)]) + "\n")
    clock = FakeClock()
    client, server = slow_client(backend, clock, share=0.1, seed=7)
    job_options = ImportOptions(ORG, STUDY, concurrency=4)
    async with client:
        job = ImportJob(client, read_source(path), job_options, retry=step_retry(), clock=clock)
        summary = await job.run()
    assert server.timed_out["POST other"] >= 10, server.timed_out
    assert Counter(r.outcome for r in summary.results) == {Outcome.CREATED: rows}
    assert summary.exit_code == 0
    db = Server(backend)
    for i in range(rows):
        ids = db.patients_with_email(f"slow{i}@example.org")
        assert len(ids) == 1 and db.users_with_email(f"slow{i}@example.org") == 1
        assert db.enrolments(ids[0]) == [STUDY]
    assert 1 <= job.pace.pacing.limit <= 4

