"""`jhe-tui serve-demo` in a real process on a free loopback port, for the tests that need a
server other programs can reach (curl's sequence, the browser's sign-in, worker processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def serve_demo_process(data: Path, *options: str, home: Path | None = None
                       ) -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    """The server process and the two lines it prints (JHE_URL, JHE_TOKEN), once /health answers.

    It runs in a session of its own, so a test can stop it as ctrl+c would (SIGINT to its group)
    without interrupting pytest.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if home is not None:
        env["JHE_TUI_HOME"] = str(home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jhe_tui", "serve-demo", "--port", str(port), "--data", str(data), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )
    try:
        printed = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(printed["JHE_URL"] + "/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stderr.read()) from None
                time.sleep(0.1)
        yield proc, printed
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def serve_demo(data: Path, *options: str, home: Path | None = None) -> Iterator[dict[str, str]]:
    """Yields the two lines serve-demo prints (JHE_URL, JHE_TOKEN) once /health answers."""
    with serve_demo_process(data, *options, home=home) as (_, printed):
        yield printed
