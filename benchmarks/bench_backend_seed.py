"""Seed the demo backend at scale and time what the TUI leans on.

Builds the scale data set (100,000 patients, 1,000,000 observations) in a temporary directory,
prints the seconds it took and the process's peak RSS, then the p50/p95 latency of pages of 100
patients and observations at random pages, requested in process the way the TUI does.
Exits 1 when a target is missed: seeding within 90 s, p95 within 50 ms for the organization
lists.

    python benchmarks/bench_backend_seed.py [--keep DIR] [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import httpx

from jhe_tui.backend import DemoBackend

SEED_TARGET_S = 90.0
PAGE_TARGET_MS = 50.0
# label, URL template (page number filled in), page count to draw from, held to the target?
PAGES = (
    ("patients of an organization", "/api/v1/patients?organization_id=20003&page_size=100&page={}", 333, True),
    ("patients of a study", "/api/v1/patients?organization_id=20003&study_id=30001&page_size=100&page={}", 333, True),
    ("observations of an organization", "/api/v1/observations?organization_id=20003&page_size=100&page={}", 4600, True),
    ("observations of a study", "/api/v1/observations?study_id=30002&page_size=100&page={}", 1500, True),
    ("observations of a patient", "/api/v1/observations?patient_id=40061&page_size=100&page={}", 1, True),
    ("FHIR of an organization", "/FHIR/R5/Observation?patient.organization=20003&_count=100&_page={}", 4600, True),
    ("all my patients (4 organizations)", "/api/v1/patients?page_size=100&page={}", 666, False),
    ("all my observations (4 organizations)", "/api/v1/observations?page_size=100&page={}", 6200, False),
    ("FHIR code + date in an organization", "/FHIR/R5/Observation?patient.organization=20003"
     "&code=https://w3id.org/openmhealth|omh:heart-rate:2.0&date=ge2000-01-01&_count=100&_page={}", 400, False),
)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def time_pages(backend: DemoBackend, samples: int) -> bool:
    ok = True
    rng = random.Random(7)
    headers = {"Authorization": f"Bearer {backend.token_for('manager')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url=backend.site_url,
                                 headers=headers) as client:
        for label, url, pages, held in PAGES:
            timings = []
            for _ in range(samples):
                started = time.perf_counter()
                response = await client.get(url.format(rng.randint(1, pages)))
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            timings.sort()
            p50, p95 = timings[len(timings) // 2], timings[int(len(timings) * 0.95) - 1]
            verdict = ("ok" if p95 <= PAGE_TARGET_MS else "SLOW") if held else "info"
            ok = ok and (verdict != "SLOW")
            print(f"  {label:40} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   {verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build into this directory and keep it")
    parser.add_argument("--samples", type=int, default=40, help="requests per list (default 40)")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="jhe-bench-"))
    try:
        started = time.perf_counter()
        backend = DemoBackend(directory, reset=True, scale=True)
        seconds = time.perf_counter() - started
        size = backend.db_path.stat().st_size / 2**20
        seed_ok = seconds <= SEED_TARGET_S
        print(f"seed at scale: {seconds:.1f} s ({'ok' if seed_ok else 'SLOW'}, target {SEED_TARGET_S:.0f} s), "
              f"peak RSS {peak_rss_mib():.0f} MiB, database {size:.0f} MiB")
        print(f"pages of 100 ({args.samples} random pages each, target p95 {PAGE_TARGET_MS:.0f} ms):")
        pages_ok = asyncio.run(time_pages(backend, args.samples))
        return 0 if seed_ok and pages_ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
