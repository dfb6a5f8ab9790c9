"""Export and observations-screen figures for the README (issue 4 targets in brackets).

Against the embedded backend with the scale data set (100,000 patients, 1,000,000 observations)
served by `jhe-tui serve-demo --scale` on loopback, a real HTTP hop as with a real server:

1. Export throughput and memory [RSS flat, < 200 MB]: `jhe-tui export observations` as its own
   process, for each organization the demo manager can see that holds observations, in each of
   ``--formats`` (default CSV; NDJSON is also timed below); observations/s and the peak RSS of the
   exporting process (``ru_maxrss`` from ``wait4``; the server is another process and not
   counted). The files go to ``--work-dir``, by default a RAM-backed directory (``/dev/shm``)
   when there is one: the disk's speed, and the kernel writing the file back on the two cores the
   processes share, are not what is measured (a run with ``--work-dir /tmp`` shows what they add).
2. Against jupyterhealth-client [jhe-tui >= 3x faster]: the same study's observations fetched with
   jupyterhealth-client's public API and its default paging (``list_observations(study_id=...,
   limit=None)``: FHIR ``_count=1000``, one page after another, following ``next``), in its own
   process, against `jhe-tui export observations --study` of the same study to NDJSON. JHC only
   yields the records (nothing written), so this favours JHC. The two alternate for ``--repeat``
   rounds (default 3) and the ratio is of the medians: this machine is shared and noisy. Each
   round also gives the CPU per page of 1,000 of the client and, when this script started the
   server, of the server (its process tree), which bound the ratio. Then
   tidy rows: our CSV against ``list_observations_df`` (JHC's tidy DataFrame of the same study).
3. Observations screen [median < 300 ms]: the console on the same server; time from a filter
   change (data type, patient) to the repainted table.

Needs jupyterhealth-client for part 2 (not a jhe-tui dependency):
    pip install jupyterhealth-client        # into the same environment as jhe-tui
Part 2 is skipped, and said so, when it is not installed.

Usage: python benchmarks/bench_export.py [--scale-data DIR] [--url URL --token TOKEN]
                                         [--orgs 20003,20004] [--study ID] [--filter-changes 20]
                                         [--repeat 3] [--formats csv,ndjson,fhir]
With --url/--token an already running server is used (e.g. `jhe-tui serve-demo --scale --port 8802`).
The scale database takes a while to build; it is kept in --scale-data and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SIZE = (120, 35)
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from processes import serve_demo, tree_cpu_seconds  # noqa: E402  (a sibling script, not a package)


def _get(url: str, token: str, path: str) -> object:
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def observation_count(url: str, token: str, org: int, study: int | None = None) -> int:
    query = f"patient.organization={org}&_summary=count" + (f"&patient._has:Group:member:_id={study}" if study else "")
    return int(_get(url, token, f"/fhir/r5/Observation?{query}")["total"])  # type: ignore[index]


def largest_study(url: str, token: str, orgs: list[int] | None = None,
                  wanted: int | None = None) -> tuple[int, int, int]:
    """(observations, study, organization) of the largest study of ``orgs`` (default: mine), or of ``wanted``."""
    if orgs is None:
        listing = _get(url, token, "/api/v1/organizations?page_size=1000")["results"]  # type: ignore[index]
        orgs = [o["id"] for o in listing if o.get("currentUserRole")]
    studies = []
    for org in orgs:
        for study in _get(url, token, f"/api/v1/studies?organization_id={org}&page_size=1000")["results"]:  # type: ignore[index]
            studies.append((observation_count(url, token, org, study["id"]), study["id"], org))
    return max(studies) if not wanted else next(s for s in studies if s[1] == wanted)


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str, float]:
    """(wall seconds, peak RSS in MB, exit code, stderr, CPU seconds) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - started, usage.ru_maxrss / 1024, child.returncode, err,
            usage.ru_utime + usage.ru_stime)


def export(url: str, token: str, org: int, fmt: str, out: Path,
           study: int | None = None) -> tuple[float, float, float]:
    """(seconds, peak RSS MB, CPU seconds) of `jhe-tui export observations`, in its own process."""
    command = [sys.executable, "-m", "jhe_tui", "export", "observations", "--server", url, "--org", str(org),
               "--format", fmt, "-o", str(out), "--force", "--quiet"]
    if study:
        command += ["--study", str(study)]
    seconds, rss, code, err, cpu = run_measured(command, {**os.environ, "JHE_TOKEN": token})
    if code != 0:
        raise SystemExit(f"export failed ({code}): {err.strip()}")
    return seconds, rss, cpu


JHC_CHILD = """
import sys
from jupyterhealth_client import JupyterHealthClient
client = JupyterHealthClient(sys.argv[1], token=sys.argv[2])
if sys.argv[4].startswith("df"):
    limit = int(sys.argv[4][2:]) or None
    print(len(client.list_observations_df(study_id=int(sys.argv[3]), limit=limit)))
else:
    print(sum(1 for _ in client.list_observations(study_id=int(sys.argv[3]), limit=None)))
"""


def jhc_fetch(url: str, token: str, study: int, how: str = "records") -> tuple[float, float, int, float]:
    """(seconds, peak RSS MB, records, CPU seconds) of jupyterhealth-client fetching the study, in its own process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", JHC_CHILD, url, token, str(study), how],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    out, err = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"jupyterhealth-client failed: {err.strip().splitlines()[-1:]}")
    return seconds, usage.ru_maxrss / 1024, int(out.strip()), usage.ru_utime + usage.ru_stime


def _server_cpu(pid: int | None) -> float | None:
    return tree_cpu_seconds(pid) if pid is not None else None


def _per_page(cpu: float, records: int, server_pid: int | None, server_before: float | None) -> str:
    """CPU per page of 1,000 of the client process, and of the server when this script started it."""
    pages = records / 1000
    server_after = _server_cpu(server_pid)
    server = ("" if server_before is None or server_after is None
              else f", server {1000 * (server_after - server_before) / pages:.1f} ms")
    return f"CPU per page of 1,000: its {1000 * cpu / pages:.1f} ms{server}; load {os.getloadavg()[0]:.1f}"


def _have_jhc() -> bool:
    try:
        import jupyterhealth_client  # noqa: F401
    except ImportError:
        return False
    return True


async def filter_changes(url: str, token: str, org: int, changes: int) -> list[float]:
    """Seconds from a filter change to the repainted table, on the observations screen."""
    from textual.widgets import Input, Select

    from jhe_tui.api import JheClient
    from jhe_tui.app import JheApp
    from jhe_tui.screens.observations import ObservationsScreen

    client = JheClient(url, token)
    concepts = [c for c in await client.codeable_concepts()]
    patients = (await client.patients(org, page_size=50)).items
    app = JheApp(client, server_url=url)
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        while not (isinstance(app.screen, ObservationsScreen) and app.screen.table.data_table.row_count):
            await asyncio.sleep(0.01)
        screen: ObservationsScreen = app.screen  # type: ignore[assignment]
        if screen.query_ is None or screen.query_.organization_id != org:
            screen.query_one("#organization", Select).value = org
            await _until_shown(pilot, screen, None)
        for i in range(changes):
            before = screen.table.data_table.rows and list(screen.table.data_table.rows)[0]
            started = time.perf_counter()
            if i % 2 == 0:
                screen.query_one("#code", Select).value = "|".join(concepts[(i // 2) % len(concepts)].key)
            else:
                box = screen.query_one("#patient", Input)
                box.value = str(patients[(i // 2) % len(patients)].id)
                screen._apply_filters()
            await _until_shown(pilot, screen, before)
            times.append(time.perf_counter() - started)
    await client.aclose()
    return times


async def _until_shown(pilot, screen, before) -> None:
    await pilot.pause()
    for _ in range(20_000):
        busy = any(w.is_running and w.group == "observations" for w in screen.app.workers)
        if not busy:
            break
        await asyncio.sleep(0.001)
    await pilot.pause()  # the frame with the new rows


def _ram_directory() -> Path | None:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-data", type=Path, default=Path(tempfile.gettempdir()) / "jhe-tui-scale")
    parser.add_argument("--work-dir", type=Path, default=_ram_directory(),
                        help="where the exported files are written (default: /dev/shm if present, else the temp dir)")
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--orgs", help="organization ids to export (default: every visible one with data)")
    parser.add_argument("--study", type=int, help="study for the jupyterhealth-client comparison (default: largest)")
    parser.add_argument("--filter-changes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the jhe-tui / JHC comparison")
    parser.add_argument("--df-limit", type=int, default=50_000,
                        help="records for JHC's DataFrame run (0 = all; it holds them all in memory, slowly)")
    parser.add_argument("--skip-exports", action="store_true", help="only the observations-screen timing")
    parser.add_argument("--formats", default="csv", help="formats of part 1, comma-separated (csv, ndjson, fhir)")
    args = parser.parse_args()
    # Bytecode for jhe-tui as a regular install has it (pip compiles at install time; an editable
    # install under PYTHONDONTWRITEBYTECODE would compile every module in every round, 20 ms).
    import jhe_tui

    compileall.compile_dir(Path(jhe_tui.__file__).parent, quiet=1)

    server = None
    if args.url and args.token:
        url, token = args.url.rstrip("/"), args.token
    else:
        server, url, token = serve_demo("--scale", "--data", str(args.scale_data))
    try:
        run(url, token, args, server.pid if server is not None else None)
    finally:
        if server is not None:
            server.terminate()
            server.wait()


def run(url: str, token: str, args: argparse.Namespace, server_pid: int | None = None) -> None:
    orgs_listing = _get(url, token, "/api/v1/organizations?page_size=1000")["results"]  # type: ignore[index]
    mine = [o["id"] for o in orgs_listing if o.get("currentUserRole")]
    orgs = [int(o) for o in args.orgs.split(",")] if args.orgs else mine
    counts = {org: observation_count(url, token, org) for org in orgs}
    orgs = [org for org in orgs if counts[org]]
    print(f"Server {url}; organizations with observations: "
          + ", ".join(f"{org} ({counts[org]:,})" for org in orgs), flush=True)

    if args.skip_exports:
        screen_timing(url, token, orgs, args)
        return
    work = Path(tempfile.mkdtemp(prefix="jhe-export-bench-", dir=args.work_dir))
    print(f"Exported files go to {work} (removed after each export)")
    for fmt in args.formats.split(","):
        total_n, total_s, peak = 0, 0.0, 0.0
        print(f"\n1. jhe-tui export, {fmt}, one process per organization")
        for org in orgs:
            seconds, rss, _ = export(url, token, org, fmt, work / f"{org}.{fmt}")
            n = counts[org]
            total_n, total_s, peak = total_n + n, total_s + seconds, max(peak, rss)
            print(f"   org {org}: {n:>9,} observations in {seconds:6.1f} s = {n / seconds:8,.0f}/s, "
                  f"peak RSS {rss:5.0f} MB", flush=True)
            (work / f"{org}.{fmt}").unlink()
        print(f"   all: {total_n:,} observations in {total_s:.1f} s = {total_n / total_s:,.0f}/s; "
              f"peak RSS {peak:.0f} MB [target < 200 MB]")

    print("\n2. Same study: jhe-tui export (NDJSON) vs jupyterhealth-client list_observations(limit=None)")
    size, study, org = largest_study(url, token, orgs, args.study)
    ours, theirs = [], []
    for round_ in range(1, args.repeat + 1):  # alternated, and medians taken: the machine is shared and noisy
        before = _server_cpu(server_pid)
        seconds, rss, cpu = export(url, token, org, "ndjson", work / "study.ndjson", study)
        (work / "study.ndjson").unlink()
        ours.append(size / seconds)
        print(f"   round {round_}: jhe-tui: study {study}: {size:,} observations in {seconds:.1f} s = {ours[-1]:,.0f}/s, "
              f"peak RSS {rss:.0f} MB; {_per_page(cpu, size, server_pid, before)}")
        if not _have_jhc():
            continue
        before = _server_cpu(server_pid)
        jhc_seconds, jhc_rss, jhc_n, cpu = jhc_fetch(url, token, study)
        theirs.append(jhc_n / jhc_seconds)
        print(f"   round {round_}: JHC:     study {study}: {jhc_n:,} observations in {jhc_seconds:.1f} s = "
              f"{theirs[-1]:,.0f}/s, peak RSS {jhc_rss:.0f} MB; {_per_page(cpu, jhc_n, server_pid, before)}")
    if theirs:
        print(f"   medians: jhe-tui {statistics.median(ours):,.0f}/s, JHC {statistics.median(theirs):,.0f}/s; "
              f"ratio: jhe-tui is {statistics.median(ours) / statistics.median(theirs):.1f}x jupyterhealth-client "
              "[target >= 3x]")
        seconds, rss, _ = export(url, token, org, "csv", work / "study.csv", study)
        (work / "study.csv").unlink()
        ours_csv = size / seconds
        print(f"   tidy rows: jhe-tui CSV {ours_csv:,.0f}/s (peak RSS {rss:.0f} MB)", flush=True)
        df_seconds, df_rss, df_n, _ = jhc_fetch(url, token, study, f"df{args.df_limit}")
        print(f"              JHC list_observations_df, first {df_n:,}: {df_n / df_seconds:,.0f}/s "
              f"(peak RSS {df_rss:.0f} MB); ratio {ours_csv / (df_n / df_seconds):.1f}x")
    else:
        print("   jupyterhealth-client is not installed (pip install jupyterhealth-client); comparison skipped.")

    work.rmdir()
    screen_timing(url, token, orgs, args)


def screen_timing(url: str, token: str, orgs: list[int], args: argparse.Namespace) -> None:
    print(f"\n3. Observations screen, filter change to repainted table ({args.filter_changes} changes, "
          f"organization {orgs[0]})")
    times = asyncio.run(filter_changes(url, token, orgs[0], args.filter_changes))
    print(f"   median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms [target median < 300 ms]")


if __name__ == "__main__":
    main()
