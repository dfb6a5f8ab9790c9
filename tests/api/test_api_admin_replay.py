"""Every recorded administration exchange with a real JHE server (organizations, members,
studies, data types, data sources, apps, API keys; both generations), replayed through the
client: each recorded status and body reaches the client method that makes that request, or the
guard that keeps the client from sending it (the 500s it avoids)."""

from __future__ import annotations

import pytest
from admin_replay import INVITATION_PART, AdminWorld
from admin_replay_studies import ROUTES
from api_recordings import ADMIN_RECORDINGS, MISSING_REASON, Exchange, load_exchanges
from test_api_replay import replay

from jhe_tui.api.session import path_template

EVERY = load_exchanges(ADMIN_RECORDINGS)
EXCHANGES = [e for e in EVERY if e.n not in INVITATION_PART[e.generation]]
CASES = [pytest.param(e, id=e.id) for e in EXCHANGES] or [pytest.param(None, marks=pytest.mark.skip(MISSING_REASON))]


def test_the_admin_recordings_are_complete():
    if not EVERY:
        pytest.skip(MISSING_REASON)
    assert len(EVERY) == 254
    assert len(EXCHANGES) == 254 - 8 - 25
    assert {e.status for e in EXCHANGES} == {200, 201, 204, 400, 401, 403, 404, 500}


@pytest.mark.parametrize("exchange", CASES)
async def test_admin_replay(exchange: Exchange):
    route = path_template(exchange.path)
    await replay(exchange, ROUTES[(exchange.method, route)](exchange, AdminWorld(EVERY, exchange)))
