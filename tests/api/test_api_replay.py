"""Every recorded exchange with a real JHE server, replayed through the client.

Each exchange's recorded response is served by a MockTransport to the client method that makes
that request (or, for requests the client deliberately never makes, to the raw ``request``), and
the transport checks the request's method, path, query and body against the recording.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from api_recordings import MISSING_REASON, Exchange, find, load_exchanges
from api_replay import ReplayServer, scenario_for, token_for

from jhe_tui.api import Generation, JheClient, JheError, MockTransport
from jhe_tui.api.http import Request, Response

EXCHANGES = load_exchanges()
CASES = [pytest.param(e, id=e.id) for e in EXCHANGES] or [pytest.param(None, marks=pytest.mark.skip(MISSING_REASON))]


def assert_readable(error: JheError, exchange: Exchange) -> None:
    message = error.message
    assert message and message[0].isupper() and message.endswith((".", "…")), message
    assert "<" not in message and "html" not in message.lower(), message
    assert "@" not in message, message
    assert "token" not in message.lower() or exchange.path.startswith("/o/"), message
    if "html" in exchange.content_type and exchange.status >= 500:
        assert message.startswith(f"The server failed (HTTP {exchange.status}) while "), message
    if "json" in exchange.content_type:
        shown = message.replace("‹", "<").replace("›", ">")
        assert recorded_text(exchange.json)[:30] in shown, "the server's own words must reach the message"


def recorded_text(body: object) -> str:
    """The first human sentence of a recorded JSON error body, whatever its shape."""
    if isinstance(body, list):
        return body[0]
    assert isinstance(body, dict)
    if body.get("resourceType") == "OperationOutcome":
        return body["issue"][0]["diagnostics"]
    if "detail" in body or "error" in body:
        return body.get("detail") or body["error"]
    return next(iter(body.values()))[0]


def test_both_recordings_are_complete():
    if not EXCHANGES:
        pytest.skip(MISSING_REASON)
    assert len(EXCHANGES) == 241
    assert {e.version for e in EXCHANGES} == {"v0.0.7", "v0.0.13"}


@pytest.mark.parametrize("exchange", CASES)
async def test_replay(exchange: Exchange):
    await replay(exchange, scenario_for(exchange, EXCHANGES))


async def replay(exchange: Exchange, scenario) -> None:
    """Serve the recorded answer to the scenario's call and check what the client made of it."""
    server = ReplayServer(exchange, scenario.expected_body)
    async with JheClient(
        "http://jhe.test",
        token_for(exchange.actor),
        transport=MockTransport(server),
        generation=exchange.generation,
    ) as client:
        if scenario.before is not None:
            server.support = scenario.before_support
            await scenario.before(client)
        server.support, server.armed = scenario.support, True
        expected_error = scenario.expected_error(exchange.status)
        if expected_error is None:
            result = await scenario.call(client)
            assert scenario.check is not None, "a successful exchange needs a check"
            scenario.check(result)
        else:
            with pytest.raises(expected_error) as caught:
                await scenario.call(client)
            assert type(caught.value) is expected_error
            assert caught.value.status == exchange.status
            assert_readable(caught.value, exchange)
    assert server.hits == 1, f"the recorded {exchange.method} {exchange.path} was not requested"


FOLLOWED = [
    (Generation.LEGACY, "observations list org only"),
    (Generation.CURRENT, "observations list org only"),
    (Generation.LEGACY, "FHIR Observation patient only + code filter + _count"),
]


@pytest.mark.parametrize(("generation", "label"), FOLLOWED)
async def test_iteration_follows_the_recorded_next_link(generation: Generation, label: str):
    """Page 2 is requested exactly as the real server's ``next`` says, on the client's origin.

    (v0.0.7 rebuilds the observation list's query from its converted names; the recorded FHIR
    link carries a redacted code, which is sent back as it is.)
    """
    if not EXCHANGES:
        pytest.skip(MISSING_REASON)
    exchange = find(EXCHANGES, generation, label)
    first = exchange.json
    link = urlsplit(first["next"])
    requests: list[Request] = []

    def serve(request: Request) -> Response:
        requests.append(request)
        last = {**first, "next": None}
        return Response(200, json=first if len(requests) == 1 else last)

    async with JheClient("http://jhe.test", "t0ken", transport=MockTransport(serve), generation=generation) as client:
        if label.startswith("FHIR"):
            params = exchange.params
            walk = client.iter_fhir_observations(patient_id=int(params["patient"]), code=params["code"],
                                                 count=int(params["_count"]))
        else:
            walk = client.iter_observations(organization_id=20003, page_size=2)
        items = [item async for item in walk]
    assert len(items) == 2 * len(first["results"])
    assert (requests[0].url.path, dict(requests[0].url.params)) == (exchange.path, exchange.params)
    assert (requests[1].url.host, requests[1].url.path) == ("jhe.test", link.path)
    assert list(requests[1].url.params.multi_items()) == parse_qsl(link.query)
