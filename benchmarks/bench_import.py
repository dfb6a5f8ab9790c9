"""Bulk import figures for the README (issue 6 targets in brackets).

1. Rate [>= 3x the guide's script]: `jhe-tui serve-demo` on its own port (uvicorn, separate
   processes, its default workers); 1,000 new patients imported by `jhe-tui import --study
   --invite` versus the user guide's "Bulk Patient Import" script (benchmarks/guide_bulk_import.py,
   verbatim) run unchanged except for its URL, token and organization, on another 1,000 rows.
   The guide script does less: no enrolment, no journal, no check for existing patients. Both are
   timed from process start to exit, so both pay their interpreter start-up. This shared machine
   is noisy, so ``--repeat`` rounds (default 3) each run the guide then jhe-tui on a fresh server,
   and the ratio is of the two medians.
2. Memory [peak RSS < 150 MB]: `jhe-tui import --study --invite` of 10,000 rows, the import
   process's peak resident set (from wait4; the server is not counted).

The guide's script needs `requests`. jhe-tui does not depend on it, and this benchmark installs
nothing: it runs the script with the first interpreter that can import requests (this one, or
`python3` on PATH) and says so when none can.

Usage: python benchmarks/bench_import.py [--rows 1000] [--big 10000] [--concurrency 4] [--repeat 3]
                                         [--skip-big]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORG, STUDY = 20003, 30001
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from processes import serve_demo, tree_cpu_seconds  # noqa: E402  (a sibling script, not a package)


def server_cost(pid: int, before: float | None, patients: int) -> str:
    after = tree_cpu_seconds(pid)
    if before is None or after is None or not patients:
        return ""
    return f"; server CPU {1000 * (after - before) / patients:.1f} ms/patient"


def write_rows(path: Path, prefix: str, count: int) -> None:
    with path.open("w") as handle:
        handle.write("email,last_name,first_name,dob,phone\n")
        for i in range(count):
            handle.write(f"{prefix}{i}@example.org,Family{i},Given{i},19{50 + i % 50}-0{1 + i % 9}-{1 + i % 28:02d},"
                         f"555-{i % 10000:04d}\n")


def requests_python() -> str | None:
    for candidate in (sys.executable, shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import requests"], capture_output=True).returncode == 0:
            return candidate
    return None


def run_guide(python: str, url: str, token: str, rows: int, work: Path) -> tuple[float, int]:
    """The guide's script with only URL, token and organization changed; returns (seconds, created)."""
    folder = work / "guide"
    folder.mkdir(parents=True)
    write_rows(folder / "patients.csv", "guide", rows)
    text = (HERE / "guide_bulk_import.py").read_text()
    text = text.replace('BASE_URL = "https://your-jhe-instance.com"', f'BASE_URL = "{url}"')
    text = text.replace('ACCESS_TOKEN = "your-access-token"', f'ACCESS_TOKEN = "{token}"')
    text = text.replace("ORGANIZATION_ID = 1", f"ORGANIZATION_ID = {ORG}")
    (folder / "bulk_import.py").write_text(text)
    started = time.perf_counter()
    done = subprocess.run([python, "bulk_import.py"], cwd=folder, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    return elapsed, done.stdout.count("Created patient")


def run_import(url: str, token: str, rows: int, work: Path, name: str,
               concurrency: int) -> tuple[float, int, float, float]:
    """`jhe-tui import` as a user runs it; returns (seconds, exit code, peak RSS in MB, CPU seconds)."""
    csv_path = work / f"{name}.csv"
    write_rows(csv_path, name, rows)
    env = {**os.environ, "JHE_URL": url, "JHE_TOKEN": token, "JHE_TUI_HOME": str(work / "home")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "jhe_tui", "import", str(csv_path), "--org", str(ORG), "--study", str(STUDY),
         "--invite", "--concurrency", str(concurrency)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        print(process.stderr.read().decode()[-2000:], file=sys.stderr)
    process.stderr.close()
    return elapsed, process.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of guide then jhe-tui, each on a fresh server")
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jhe-bench-import-"))
    try:
        print(f"{args.rows} rows each; {args.repeat} rounds, each on a fresh serve-demo; machine: {os.cpu_count()} CPUs")
        python = requests_python()
        if python is None:
            print("guide script: not run: no interpreter here can import `requests`, and this benchmark "
                  "installs nothing")
        guide_rates, rates = [], []
        for round_ in range(1, args.repeat + 1):
            server, url, token = serve_demo("--data", str(work / f"server{round_}"), "--reset")
            try:
                if python is not None:
                    before = tree_cpu_seconds(server.pid)
                    seconds, created = run_guide(python, url, token, args.rows, work / f"guide{round_}")
                    guide_rates.append(created / seconds)
                    print(f"  round {round_}: guide script: {created} created in {seconds:.1f} s = "
                          f"{guide_rates[-1]:.1f} patients/s{server_cost(server.pid, before, created)}")
                before = tree_cpu_seconds(server.pid)
                seconds, code, rss, cpu = run_import(url, token, args.rows, work, f"tui{round_}", args.concurrency)
                rates.append(args.rows / seconds)
                print(f"  round {round_}: jhe-tui import: {args.rows} rows in {seconds:.1f} s = {rates[-1]:.1f} "
                      f"patients/s, exit {code}, peak RSS {rss:.0f} MB; its CPU {1000 * cpu / args.rows:.1f} ms/row"
                      f"{server_cost(server.pid, before, args.rows)}")
            finally:
                server.terminate()
                server.wait(timeout=10)
        rate = statistics.median(rates)
        if guide_rates:
            print(f"guide script ({python}), median: {statistics.median(guide_rates):.1f} patients/s "
                  "(create + invitation e-mail; no look-up, no enrolment)")
        print(f"jhe-tui import --study --invite (concurrency {args.concurrency}), median: {rate:.1f} patients/s "
              "(create + enrolment + invitation, journaled)")
        if guide_rates:
            print(f"ratio of the medians: {rate / statistics.median(guide_rates):.2f}x the guide script [target >= 3x]")
        if not args.skip_big:
            server, url, token = serve_demo("--data", str(work / "server-big"), "--reset")
            try:
                seconds, code, rss, _ = run_import(url, token, args.big, work, "big", args.concurrency)
            finally:
                server.terminate()
                server.wait(timeout=10)
            print(f"jhe-tui import of {args.big} rows: {seconds:.1f} s = {args.big / seconds:.1f} patients/s, "
                  f"exit {code}, peak RSS {rss:.0f} MB [target < 150 MB]")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
