"""The demo backend for ``serve-demo --workers N``: uvicorn's worker processes start from an
import string, not from an application object, so each worker calls ``create`` (``IMPORT``).

Internal interface, not for users: the parent process prepares the data set once, before any
worker starts (``DemoBackend``: seed or reset, outbox directory, redirect URI, the printed token),
and tells the workers where it is in environment variables, which they inherit:

* ``JHE_TUI_SERVE_DB``: the SQLite file;
* ``JHE_TUI_SERVE_OUTBOX``: the outbox directory;
* ``JHE_TUI_SERVE_SITE_URL``: the URL clients reach the server at.

A worker only opens that database. Starting one writes nothing, so N workers starting together
neither seed N times nor queue on the write lock. Everything the workers share lives in the
database (tokens, OAuth codes, sessions, the outbox); what a worker keeps in memory (pooled
connections, COUNTs and bookmarks keyed by the database's ``revision``) never goes stale when
another worker writes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
from pathlib import Path

from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .deps import Settings

DB, OUTBOX, SITE_URL = "JHE_TUI_SERVE_DB", "JHE_TUI_SERVE_OUTBOX", "JHE_TUI_SERVE_SITE_URL"


def environment(settings: Settings) -> dict[str, str]:
    """What the parent puts into ``os.environ`` before uvicorn starts the workers."""
    return {DB: str(settings.db_path), OUTBOX: str(settings.outbox_dir), SITE_URL: settings.site_url}


def create() -> FastAPI:
    """The application of one worker process (uvicorn's ``factory=True``)."""
    try:
        settings = Settings(Path(os.environ[DB]), Path(os.environ[OUTBOX]), os.environ[SITE_URL])
    except KeyError as missing:
        raise RuntimeError(f"{missing} is not set: workers are started by `jhe-tui serve-demo --workers N`") from None
    _stop_with_parent()
    return create_app(settings, own_loop=True)


IMPORT = f"{__name__}:{create.__name__}"


class NoDelayProtocol(H11Protocol):
    """uvicorn's HTTP protocol on a socket that sends small writes at once.

    A worker accepts on the listening socket its supervisor made, whose ``proto`` is 0, so
    asyncio does not recognise the accepted sockets as TCP and leaves Nagle's algorithm on. A
    response goes out as two writes, head and body, and the second then waits for the client's
    delayed ACK: 40 ms on every request on a kept-alive connection.
    """

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


PROTOCOL = f"{__name__}:{NoDelayProtocol.__name__}"


def _stop_with_parent() -> None:
    """Shut this worker down (as on SIGTERM) once its parent is gone.

    uvicorn's supervisor stops its workers on SIGINT and SIGTERM, but a parent killed outright
    (SIGKILL, a crash) would leave them serving, holding the port and the database. The parent's
    sentinel (a pipe it holds open) tells, even when it died before this worker got here.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by uvicorn's supervisor
        return

    def watch() -> None:
        parent.join()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="stop-with-parent", daemon=True).start()
