"""Pages of 100 through ``JheClient`` against the demo backend at scale, in process.

Issue 2's performance targets, measured the way the console meets them:

* seeding the scale data set (100,000 patients, 1,000,000 observations; one organization, the
  Cardiometabolic Research Lab, holds every patient) within 90 s;
* the backend's RSS within 300 MB, while seeding and while serving pages;
* p95 within 50 ms for a page of 100 patients and a page of 100 observations at random pages,
  over 200 requests each, by organization and by study, and for FHIR searches.

Seeding runs in a subprocess of its own, so its peak RSS is the seeder's alone. An existing
database of the same size is reused unless ``--reset`` is given (its seeding time is then not
measured). The page timings cover the whole client path: the request through
``httpx.ASGITransport`` into the FastAPI app, the SQLite queries, JSON both ways and the
pydantic models with their decoded OMH values. Beside wall-clock times, the CPU time of this
process per request (backend threads included) shows the cost apart from other processes
competing for the cores. Two serving RSS figures: the peak of this process
(client and backend together, so an overstatement of the backend's share), and the peak of a
``jhe-tui serve-demo --scale`` server on loopback after it has served every kind of page (its
supervisor and worker processes summed).

Exit status 1 when a target is missed.

    python benchmarks/bench_client_pages.py [--data DIR] [--patients N] [--samples 200] [--reset]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from jhe_tui.api import JheClient
from jhe_tui.api.fhir import observation_page
from jhe_tui.api.http import ASGITransport
from jhe_tui.api.pages import Page
from jhe_tui.backend import DemoBackend, database_name

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import serve_demo, tree_rss_mb  # noqa: E402  (a sibling script, not a package)

SEED_TARGET_S = 90.0
RSS_TARGET_MB = 300.0
PAGE_TARGET_MS = 50.0
PAGE_SIZE = 100
ORG, STUDY, SMALL_STUDY = 20003, 30001, 30003
HEART_RATE = "https://w3id.org/openmhealth|omh:heart-rate:2.0"

SEED_CHILD = """
import json, sys, time
from pathlib import Path
from jhe_tui.backend import DemoBackend
started = time.perf_counter()
DemoBackend(Path(sys.argv[1]), scale=int(sys.argv[2]), reset=True)
seconds = time.perf_counter() - started
status = Path("/proc/self/status").read_text()
hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_mb": hwm / 1024}))
"""


def rss_mb(field: str, pid: int | str = "self") -> float:
    """``VmRSS`` (now) or ``VmHWM`` (the peak so far) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def seed_in_subprocess(data: Path, patients: int) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", SEED_CHILD, str(data), str(patients)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def fhir_by_organization(client: JheClient, *, code: str | None = None,
                         date_ge: str | None = None) -> Callable[[int], Awaitable[Page]]:
    """FHIR search by organization (``patient.organization``): the client's typed method has no
    such filter, so this goes through ``JheClient.request`` and the client's own Bundle parser."""

    async def fetch(page: int) -> Page:
        params = {"patient.organization": ORG, "_count": PAGE_SIZE, "_page": page, "code": code, "date": date_ge}
        data = await client.request("GET", "/FHIR/R5/Observation", params={k: v for k, v in params.items() if v},
                                    doing="searching FHIR observations")
        return observation_page(data, page=page, count=PAGE_SIZE)

    return fetch


def queries(client: JheClient) -> list[tuple[str, Callable[[int], Awaitable[Page]]]]:
    n = PAGE_SIZE
    return [
        ("patients of the organization", lambda p: client.patients(ORG, page=p, page_size=n)),
        ("patients of a study", lambda p: client.patients(ORG, STUDY, page=p, page_size=n)),
        ("patients of a small study", lambda p: client.patients(None, SMALL_STUDY, page=p, page_size=n)),
        ("all my patients (4 organizations)", lambda p: client.patients(page=p, page_size=n)),
        ("observations of the organization", lambda p: client.observations(ORG, page=p, page_size=n)),
        ("observations of a study", lambda p: client.observations(None, STUDY, page=p, page_size=n)),
        ("observations of a small study", lambda p: client.observations(None, SMALL_STUDY, page=p, page_size=n)),
        ("all my observations (4 organizations)", lambda p: client.observations(page=p, page_size=n)),
        ("FHIR of a study", lambda p: client.fhir_observations(study_id=STUDY, page=p, count=n)),
        ("FHIR of the organization", fhir_by_organization(client)),
        ("FHIR code + date, organization", fhir_by_organization(client, code=HEART_RATE, date_ge="ge2000-01-01")),
    ]


async def request_pages(client: JheClient, samples: int) -> None:
    """``samples`` requests at random pages of every list."""
    rng = random.Random(11)
    for _label, fetch in queries(client):
        pages = max(1, math.ceil((await fetch(1)).count / PAGE_SIZE))
        for _ in range(samples):
            await fetch(rng.randint(1, pages))


def serve_demo_rss(directory: Path, patients: int, samples: int) -> tuple[float, float]:
    """(RSS, peak RSS) in MB of ``jhe-tui serve-demo --scale`` once it has served pages over HTTP."""
    server, url, token = serve_demo("--scale", str(patients), "--data", str(directory))
    try:
        async def run() -> None:
            async with JheClient(url, token) as client:
                await request_pages(client, samples)

        asyncio.run(run())
        return tree_rss_mb(server.pid, "VmRSS"), tree_rss_mb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)


def p95(timings: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(timings)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


async def time_pages(backend: DemoBackend, samples: int) -> bool:
    ok = True
    rng = random.Random(7)
    async with JheClient(backend.site_url, backend.token_for("manager"),
                         transport=ASGITransport(app=backend.app)) as client:
        await client.server_info()
        print(f"pages of {PAGE_SIZE} ({samples} requests at random pages each, target p95 {PAGE_TARGET_MS:.0f} ms):")
        print(f"  {'list':40} {'rows':>9} {'first':>8} {'p50':>8} {'p95':>8}   {'cpu p50':>8} {'cpu p95':>8}")
        for label, fetch in queries(client):
            started = time.perf_counter()
            count = (await fetch(1)).count
            first = (time.perf_counter() - started) * 1000
            pages = max(1, math.ceil(count / PAGE_SIZE))
            timings, cpu = [], []
            for _ in range(samples):
                number = rng.randint(1, pages)
                started, started_cpu = time.perf_counter(), time.process_time()
                page = await fetch(number)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert page.items or count == 0, f"{label}: page {number} of {pages} came back empty"
            slow = p95(timings) > PAGE_TARGET_MS
            ok = ok and not slow
            print(f"  {label:40} {count:9,} {first:6.1f}ms {statistics.median(timings):6.1f}ms "
                  f"{p95(timings):6.1f}ms   {statistics.median(cpu):6.1f}ms {p95(cpu):6.1f}ms"
                  f"  {'SLOW' if slow else 'ok'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="data directory to build in (or reuse); default: a temporary one")
    parser.add_argument("--patients", type=int, default=100_000, help="scale data set size (default 100,000)")
    parser.add_argument("--samples", type=int, default=200, help="requests per list (default 200)")
    parser.add_argument("--reset", action="store_true", help="rebuild the data set even when it exists")
    args = parser.parse_args()
    directory = args.data or Path(tempfile.mkdtemp(prefix="jhe-bench-"))
    try:
        ok = True
        if args.reset or not (directory / database_name(args.patients)).exists():
            seeded = seed_in_subprocess(directory, args.patients)
            seed_ok = seeded["seconds"] <= SEED_TARGET_S and seeded["peak_mb"] <= RSS_TARGET_MB
            ok = seed_ok
            print(f"seeding {args.patients:,} patients: {seeded['seconds']:.1f} s (target {SEED_TARGET_S:.0f} s), "
                  f"peak RSS {seeded['peak_mb']:.0f} MB (target {RSS_TARGET_MB:.0f} MB)"
                  f"  {'ok' if seed_ok else 'MISSED'}")
        else:
            print(f"reusing {directory / database_name(args.patients)} (seeding not measured; --reset rebuilds)")
        backend = DemoBackend(directory, scale=args.patients)
        size = backend.db_path.stat().st_size / 2**20
        print(f"database {size:.0f} MiB; this process before serving: RSS {rss_mb('VmRSS'):.0f} MB")
        ok = asyncio.run(time_pages(backend, args.samples)) and ok
        serving = rss_mb("VmHWM")
        served_now, served_peak = serve_demo_rss(directory, args.patients, args.samples // 4)
        serving_ok = max(serving, served_peak) <= RSS_TARGET_MB
        ok = ok and serving_ok
        print(f"serving (target {RSS_TARGET_MB:.0f} MB): peak RSS {serving:.0f} MB in process (client and backend"
              f" together); serve-demo on loopback after {args.samples // 4} pages of each list: RSS"
              f" {served_now:.0f} MB, peak {served_peak:.0f} MB  {'ok' if serving_ok else 'MISSED'}")
        return 0 if ok else 1
    finally:
        if args.data is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
