"""Practitioner API keys as JHE v0.0.13 serves them (contract section 5.3 C), for batch use.

``POST /api/v1/practitioner_clients`` ``{"label"}`` -> 201 ``{"id","label","created","name","key"}``
with ``key`` = base64(``client_id:client_secret``); ``POST /o/token/`` with
``grant_type=client_credentials`` (HTTP Basic, or ``client_id``/``client_secret`` fields) then gives
a 14-day access token of the key's owner, without a refresh token. Unlike JHE, only the secret's
hash is stored, so the key is shown once, at creation.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
import time

from fastapi import APIRouter
from starlette.responses import Response

from .. import db, tokens
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller

router = APIRouter()

TABLE = """CREATE TABLE IF NOT EXISTS practitioner_client (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES jhe_user(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL
)"""


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(TABLE)


@router.post("/api/v1/practitioner_clients")
def create(conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    label = str(body.get("label") or "api key").strip()[:100] if isinstance(body, dict) else "api key"
    client_id, secret = tokens.new_secret(16), tokens.new_secret(32)
    with db.transaction(conn):
        ensure_table(conn)
        created = db.timestamp()
        row_id = conn.execute(
            "INSERT INTO practitioner_client (user_id, label, created, client_id, secret_hash) VALUES (?, ?, ?, ?, ?)",
            (caller.id, label, created, client_id, tokens.digest(secret)),
        ).lastrowid
    key = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return CamelJSONResponse({"id": row_id, "label": label, "created": created,
                              "name": f"{caller.email} {label}", "key": key}, status_code=201)


def issue_for_client(conn: sqlite3.Connection, client_id: str, secret: str) -> dict | None:
    """A client-credentials token for the key's owner; None for an unknown id or wrong secret."""
    ensure_table(conn)
    row = conn.execute("SELECT user_id, secret_hash FROM practitioner_client WHERE client_id = ?",
                       (client_id,)).fetchone()
    if row is None or not secrets.compare_digest(row["secret_hash"], tokens.digest(secret)):
        return None
    access = tokens.new_secret()
    conn.execute(
        "INSERT INTO oauth_token (token_hash, kind, user_id, application_id, expires, access_hash)"
        " VALUES (?, 'access', ?, NULL, ?, NULL)",
        (tokens.digest(access), row["user_id"], time.time() + tokens.ACCESS_TOKEN_SECONDS),
    )
    return {"access_token": access, "expires_in": tokens.ACCESS_TOKEN_SECONDS, "token_type": "Bearer",
            "scope": "openid"}
