"""A server process and its workers, as one: `serve-demo` runs worker processes under a
supervisor, so its memory and CPU are the sums over the process tree (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


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
