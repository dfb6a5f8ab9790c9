"""Console speed against a large, slow JHE (issue 20 targets in brackets).

The server is ``v013_server.py`` in its own process: real v0.0.13 answer shapes, 20,000 patients
in one organization, ``--delay`` seconds a patient page (0.5 s by default), ``--other-delay`` for
every other call. It logs when it worked on each request, so each figure below is also given less
the server's own time: the time in the measured span during which the server had a request of
ours in hand.

1. Cold start [console's own <= 800 ms]: from spawning ``python`` to the frame with the first page
   of patients, through ``JheApp`` as ``jhe-tui`` builds it; the modules' bytecode cached, as
   for an installed console (``--no-bytecode-cache``: compiled at each start).
2. Key to repainted table at 100 rows a page, in this process (headless, 120x35) [console's own
   <= 50 ms]: ``n`` pressed at once after a page is shown, ``n`` after reading the page for a
   while (the next page is then prefetched), ``g`` N Enter at random pages, and ``z`` through the
   page sizes.
3. Console CPU per 100-row flip [<= 50 ms]: ``time.process_time`` (this process only; the server
   is another) over a run of ``n`` pressed at once, divided by the flips; beside it, the CPU this
   process uses when idle for as long.

    python benchmarks/bench_console.py [--delay 0.5] [--other-delay 0.05] [--runs 5] [--flips 10]
                                       [--profile DIR] [--no-bytecode-cache]

``--profile DIR`` runs one more cold start, and the ``n`` flips after reading, under cProfile and prints the top costs
(the stats files stay in DIR); those flips' own figures are then slowed by the profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 35)
TOKEN = "bench-token"  # the stand-in server takes any token


# --- the server ------------------------------------------------------------------------------------


def start_server(delay: float, other_delay: float, patients: int) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, str(HERE / "v013_server.py"), "--port", str(port), "--delay", str(delay),
               "--other-delay", str(other_delay), "--patients", str(patients)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    server.stdout.readline()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/bench/log", timeout=1).close()
            return server, url
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the benchmark server did not start") from None
            time.sleep(0.05)


def server_log(url: str) -> list[tuple[str, float, float]]:
    """(path, started, finished) of every request since the last call, on ``time.monotonic``."""
    with urllib.request.urlopen(f"{url}/bench/log", timeout=10) as answer:
        return [tuple(entry) for entry in json.load(answer)]


def busy(log: list[tuple[str, float, float]], start: float, end: float) -> float:
    """How long, within [start, end], the server had at least one request in hand."""
    spans = sorted((max(s, start), min(e, end)) for _, s, e in log if e > start and s < end)
    total, reach = 0.0, start
    for s, e in spans:
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


# --- cold start ------------------------------------------------------------------------------------


def _rows_ready(app) -> bool:
    from jhe_tui.screens.patients import PatientsScreen

    screen = app.screen
    return isinstance(screen, PatientsScreen) and screen.table.data_table.row_count > 0


def child_cold_start(url: str) -> None:
    """Runs in a fresh interpreter: the console as ``jhe-tui`` starts it; says when the first page
    is on screen."""
    from jhe_tui.api import JheClient
    from jhe_tui.app import JheApp

    app = JheApp(JheClient(url, TOKEN), server_url=url)

    async def auto_pilot(pilot) -> None:
        while not _rows_ready(app):
            await asyncio.sleep(0.002)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)
        await painted.wait()
        print(f"ready {time.monotonic()} {time.process_time()}", flush=True)
        app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)


def cold_start(url: str, runs: int, profile: Path | None, compiled: bool) -> list[tuple[float, float, float]]:
    """(wall, server busy, console CPU) of each run. ``compiled``: the modules' bytecode is cached
    (in a temporary directory, written by a first, unmeasured start), as it is for a console
    installed by pip; otherwise each start compiles every module that has no cached bytecode
    (what ``PYTHONDONTWRITEBYTECODE`` gives a source checkout)."""
    home = tempfile.mkdtemp(prefix="jhe-tui-bench-home-")
    env = {**os.environ, "JHE_TUI_HOME": home}
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="jhe-tui-bench-pyc-")
    results = []
    warm_up = 1 if compiled else 0
    for run in range(-warm_up, runs + (1 if profile else 0)):
        profiled = profile is not None and run == runs
        command = [sys.executable]
        if profiled:
            command += ["-m", "cProfile", "-o", str(profile / "start.pstats")]
        command += [__file__, "--child-cold-start", url]
        server_log(url)
        started = time.monotonic()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        words = child.stdout.readline().split()
        child.wait(timeout=60)
        if not words or words[0] != "ready":
            raise SystemExit(f"the console did not start (exit {child.returncode})")
        ready, cpu = float(words[1]), float(words[2])
        if not profiled and run >= 0:
            results.append((ready - started, busy(server_log(url), started, ready), cpu))
    return results


# --- paging in process -----------------------------------------------------------------------------


class Console:
    """The console under a headless Pilot, with a way to wait for the next page on screen."""

    def __init__(self, app, pilot, url: str) -> None:
        self.app, self.pilot, self.url = app, pilot, url
        self.table = app.screen.table
        self.shown = asyncio.Event()
        self.profiler: cProfile.Profile | None = None  # when set, on during each measured span
        show_rows = self.table.show_rows

        def noted(*args, **kwargs):
            show_rows(*args, **kwargs)
            self.shown.set()

        self.table.show_rows = noted  # the benchmark's own hook on this one table

    async def after(self, key: str, before: Callable[[], Awaitable[None]] | None = None) -> tuple[float, float, float]:
        """(key to repaint, the server's time in it, console CPU in it) for ``key`` delivered as the
        terminal driver delivers it (Pilot.press would wait for the whole app to go idle)."""
        from textual import events

        if before is not None:
            await before()
        server_log(self.url)
        self.shown.clear()
        if self.profiler:
            self.profiler.enable()
        cpu, started = time.process_time(), time.monotonic()
        self.app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        await self.shown.wait()
        painted = asyncio.Event()
        self.app.call_after_refresh(painted.set)
        await painted.wait()
        ended, cpu = time.monotonic(), time.process_time() - cpu
        if self.profiler:
            self.profiler.disable()
        return ended - started, busy(server_log(self.url), started, ended), cpu


async def paging(url: str, flips: int, reading: float, profile: Path | None) -> dict[str, list[tuple[float, float, float]]]:
    from textual.widgets import Input

    from jhe_tui.api import JheClient
    from jhe_tui.app import JheApp

    app = JheApp(JheClient(url, TOKEN), server_url=url)
    found: dict[str, list[tuple[float, float, float]]] = {}
    async with app.run_test(size=SIZE) as pilot:
        while not _rows_ready(app):
            await asyncio.sleep(0.01)
        await pilot.pause(1.0)  # studies and the rest, after the first page
        console = Console(app, pilot, url)
        found["z 20 -> 100"] = [await console.after("z")]
        assert console.table.page_size == 100
        await pilot.pause(reading)

        async def read() -> None:
            await asyncio.sleep(reading)

        console.profiler = cProfile.Profile() if profile else None
        found["n after reading the page"] = [await console.after("n", read) for _ in range(flips)]
        if console.profiler:
            console.profiler.dump_stats(str(profile / "flip.pstats"))
            console.profiler = None
        cpu = time.process_time()
        found["n at once"] = [await console.after("n") for _ in range(flips)]
        found["cpu per flip"] = [((time.process_time() - cpu) / flips, 0.0, 0.0)]
        cpu = time.process_time()
        await asyncio.sleep(reading)
        found["idle cpu per second"] = [((time.process_time() - cpu) / reading, 0.0, 0.0)]
        rng = random.Random(7)
        jumps = []
        for _ in range(flips):
            await pilot.pause(reading)
            await pilot.press("g")
            box = app.focused
            assert isinstance(box, Input)
            box.value = str(rng.randrange(2, console.table.pages))
            jumps.append(await console.after("enter"))
        found["g N Enter"] = jumps
        for size in (500, 1000):
            await pilot.pause(reading)
            found[f"z -> {size}"] = [await console.after("z")]
            assert console.table.page_size == size
    return found


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- report ----------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def report(name: str, runs: list[tuple[float, float, float]], target: float | None) -> None:
    wall = statistics.median(r[0] for r in runs)
    server = statistics.median(r[1] for r in runs)
    own = statistics.median(r[0] - r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    verdict = "" if target is None else f"  [target own <= {_ms(target)}: {'ok' if own <= target else 'OVER TARGET'}]"
    print(f"{name:28} {_ms(wall):>8} key to repaint, server {_ms(server):>7}, console's own {_ms(own):>6}, "
          f"CPU {_ms(cpu):>6}  (median of {len(runs)}){verdict}")


def top_costs(path: Path, count: int = 12) -> None:
    print(f"\n{path.name}: top {count} by own time (tottime)")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(count)
    print(f"{path.name}: top {count} by cumulative time, console and Textual code")
    stats.sort_stats("cumulative").print_stats(r"jhe_tui|textual/|rich/|httpx/|pydantic", count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds a patient page takes the server")
    parser.add_argument("--other-delay", type=float, default=0.05, help="seconds every other call takes")
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5, help="cold starts")
    parser.add_argument("--flips", type=int, default=10, help="flips of each kind")
    parser.add_argument("--profile", type=Path, help="directory for cProfile stats of a start and the flips")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="cold starts compile the modules each time (as with PYTHONDONTWRITEBYTECODE=1)")
    parser.add_argument("--child-cold-start", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_cold_start:
        child_cold_start(args.child_cold_start)
        return
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    server, url = start_server(args.delay, args.other_delay, args.patients)
    try:
        print(f"Server: {args.patients:,} patients in one organization, {args.delay:.2f} s a patient page, "
              f"{args.other_delay:.2f} s any other call; console at {SIZE[0]}x{SIZE[1]}.")
        starts = cold_start(url, args.runs, args.profile, not args.no_bytecode_cache)
        cached = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached"
        report(f"cold start ({cached})", starts, 0.8)
        reading = args.delay + 0.5
        found = asyncio.run(paging(url, args.flips, reading, args.profile))
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name in ("z 20 -> 100", "n after reading the page", "n at once", "g N Enter", "z -> 500", "z -> 1000"):
        report(name, found[name], 0.05 if name in ("n after reading the page", "n at once", "g N Enter") else None)
    per_flip = found["cpu per flip"][0][0]
    idle = found["idle cpu per second"][0][0]
    print(f"console CPU per 100-row flip (n at once, {args.flips} flips): {_ms(per_flip)}  "
          f"[target <= 50 ms: {'ok' if per_flip <= 0.05 else 'OVER TARGET'}]; idle, {_ms(idle)} a second")
    print(f"console RSS after paging: {_rss_mb():.0f} MB")
    if args.profile:
        for name in ("start.pstats", "flip.pstats"):
            top_costs(args.profile / name)


if __name__ == "__main__":
    main()
