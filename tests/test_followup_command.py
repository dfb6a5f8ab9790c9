"""`jhe-tui followup`: the desk's queues as a table, CSV or JSON, with the exit codes a cron job
needs (0 every queue empty, 1 some queue has patients, 2 bad usage) and a fixed clock."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import stat

from jhe_tui.api import JheClient
from jhe_tui.api.http import ASGITransport
from jhe_tui.backend import DemoBackend
from jhe_tui.cli import main
from jhe_tui.commands.connect import resolve_target
from jhe_tui.jobs.followup import Queue, follow_up
from tests.jobs.test_followup import seeded_now

ORG, STUDY = "20003", "30001"


def demo_now() -> tuple[DemoBackend, str]:
    backend = DemoBackend(resolve_target(None, demo=True).demo_data)
    return backend, seeded_now(backend.db_path).isoformat()


def desk_of(backend: DemoBackend, now: str):
    from datetime import datetime

    async def run():
        async with JheClient(backend.site_url, backend.token_for("manager"),
                             transport=ASGITransport(app=backend.app)) as client:
            return await follow_up(client, int(ORG), int(STUDY), now=datetime.fromisoformat(now))

    return asyncio.run(run())


def test_csv_lists_every_queue_and_exits_1_when_any_has_rows(capsys):
    backend, now = demo_now()
    code = main(["followup", "--demo", "--org", ORG, "--study", STUDY, "--now", now, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    desk = desk_of(backend, now)
    assert code == 1 and rows
    assert [(r["queue"], int(r["patient_id"]), r["reason"]) for r in rows] == [
        (q.value, row.id, row.reason) for q in Queue for row in desk.queues[q]]


def test_an_empty_queue_exits_0_and_json_names_it(capsys):
    backend, now = demo_now()
    desk = desk_of(backend, now)
    empty = next(q for q in Queue if not desk.queues[q])
    code = main(["followup", "--demo", "--org", ORG, "--study", STUDY, "--now", now, "--queue", empty.value,
                 "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0 and document["queues"] == {empty.value: []} and document["patients"] == desk.patients


def test_the_table_counts_each_queue_and_a_file_is_private(tmp_path, capsys):
    backend, now = demo_now()
    desk = desk_of(backend, now)
    main(["followup", "--demo", "--org", ORG, "--study", STUDY, "--now", now])
    table = capsys.readouterr().out
    for queue in Queue:
        assert f"{queue.title} ({desk.count(queue)})" in table
    out = tmp_path / "queue.csv"
    assert main(["followup", "--demo", "--org", ORG, "--study", STUDY, "--now", now, "--format", "csv",
                 "-o", str(out), "--queue", "quiet"]) == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(out.read_text().splitlines()) == desk.count(Queue.QUIET) + 1


def test_bad_usage_exits_2(capsys):
    assert main(["followup", "--demo", "--org", ORG, "--now", "yesterday"]) == 2
    assert "--now must be a time" in capsys.readouterr().err
    assert main(["followup", "--demo", "--org", ORG, "--hours", "0"]) == 2
