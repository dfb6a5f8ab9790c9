"""Does `serve-demo` need uvloop and httptools? The same jobs against it with them and without.

uvicorn picks its event loop and HTTP parser itself ("auto"): uvloop and httptools when they can
be imported, else asyncio's loop and h11. "plain" runs serve-demo as if the two were not installed
(``processes.serve_demo(plain=True)``); "fast" as installed. Two jobs a user runs against it,
each timed from process start to exit, in alternating rounds (the order flips every round; the
machine is shared), medians quoted, with the server's CPU for the job and the load average:

1. export: `jhe-tui export observations --study` of the scale data set's largest study to NDJSON
   (one server of each kind, serving the same data set; one export on each first, not counted,
   so both have their caches warm);
2. import: `jhe-tui import --study --invite` of ROWS new patients, on a fresh demo server each round.

Usage: python benchmarks/bench_server_stack.py [--scale-data DIR] [--rounds 5] [--rows 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_export import _ram_directory, export, largest_study  # noqa: E402  (sibling scripts, not a package)
from bench_import import run_import  # noqa: E402
from processes import serve_demo, tree_cpu_seconds  # noqa: E402

STACKS = ("fast", "plain")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _report(job: str, unit: str, figures: dict[str, list[tuple[float, float]]]) -> None:
    """Medians of (seconds, server CPU seconds) per stack, and how much longer plain takes."""
    wall = {stack: statistics.median(s for s, _ in figures[stack]) for stack in STACKS}
    cpu = {stack: statistics.median(c for _, c in figures[stack]) for stack in STACKS}
    print(f"{job}: medians of {len(figures['fast'])} rounds: fast {wall['fast']:.2f} s (server CPU "
          f"{cpu['fast']:.2f} s), plain {wall['plain']:.2f} s (server CPU {cpu['plain']:.2f} s); without "
          f"uvloop and httptools the {unit} takes {100 * (wall['plain'] / wall['fast'] - 1):+.1f}% wall time, "
          f"{100 * (cpu['plain'] / cpu['fast'] - 1):+.1f}% server CPU", flush=True)


def exports(scale_data: Path, rounds: int, work: Path) -> None:
    servers = {stack: serve_demo("--scale", "--data", str(scale_data), plain=stack == "plain") for stack in STACKS}
    try:
        url, token = servers["fast"][1:]
        size, study, org = largest_study(url, token)
        print(f"export: study {study} of organization {org}, {size:,} observations to NDJSON", flush=True)
        figures: dict[str, list[tuple[float, float]]] = {stack: [] for stack in STACKS}
        for round_ in range(rounds + 1):
            for stack in STACKS if round_ % 2 else reversed(STACKS):
                server, url, token = servers[stack]
                before = tree_cpu_seconds(server.pid) or 0.0
                seconds, _ = export(url, token, org, "ndjson", work / "study.ndjson", study)
                cpu = (tree_cpu_seconds(server.pid) or 0.0) - before
                (work / "study.ndjson").unlink()
                if round_:  # round 0 warms both servers
                    figures[stack].append((seconds, cpu))
                    print(f"  round {round_} {stack:5}: {seconds:.2f} s = {size / seconds:,.0f}/s, server CPU "
                          f"{cpu:.2f} s, load {_load()}", flush=True)
    finally:
        for server, _, _ in servers.values():
            server.terminate()
            server.wait()
    _report("export", "export", figures)


def imports(rows: int, rounds: int, work: Path) -> None:
    print(f"import: {rows} new patients with --study --invite, a fresh server each time", flush=True)
    figures: dict[str, list[tuple[float, float]]] = {stack: [] for stack in STACKS}
    for round_ in range(1, rounds + 1):
        for stack in STACKS if round_ % 2 else reversed(STACKS):
            name = f"{stack}{round_}"
            server, url, token = serve_demo("--data", str(work / name), "--reset", plain=stack == "plain")
            try:
                before = tree_cpu_seconds(server.pid) or 0.0
                seconds, code, _, _ = run_import(url, token, rows, work, name, 4)
                cpu = (tree_cpu_seconds(server.pid) or 0.0) - before
            finally:
                server.terminate()
                server.wait()
            if code:
                raise SystemExit(f"import failed (exit {code})")
            figures[stack].append((seconds, cpu))
            print(f"  round {round_} {stack:5}: {seconds:.2f} s = {rows / seconds:.0f} patients/s, server CPU "
                  f"{cpu:.2f} s, load {_load()}", flush=True)
    _report("import", "import", figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale-data", type=Path, default=Path(tempfile.gettempdir()) / "jhe-tui-scale")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    # Exported files in RAM as bench_export.py writes them; the import's servers and journal on disk.
    files = Path(tempfile.mkdtemp(prefix="jhe-bench-stack-", dir=_ram_directory()))
    work = Path(tempfile.mkdtemp(prefix="jhe-bench-stack-"))
    try:
        if not args.skip_export:
            exports(args.scale_data, args.rounds, files)
        imports(args.rows, args.rounds, work)
    finally:
        shutil.rmtree(files, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
