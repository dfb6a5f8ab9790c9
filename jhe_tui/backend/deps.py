"""What a request handler receives: the server settings, a database connection, the caller and
the JSON body, as FastAPI dependencies.

A connection is opened per request and closed after it. SQLite opens in well under a
millisecond, and nothing is shared between the worker threads FastAPI runs handlers in.
Dependencies resolve in the order a handler lists them, and handlers list the caller before the
body, so a request without a valid token gets 401 even when its body is broken, as in DRF.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request

from . import db, inputs
from .auth import Caller, authenticate


@dataclass(frozen=True)
class Settings:
    db_path: Path
    outbox_dir: Path
    site_url: str


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_conn(request: Request) -> Iterator[sqlite3.Connection]:
    conn = db.connect(get_settings(request).db_path)
    try:
        yield conn
    finally:
        conn.close()


Conn = Annotated[sqlite3.Connection, Depends(get_conn)]


def get_caller(request: Request, conn: Conn) -> Caller:
    return authenticate(request, conn)


async def get_body(request: Request) -> dict[str, Any]:
    return await inputs.json_object(request)


CurrentCaller = Annotated[Caller, Depends(get_caller)]
Body = Annotated[dict[str, Any], Depends(get_body)]
ServerSettings = Annotated[Settings, Depends(get_settings)]
