"""Client cost per request: jhe-tui's own transport (asyncio + h11) versus httpx's default one.

`jhe-tui serve-demo` runs in a process of its own on a free loopback port; this process sends
small GETs (an e-mail look-up that finds nobody, the first request of every imported row) through
``JheClient.request``, a few in flight at once, first with ``transport=AsyncHTTPTransport()``
injected (httpx's default: httpcore's pool on anyio), then with nothing injected (ours). Runs
alternate between the two so that a noisy machine disturbs both alike; the medians are printed.

CPU is this process's user + system time (os.times) over the measured requests, so the server's
work is not counted; wall time includes the server's, which is the same for both transports.

Usage: python benchmarks/bench_transport.py [--requests 3000] [--in-flight 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jhe_tui.api import JheClient
from jhe_tui.api.http import AsyncHTTPTransport

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import serve_demo  # noqa: E402  (a sibling script, not a package)

PATH, PARAMS = "/api/v1/patients/global_lookup", {"email": "nobody@example.org"}
WARM_UP = 50


async def run(url: str, token: str, baseline: bool, requests: int, in_flight: int) -> tuple[float, float]:
    """(client CPU ms per request, wall ms per request)."""
    transport = AsyncHTTPTransport() if baseline else None
    async with JheClient(url, token, transport=transport, max_concurrency=in_flight) as client:

        async def lookups(count: int) -> None:
            for _ in range(count):
                await client.request("GET", PATH, params=PARAMS, doing="looking up an e-mail")

        await asyncio.gather(*(lookups(WARM_UP // in_flight) for _ in range(in_flight)))
        cpu, wall = os.times(), time.perf_counter()
        await asyncio.gather(*(lookups(requests // in_flight) for _ in range(in_flight)))
        wall, after = time.perf_counter() - wall, os.times()
    done = requests // in_flight * in_flight
    return 1000 * (after.user + after.system - cpu.user - cpu.system) / done, 1000 * wall / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float]]] = {"httpx default": [], "jhe-tui asyncio+h11": []}
    with tempfile.TemporaryDirectory() as data:
        server, url, token = serve_demo("--reset", "--data", data, "--workers", "1")
        try:
            for _ in range(args.runs):
                for name, baseline in (("httpx default", True), ("jhe-tui asyncio+h11", False)):
                    figures[name].append(asyncio.run(run(url, token, baseline, args.requests, args.in_flight)))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{args.requests} GET {PATH}, {args.in_flight} in flight, median of {args.runs} runs")
    for name, runs in figures.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        each = ", ".join(f"{c:.3f}" for c, _ in runs)
        print(f"  {name:22} client CPU {cpu:.3f} ms/request ({each}); wall {wall:.3f} ms/request")


if __name__ == "__main__":
    main()
