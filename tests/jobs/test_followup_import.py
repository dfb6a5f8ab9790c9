"""Every path that issues an invitation notes it in this workstation's log, once: here the bulk
import, on a server that keeps no invitation history (v0.0.7), whose patients the desk must then
show as invited and not connected, not as never invited."""

from __future__ import annotations

import datetime as dt

from jhe_tui.api import ASGITransport
from jhe_tui.jobs.followup import Queue, follow_up
from jhe_tui.jobs.imports import ImportJob, ImportOptions, read_source
from jhe_tui.local.invitation_log import invitations_for
from tests.jobs.conftest import ORG, STUDY, step_retry
from tests.jobs.test_followup import GuideEra


async def test_an_import_on_a_v0_0_7_server_logs_each_invitation_once(make_client, backend, write_csv):
    path = write_csv([f"imported{i}@v7.example,Family{i},Given{i},1980-02-0{1 + i},," for i in range(3)])
    client = make_client(GuideEra(ASGITransport(app=backend.app)))
    async with client:
        assert not await client.keeps_invitations()
        job = ImportJob(client, read_source(path), ImportOptions(ORG, STUDY, send_email=True, concurrency=2),
                        retry=step_retry())
        summary = await job.run()
        ids = {result.patient_id for result in summary.results}
        log = invitations_for(client.server_url)
        assert sorted(entry.patient_id for entry in log) == sorted(ids) and len(ids) == 3
        assert all(entry.emailed and entry.practitioner for entry in log)
        later = max(entry.time for entry in log) + dt.timedelta(hours=50)

        desk = await follow_up(client, ORG, STUDY, now=later, local_log=log)

    assert {row.id for row in desk.queues[Queue.NOT_CONNECTED]} >= ids
    assert not ids & {row.id for row in desk.queues[Queue.NEVER]}
