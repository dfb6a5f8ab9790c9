"""How long the follow-up desk takes to fill, on the embedded backend in process.

Issue 16: one organization of 1,000 patients must fill the desk in a few seconds. The smallest
scale data set has 2,000 extra patients in the Cardiometabolic Research Lab, so the figure is
taken over the lab's study whose patient count is nearest ``--patients`` (and over the whole
lab, for scale). The timing covers the whole client path (httpx's ASGI transport, the FastAPI
app, SQLite, pydantic) and counts the requests made.

    python benchmarks/bench_followup.py [--data DIR] [--patients 1000] [--concurrency 8] [--reset]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

from jhe_tui.api import JheClient
from jhe_tui.api.http import ASGITransport
from jhe_tui.backend import DemoBackend
from jhe_tui.backend.seed import MIN_SCALE_PATIENTS
from jhe_tui.jobs.followup import Queue, follow_up

ORG = 20003
TARGET_S = 5.0


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.count = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self.inner.handle_async_request(request)


def nearest_study(db_path: Path, patients: int) -> tuple[int, int, datetime]:
    conn = sqlite3.connect(db_path)
    try:
        counts = conn.execute("SELECT sp.study_id, count(*) FROM study_patient sp JOIN study s ON s.id = sp.study_id"
                              " WHERE s.organization_id = ? GROUP BY sp.study_id", (ORG,)).fetchall()
        newest = conn.execute("SELECT max(last_updated) FROM observation").fetchone()[0]
    finally:
        conn.close()
    study, count = min(counts, key=lambda c: abs(c[1] - patients))
    return study, count, datetime.fromisoformat(newest.replace("Z", "+00:00"))


async def fill(backend: DemoBackend, study: int | None, now: datetime, concurrency: int) -> tuple[float, int, object]:
    counting = Counting(ASGITransport(app=backend.app))
    async with JheClient(backend.site_url, backend.token_for("manager"), transport=counting) as client:
        await client.server_info()
        counting.count = 0
        start = time.perf_counter()
        desk = await follow_up(client, ORG, study, now=now, concurrency=concurrency)
        return time.perf_counter() - start, counting.count, desk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="data directory (default: a temporary one)")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-followup-"))
    start = time.perf_counter()
    backend = DemoBackend(data, scale=MIN_SCALE_PATIENTS, reset=args.reset)
    print(f"data set ready in {time.perf_counter() - start:.1f} s ({data})")
    study, count, now = nearest_study(backend.db_path, args.patients)
    missed = False
    for label, which in ((f"study {study} ({count:,} patients)", study), (f"organization {ORG}", None)):
        seconds, requests, desk = asyncio.run(fill(backend, which, now, args.concurrency))
        queues = ", ".join(f"{q.value} {desk.count(q)}" for q in Queue)
        print(f"{label}: {desk.patients:,} patients filled in {seconds:.2f} s, {requests:,} requests "
              f"({requests / seconds:,.0f}/s); {queues}")
        if which == study and seconds > TARGET_S:
            missed = True
    print(f"target: {args.patients:,} patients within {TARGET_S:.0f} s: {'MISSED' if missed else 'met'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
