"""Console performance figures for the README (issue 3 targets in brackets).

1. Cold start [median of 5 < 1.5 s]: from spawning `python` to the first page of patients on
   screen, demo mode, through the same path as `jhe-tui` (connection.open_client + JheApp).
   The demo database is seeded by one unmeasured run first: seeding happens once per machine.
2. Paging at scale [median < 150 ms]: the embedded backend with 100,000 patients served by
   `jhe-tui serve-demo --scale` on loopback (a real HTTP hop, as with a real server), the
   console at 100 rows a page; time from the key to the new rows on screen, for next page
   and for jump-to-page.
3. Memory [console RSS < 200 MB]: the console process's resident set after the paging run
   (the backend is a separate process and not counted).

Usage: python benchmarks/bench_console.py [--runs 5] [--pages 20] [--skip-scale]
                                          [--scale-data DIR]
The scale database takes a minute or two to build; it is kept in --scale-data (default: a
directory under the system temp dir) and reused by later runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import serve_demo  # noqa: E402  (a sibling script, not a package)

SIZE = (120, 35)


def _rows_ready(app) -> bool:
    from jhe_tui.screens.patients import PatientsScreen

    screen = app.screen
    return isinstance(screen, PatientsScreen) and screen.table.data_table.row_count > 0


def child_cold_start() -> None:
    """Runs in a fresh interpreter: start the console, say when the first page is shown."""
    from jhe_tui.app import JheApp
    from jhe_tui.commands.connect import open_client, resolve_target

    target = resolve_target(demo=True)
    app = JheApp(open_client(target), demo=True)

    async def auto_pilot(pilot) -> None:
        while not _rows_ready(app):
            await asyncio.sleep(0.002)
        await pilot.pause()  # the frame with the rows
        print("ready", flush=True)
        app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)


def cold_start(runs: int) -> list[float]:
    home = tempfile.mkdtemp(prefix="jhe-tui-bench-home-")
    env = {**os.environ, "JHE_TUI_HOME": home}
    command = [sys.executable, __file__, "--child-cold-start"]
    subprocess.run(command, env=env, check=True, capture_output=True)  # seeds the demo data
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = time.perf_counter() - started
        child.wait(timeout=60)
        if line.strip() != "ready":
            raise SystemExit(f"the console did not start (exit {child.returncode})")
        times.append(elapsed)
    return times


def serve_scale(data: Path) -> tuple[subprocess.Popen[str], str, str]:
    """`jhe-tui serve-demo --scale` on a free loopback port; returns (process, url, token)."""
    from jhe_tui.backend.demo_backend import database_name

    if not (data / database_name(True)).exists():
        print(f"Building the scale database in {data} (once; a minute or two)...", flush=True)
    return serve_demo("--scale", "--data", str(data))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def paging(url: str, token: str, pages: int) -> tuple[list[float], list[float], int, float]:
    """Next-page and jump-to-page times (seconds), the organization's size, console RSS (MB)."""
    from textual import events
    from textual.widgets import Input

    from jhe_tui.api import JheClient
    from jhe_tui.app import JheApp

    app = JheApp(JheClient(url, token), server_url=url)
    next_times: list[float] = []
    jump_times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        while not _rows_ready(app):
            await asyncio.sleep(0.01)
        screen = app.screen
        table = screen.table

        def shown() -> tuple[object, int]:
            return table.data_table.get_row_at(0)[1], table.data_table.row_count

        async def shown_after(key: str) -> float:
            """From the key arriving (as the terminal driver delivers it) to the frame after the
            new rows. Pilot.press is not used: it waits for the whole app to go idle."""
            before = shown()
            started = time.perf_counter()
            app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
            while table.data_table.loading or shown() == before:
                await asyncio.sleep(0.001)
            painted = asyncio.Event()
            app.call_after_refresh(painted.set)
            await painted.wait()
            return time.perf_counter() - started

        await shown_after("z")  # 20 -> 100 rows a page
        assert table.page_size == 100
        biggest = table.pages
        for _ in range(pages):
            next_times.append(await shown_after("n"))
        rng = random.Random(7)
        for _ in range(pages):
            await pilot.press("g")
            assert isinstance(app.focused, Input)
            app.focused.value = str(rng.randrange(2, biggest))
            jump_times.append(await shown_after("enter"))
        count = table.count
    return next_times, jump_times, count, _rss_mb()


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--scale-data", type=Path, default=Path(tempfile.gettempdir()) / "jhe-tui-bench-scale")
    parser.add_argument("--child-cold-start", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_cold_start:
        child_cold_start()
        return

    times = cold_start(args.runs)
    verdict = "ok" if statistics.median(times) < 1.5 else "OVER TARGET"
    print(f"cold start to first page (demo, {args.runs} runs): {_ms(times)}  [target < 1500 ms: {verdict}]")
    if args.skip_scale:
        return
    args.scale_data.mkdir(parents=True, exist_ok=True)
    server, url, token = serve_scale(args.scale_data)
    try:
        next_times, jump_times, count, rss = asyncio.run(paging(url, token, args.pages))
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name, values in (("next page", next_times), ("jump to page", jump_times)):
        verdict = "ok" if statistics.median(values) < 0.150 else "OVER TARGET"
        print(f"{name} at 100 rows, organization of {count:,} patients: {_ms(values)}  [target < 150 ms: {verdict}]")
    print(f"console RSS after paging: {rss:.0f} MB  [target < 200 MB: {'ok' if rss < 200 else 'OVER TARGET'}]")


if __name__ == "__main__":
    main()
