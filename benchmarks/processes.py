"""The `jhe-tui serve-demo` the benchmarks talk to: started on a free loopback port, and measured
as one with its workers (it runs worker processes under a supervisor, so its memory and CPU are
the sums over the process tree, from Linux /proc)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def serve_demo(*options: str) -> tuple[subprocess.Popen[str], str, str]:
    """`jhe-tui serve-demo OPTIONS` on a free loopback port, once /health answers: (process, URL,
    token). Building a scale data set happens before the two lines it prints, so only the wait
    after them, for the server to answer, is bounded."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "jhe_tui", "serve-demo", *options, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its two lines arrive before uvicorn runs
    )
    assert server.stdout is not None
    printed: dict[str, str] = {}
    while len(printed) < 2:
        line = server.stdout.readline()
        if not line:
            raise SystemExit("serve-demo stopped before printing JHE_URL and JHE_TOKEN")
        name, _, value = line.strip().partition("=")
        if name in ("JHE_URL", "JHE_TOKEN"):
            printed[name] = value
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{printed['JHE_URL']}/health", timeout=1).close()
            return server, printed["JHE_URL"], printed["JHE_TOKEN"]
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("serve-demo did not answer on loopback") from None
            time.sleep(0.1)


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def _status(pid: int, field: str) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(f"{field}:")), 0)


def tree_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Sum of ``VmRSS`` (now) or ``VmHWM`` (each process's peak) over the tree, in MB."""
    return sum(_status(p, field) for p in tree(pid)) / 1024


def tree_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by the tree, or None where /proc is missing."""
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            if p == pid:
                return None
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
