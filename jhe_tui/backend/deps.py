"""What a request handler receives: the server settings, a database connection, the caller and
the JSON body, as FastAPI dependencies.

A request borrows a connection from the app's ``db.Pool`` and gives it back after the answer; one
request uses it at a time. The dependencies are ``async``: FastAPI runs a plain ``def`` dependency
in a worker thread, and those hops (one for the settings, two for the connection, one for the
caller, on top of the handler's own) cost more CPU than the work they carry. Taking a pooled
connection and the caller's three indexed look-ups run on the event loop in microseconds (WAL
readers never wait for a lock); the handler, which may read a thousand rows, still runs in a
worker thread, so an in-process server does not stall the console's event loop (``off_loop``;
a process that only serves runs it on its loop).
Dependencies resolve in the order a handler lists them, and handlers list the caller before the
body, so a request without a valid token gets 401 even when its body is broken, as in DRF.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from . import db, inputs
from .auth import Caller, authenticate

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    db_path: Path
    outbox_dir: Path
    site_url: str


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_conn(request: Request) -> AsyncIterator[sqlite3.Connection]:
    pool: db.Pool = request.app.state.connections
    conn = pool.take()
    try:
        yield conn
    finally:
        pool.give(conn)


Conn = Annotated[sqlite3.Connection, Depends(get_conn)]


async def off_loop(request: Request, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)``, a page's worth of reading and rendering, kept off the console's event loop.

    In process the app shares the console's loop, so the work goes to a worker thread. A
    `serve-demo` process has its loop to itself (``app.state.own_loop``), and there the hop costs
    more than it spares: the loop and the thread pass the GIL back and forth for every row SQLite
    steps to, about a tenth of the server's CPU for a page of 1000 observations.
    """
    if request.app.state.own_loop:
        return work(*args)
    return await run_in_threadpool(work, *args)


async def get_caller(request: Request, conn: Conn) -> Caller:
    return authenticate(request, conn)


async def get_body(request: Request) -> dict[str, Any]:
    return await inputs.json_object(request)


CurrentCaller = Annotated[Caller, Depends(get_caller)]
Body = Annotated[dict[str, Any], Depends(get_body)]
ServerSettings = Annotated[Settings, Depends(get_settings)]
