"""`jhe-tui serve-demo`: the embedded backend on loopback for curl and other JHE clients."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from jhe_tui.commands.common import EXIT_OK, EXIT_USAGE, fail

if TYPE_CHECKING:
    from jhe_tui.backend import DemoBackend

MAX_WORKERS = 32


def register(sub) -> None:
    serve = sub.add_parser("serve-demo", help="serve the embedded backend on loopback")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--data", type=Path, metavar="DIR", help="data directory")
    serve.add_argument(
        "--reset", action="store_true", help="delete the data set (the demo one, or the --scale one) and reseed"
    )
    serve.add_argument(
        "--scale",
        nargs="?",
        const=True,
        default=False,
        type=int,
        metavar="N",
        help="serve a data set of N patients (default 100,000) and 10 observations each, for"
        " benchmarks; kept in a file of its own beside the demo data",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="worker processes, so that several requests are served at once as by a real JHE server"
        " (default: 2, or 1 on a single CPU; each takes about 60 MB)",
    )
    serve.add_argument(
        "--page-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="for benchmarks: each page of observations waits SECONDS before it is served, --workers pages at"
        " a time, as on a large real server (one process serves them all)",
    )
    serve.set_defaults(handler=run)


def _port_free(host: str, port: int) -> bool:
    import socket
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _announce_scale(path: Path, *, reset: bool) -> None:
    """Say which file the scale data set lives in, and whether building it will take a while."""
    if path.exists() and not reset:
        print(f"# scale data set: {path} (built earlier; --reset rebuilds it)", file=sys.stderr)
    else:
        print(f"# building the scale data set in {path}; this takes a minute or so (the demo data,"
              " demo.sqlite3, is a separate file and is left alone)", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    import ipaddress
    from jhe_tui.local import paths
    from jhe_tui.backend import DatabaseUnusable, DemoBackend, database_name

    try:
        database = database_name(args.scale)
    except ValueError as exc:
        return fail(f"--scale: {exc}", EXIT_USAGE)
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        return fail(f"--host must be an IP address (got {args.host!r}).", EXIT_USAGE)
    if not 0 < args.port < 65536:
        return fail("--port must be between 1 and 65535.", EXIT_USAGE)
    if not 0 < args.workers <= MAX_WORKERS:
        return fail(f"--workers must be between 1 and {MAX_WORKERS}.", EXIT_USAGE)
    if not 0 <= args.page_delay <= 3600:
        return fail("--page-delay must be between 0 and 3600 seconds.", EXIT_USAGE)
    if not _port_free(args.host, args.port):
        return fail(
            f"Port {args.port} on {args.host} is already in use; choose another with --port.",
            EXIT_USAGE,
        )
    host = f"[{args.host}]" if ":" in args.host else args.host
    site_url = f"http://{host}:{args.port}"
    try:
        data = paths.private_dir(args.data or paths.demo_data_dir())
        if args.scale:
            _announce_scale(data / database, reset=args.reset)
        backend = DemoBackend(data, reset=args.reset, scale=args.scale, site_url=site_url)
    except (DatabaseUnusable, paths.UnsafeDirectory) as exc:  # damaged, read-only, open to other users
        return fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        return fail(f"The data directory {args.data or paths.demo_data_dir()} cannot be used ({exc.strerror}).",
                    EXIT_USAGE)
    print(f"JHE_URL={site_url}")
    # The token is stored in the database, so every worker started below accepts it.
    print(f"JHE_TOKEN={backend.token_for('manager')}", flush=True)
    print(f"# embedded JHE-compatible demo backend, synthetic data in {backend.db_path}", file=sys.stderr)
    print("# export the two lines above, then use curl, jupyterhealth-client or `jhe-tui`", file=sys.stderr)
    if not loopback:
        print(f"# warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    if args.page_delay:
        print(f"# observation pages wait {args.page_delay:g} s, {args.workers} at a time (--page-delay)",
              file=sys.stderr)
    _serve(backend, args.host, args.port, args.workers, args.page_delay)
    return EXIT_OK


def _serve(backend: DemoBackend, host: str, port: int, workers: int, page_delay: float = 0.0) -> None:
    """Serve until SIGINT or SIGTERM; with several workers uvicorn's supervisor passes either on
    to every worker and waits for them, so none outlives this process."""
    import uvicorn

    # No access log: it would record query strings, which can hold patient e-mails. asyncio's loop
    # and h11 whatever else is installed: the faster alternatives did not speed the demo up (README).
    options = {"host": host, "port": port, "log_level": "warning", "access_log": False, "loop": "asyncio"}
    if workers == 1 or page_delay:
        from jhe_tui.backend.app import create_app

        app = create_app(backend.settings, own_loop=True)
        if page_delay:
            from jhe_tui.backend.slow_pages import SlowPages

            app = SlowPages(app, page_delay, workers)  # the waits overlap: one process serves them all
        uvicorn.run(app, http="h11", **options)
        return
    from jhe_tui.backend import served

    os.environ.update(served.environment(backend.settings))
    uvicorn.run(served.IMPORT, factory=True, workers=workers, http=served.PROTOCOL, **options)
