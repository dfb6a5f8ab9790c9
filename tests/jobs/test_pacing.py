"""The AIMD pacing of bulk jobs (``jhe_tui.jobs.pacing``): how many requests it keeps in flight
against servers of known capacity, what a 429/503/timeout does, the retries of a failed read and
the run of failures that ends a job, and the order of paced pages. Times are given, never waited."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from jhe_tui.api import NetworkFailure, NotFound, Page, RetryPolicy
from jhe_tui.api.watch import Outcome
from jhe_tui.jobs.pacing import Pacing, paced_pages


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


async def round_at(pacing: Pacing, capacity: int, seconds: float) -> None:
    """One round of answers from a server serving ``capacity`` requests at once, ``seconds`` each:
    with ``limit`` in flight, each answer takes ``seconds * limit / capacity`` once they queue."""
    latency = seconds * max(1.0, pacing.limit / capacity)
    for _ in range(pacing.limit):
        async with AsyncExitStack() as stack:
            for _ in range(pacing.limit):
                await stack.enter_async_context(pacing.slot())
            pacing.heard(Outcome(200), latency)


@pytest.mark.parametrize("capacity", [1, 2, 3, 4])
async def test_the_limit_settles_at_what_the_server_serves_at_once(capacity):
    """It probes one more now and then, and comes back; a server serving one at a time keeps the
    two it starts with (never having seen a quicker answer, it cannot tell that one waits)."""
    pacing = Pacing(start=2, ceiling=8)
    seen = []
    for _ in range(60):
        await round_at(pacing, capacity, 8.0)
        seen.append(pacing.limit)
    settled, served = set(seen[20:]), max(capacity, 2)
    assert settled <= {served, served + 1} and served in settled, seen
    assert pacing.answer_seconds is not None and pacing.answer_seconds >= 8.0


async def test_a_fast_server_gets_the_ceiling():
    pacing = Pacing(start=2, ceiling=6)
    for _ in range(20):
        await round_at(pacing, 100, 0.004)
    assert pacing.limit == 6 and pacing.slowed == 0


async def test_an_overloaded_answer_halves_the_limit_once_per_round_of_requests():
    pacing = Pacing(start=6, ceiling=6)
    before = pacing._epoch
    pacing.heard(Outcome(503), 1.0, before)
    assert pacing.limit == 3
    for status in (429, 503, None):  # the rest of the window sent before the cut: already counted
        pacing.heard(Outcome(status, timed_out=status is None), 1.0, before)
    assert pacing.limit == 3 and pacing.slowed == 1
    pacing.heard(Outcome(None, timed_out=True), 120.0)
    pacing.heard(Outcome(502), 1.0)
    assert pacing.limit == 1 and pacing.slowed == 3
    pacing.heard(Outcome(504), 1.0)
    assert pacing.limit == 1  # never below one


async def test_a_refused_connection_says_nothing_of_the_pace():
    pacing = Pacing(start=4, ceiling=6)
    pacing.heard(Outcome(None), 0.01)
    assert pacing.limit == 4 and pacing.answer_seconds is None


async def test_never_more_in_flight_than_the_limit():
    pacing = Pacing(start=3, ceiling=3)
    busiest = 0
    gate = asyncio.Event()

    async def call() -> int:
        nonlocal busiest
        busiest = max(busiest, pacing.in_flight)
        await gate.wait()
        return pacing.in_flight

    tasks = [asyncio.create_task(pacing.fetch(call)) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert pacing.in_flight == 3
    gate.set()
    await asyncio.gather(*tasks)
    assert busiest == 3 and pacing.in_flight == 0


async def test_a_failed_read_is_tried_again_and_only_a_run_of_failures_ends_the_job():
    waits = Waits()
    pacing = Pacing(retry=RetryPolicy(max_retries=2, sleep=waits))  # three failures in a row end it
    answers = iter([NetworkFailure("lost"), NetworkFailure("lost"), "page", NetworkFailure("lost"),
                    NetworkFailure("lost"), "page 2"])

    async def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await pacing.fetch(call) == "page" and pacing.failures == 0
    assert await pacing.fetch(call) == "page 2"
    assert len(waits.seconds) == 4 and all(w > 0 for w in waits.seconds)

    async def down():
        raise NetworkFailure("The server did not answer in time while searching FHIR observations.")

    with pytest.raises(NetworkFailure):
        await pacing.fetch(down)
    assert pacing.failures == 3 and len(waits.seconds) == 6


async def test_an_answer_that_will_not_change_is_not_retried():
    waits = Waits()
    pacing = Pacing(retry=RetryPolicy(sleep=waits))

    async def missing():
        raise NotFound("no such page", 404)

    with pytest.raises(NotFound):
        await pacing.fetch(missing)
    assert waits.seconds == [] and pacing.failures == 0


async def test_paced_pages_come_in_order_whatever_order_they_are_answered_in():
    answered: dict[int, asyncio.Event] = {n: asyncio.Event() for n in range(1, 8)}

    async def fetch(number: int) -> Page[int]:
        await answered[number].wait()
        return Page[int](count=7, items=[number], next="more" if number < 7 else None, page=number, page_size=1)

    pacing = Pacing(start=6, ceiling=6)
    walk = paced_pages(fetch, pacing)
    answered[1].set()
    first = await walk.__anext__()
    for number in (7, 5, 3, 2, 6, 4):
        answered[number].set()
    rest = [page async for page in walk]
    assert [p.items[0] for p in [first, *rest]] == list(range(1, 8))


async def test_paced_pages_start_where_asked_and_stop_at_the_announced_count():
    asked = []

    async def fetch(number: int) -> Page[int]:
        asked.append(number)
        if number > 5:
            raise NotFound("Invalid page.", 404)
        return Page[int](count=5, items=[number], next="x" if number < 5 else None, page=number, page_size=1)

    pages = [p.items[0] async for p in paced_pages(fetch, Pacing(), first=3)]
    assert pages == [3, 4, 5] and sorted(asked) == [3, 4, 5]


def test_the_progress_line_names_the_servers_time_and_the_pages_in_flight():
    pacing = Pacing()
    assert pacing.describe() == "0 in flight"
    for seconds in (8.0, 8.2, 8.1):
        pacing.heard(Outcome(200), seconds)
    pacing.in_flight = 2
    assert pacing.describe() == "server: 8.1 s a page, 2 in flight"
    for _ in range(4):
        pacing.heard(Outcome(200), 0.004)
    assert pacing.describe() == "server: 4 ms a page, 2 in flight"
