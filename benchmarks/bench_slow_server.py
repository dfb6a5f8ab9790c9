"""Export through a slow server: observations/s against the server's ceiling and against a client
that asks for one page at a time; then an export killed half-way and resumed (issue 19).

A real JHE holding a large study spends seconds of database time on each 1,000-observation FHIR
page and serves as many pages at once as it has workers. `jhe-tui serve-demo --page-delay D
--workers W` does the same with the demo's data: each observation page waits D seconds, W at a
time. The ceiling is then W x 1,000 / D observations a second (250 for 8 s and 2 workers): no
client can go faster, and one that waits for each page before asking for the next gets 1,000 / D.

1. `jhe-tui export observations` as its own process, organization 20003 of the scale data set of
   ``--patients`` patients (10 observations each: 10,000 gives about 100,000), to NDJSON; its
   observations/s against the ceiling (target >= 90%).
2. A one-page-at-a-time client (httpx, following the Bundle's ``next`` link as
   jupyterhealth-client does) for ``--sequential-pages`` pages; its observations/s.
3. With ``--resume-delay`` seconds a page (shorter, so this part takes a minute): the same export
   uninterrupted, then again SIGKILLed part-way and finished with ``--resume``; the two files must
   be byte-identical.

Usage: python benchmarks/bench_slow_server.py [--delay 8] [--workers 2] [--patients 10000]
                                              [--sequential-pages 12] [--resume-delay 0.5]
                                              [--data DIR]
A quick run: --delay 1 --patients 3000 --sequential-pages 5.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from processes import serve_demo  # noqa: E402

ORG = 20003  # holds every patient of a scale data set
PAGE = 1000
FHIR_SEARCH = "/FHIR/R5/Observation"


def export_command(url: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "jhe_tui", "export", "observations", "--server", url, "--org", str(ORG),
            "--format", "ndjson", "-o", str(out), "--quiet", *extra]


def environment(token: str, home: Path) -> dict[str, str]:
    return {**os.environ, "JHE_TOKEN": token, "JHE_TUI_HOME": str(home)}


def timed_export(url: str, token: str, home: Path, out: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(export_command(url, out, "--force"), env=environment(token, home),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr.strip()}")
    return time.perf_counter() - started


def one_page_at_a_time(url: str, token: str, pages: int) -> tuple[int, float]:
    """Observations read and seconds taken, one page after another, following ``next``."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    read, started = 0, time.perf_counter()
    with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        link: str | None = f"{FHIR_SEARCH}?patient.organization={ORG}&_count={PAGE}"
        for _ in range(pages):
            if link is None:
                break
            bundle = http.get(link).raise_for_status().json()
            read += len(bundle.get("entry") or [])
            link = next((item["url"] for item in bundle.get("link") or [] if item.get("relation") == "next"), None)
    return read, time.perf_counter() - started


def count(url: str, token: str) -> int:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as http:
        answer = http.get(FHIR_SEARCH, params={"patient.organization": ORG, "_summary": "count"})
        return int(answer.raise_for_status().json()["total"])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def killed_and_resumed(url: str, token: str, home: Path, work: Path, wall: float) -> tuple[bool, int]:
    """An export SIGKILLed at half its expected time, then resumed: (same bytes as whole, pages kept)."""
    whole, resumed = work / "whole.ndjson", work / "resumed.ndjson"
    timed_export(url, token, home, whole)
    child = subprocess.Popen(export_command(url, resumed), env=environment(token, home),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(wall / 2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    sidecars = list(work.glob("resumed.ndjson.*.partial.resume"))
    kept = int(sidecars[0].read_text().split('"pages": ')[1].split(",")[0]) if sidecars else 0
    done = subprocess.run(export_command(url, resumed, "--resume"), env=environment(token, home),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"resumed export failed: {done.stderr.strip()}")
    return digest(whole) == digest(resumed), kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=8.0, help="seconds a page (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="pages the server serves at once (default 2)")
    parser.add_argument("--patients", type=int, default=10_000, help="scale data set size (10 observations each)")
    parser.add_argument("--sequential-pages", type=int, default=12, help="pages for the one-at-a-time client")
    parser.add_argument("--resume-delay", type=float, default=0.5, help="seconds a page for part 3 (0: skip it)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "jhe-tui-slow")
    args = parser.parse_args()
    ceiling = args.workers * PAGE / args.delay
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as scratch:
        work, home = Path(scratch), Path(scratch) / "home"
        options = ["--data", str(args.data), "--scale", str(args.patients), "--workers", str(args.workers)]
        server, url, token = serve_demo(*options, "--page-delay", str(args.delay))
        try:
            total = count(url, token)
            print(f"server: {args.delay:g} s a page, {args.workers} at a time; ceiling {ceiling:,.1f} observations/s; "
                  f"organization {ORG}: {total:,} observations ({-(-total // PAGE)} pages)", flush=True)
            wall = timed_export(url, token, home, work / "out.ndjson")
            rate = total / wall
            print(f"jhe-tui export: {total:,} in {wall:.1f} s, {rate:,.1f} observations/s, "
                  f"{rate / ceiling:.1%} of the ceiling (target >= 90%)", flush=True)
            read, seconds = one_page_at_a_time(url, token, args.sequential_pages)
            single = read / seconds
            print(f"one page at a time: {read:,} in {seconds:.1f} s, {single:,.1f} observations/s, "
                  f"{single / ceiling:.1%} of the ceiling; jhe-tui {rate / single:.2f}x", flush=True)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        if args.resume_delay:
            server, url, token = serve_demo(*options, "--page-delay", str(args.resume_delay))
            try:
                expected = total / (ceiling * args.delay / args.resume_delay)
                same, kept = killed_and_resumed(url, token, home, work, expected)
                print(f"killed part-way ({kept} pages recorded) and resumed at {args.resume_delay:g} s a "
                      f"page: file {'byte-identical to' if same else 'DIFFERENT from'} the uninterrupted export")
            finally:
                server.send_signal(signal.SIGINT)
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
