"""Practitioner API keys as JHE v0.0.13 serves them (contract sections 5.3 C and 9.5), for batch use.

``POST /api/v1/practitioner_clients`` ``{"label"}`` -> 201 ``{"id","label","created","name","key"}``
with ``key`` = base64(``client_id:client_secret``); ``POST /o/token/`` with
``grant_type=client_credentials`` (HTTP Basic, or ``client_id``/``client_secret`` fields) then gives
a 14-day access token of the key's owner, without a refresh token. GET lists and reads the
caller's own keys (another's is a 404), PATCH changes the label, DELETE revokes the key and every
token issued with it. Unlike JHE, only the secret's hash is stored, so the key is shown once, at
creation, and never again in a list.
"""

from __future__ import annotations

import base64
import re
import secrets
import sqlite3
import time

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import db, tokens
from ..casing import CamelJSONResponse
from ..deps import Body, Conn, CurrentCaller
from ..errors import not_found
from ..inputs import Fields, required_text
from ..pages import drf_page, page_of

router = APIRouter()

TABLES = (
    """CREATE TABLE IF NOT EXISTS practitioner_client (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES jhe_user(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL
)""",
    # The tokens issued with each key, so revoking the key revokes them.
    """CREATE TABLE IF NOT EXISTS practitioner_client_token (
    token_hash TEXT PRIMARY KEY,
    client_row_id INTEGER NOT NULL
)""",
)
COLUMNS = "id, label, created, name"


def ensure_table(conn: sqlite3.Connection) -> None:
    for table in TABLES:
        conn.execute(table)


def _label(body: dict) -> str:
    fields = Fields(body)
    label = fields.take("label", required_text, required=True)
    fields.check()
    return label.strip()[:100]


def _own(conn: sqlite3.Connection, caller_id: int, key_id: int) -> dict:
    ensure_table(conn)
    row = conn.execute("SELECT id, label, created, user_id FROM practitioner_client WHERE id = ? AND user_id = ?",
                       (key_id, caller_id)).fetchone()
    if row is None:
        raise not_found("PractitionerClient")
    return _item(row)


def _item(row: sqlite3.Row) -> dict:
    stamp = re.sub(r"\D", "", row["created"][:19])
    return {"id": row["id"], "label": row["label"], "created": row["created"],
            "name": f"_practitioner_client_{row['user_id']}_{stamp}"}


@router.get("/api/v1/practitioner_clients")
def list_keys(request: Request, conn: Conn, caller: CurrentCaller) -> Response:
    ensure_table(conn)
    page = page_of(request)
    count = conn.execute("SELECT COUNT(*) FROM practitioner_client WHERE user_id = ?", (caller.id,)).fetchone()[0]
    rows = conn.execute("SELECT id, label, created, user_id FROM practitioner_client WHERE user_id = ?"
                        " ORDER BY id LIMIT ? OFFSET ?", (caller.id, page.size, page.offset)).fetchall()
    return CamelJSONResponse(drf_page(request, page, count, [_item(r) for r in rows]))


@router.post("/api/v1/practitioner_clients")
def create(conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    label = _label(body)
    client_id, secret = tokens.new_secret(16), tokens.new_secret(32)
    with db.transaction(conn):
        ensure_table(conn)
        created = db.timestamp()
        row_id = conn.execute(
            "INSERT INTO practitioner_client (user_id, label, created, client_id, secret_hash) VALUES (?, ?, ?, ?, ?)",
            (caller.id, label, created, client_id, tokens.digest(secret)),
        ).lastrowid
        item = _own(conn, caller.id, row_id)
    key = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return CamelJSONResponse({**item, "key": key}, status_code=201)


@router.get("/api/v1/practitioner_clients/{key_id:id}")
def read_key(key_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    return CamelJSONResponse(_own(conn, caller.id, key_id))


@router.patch("/api/v1/practitioner_clients/{key_id:id}")
def relabel(key_id: int, conn: Conn, caller: CurrentCaller, body: Body) -> Response:
    with db.transaction(conn):
        _own(conn, caller.id, key_id)
        conn.execute("UPDATE practitioner_client SET label = ? WHERE id = ?", (_label(body), key_id))
        item = _own(conn, caller.id, key_id)
    return CamelJSONResponse(item)


@router.delete("/api/v1/practitioner_clients/{key_id:id}")
def revoke(key_id: int, conn: Conn, caller: CurrentCaller) -> Response:
    with db.transaction(conn):
        _own(conn, caller.id, key_id)
        conn.execute("DELETE FROM oauth_token WHERE token_hash IN"
                     " (SELECT token_hash FROM practitioner_client_token WHERE client_row_id = ?)", (key_id,))
        conn.execute("DELETE FROM practitioner_client_token WHERE client_row_id = ?", (key_id,))
        conn.execute("DELETE FROM practitioner_client WHERE id = ?", (key_id,))
    return Response(status_code=204)


def issue_for_client(conn: sqlite3.Connection, client_id: str, secret: str) -> dict | None:
    """A client-credentials token for the key's owner; None for an unknown id or wrong secret."""
    ensure_table(conn)
    row = conn.execute("SELECT id, user_id, secret_hash FROM practitioner_client WHERE client_id = ?",
                       (client_id,)).fetchone()
    if row is None or not secrets.compare_digest(row["secret_hash"], tokens.digest(secret)):
        return None
    access = tokens.new_secret()
    conn.execute(
        "INSERT INTO oauth_token (token_hash, kind, user_id, application_id, expires, access_hash)"
        " VALUES (?, 'access', ?, NULL, ?, NULL)",
        (tokens.digest(access), row["user_id"], time.time() + tokens.ACCESS_TOKEN_SECONDS),
    )
    conn.execute("INSERT INTO practitioner_client_token VALUES (?, ?)", (tokens.digest(access), row["id"]))
    return {"access_token": access, "expires_in": tokens.ACCESS_TOKEN_SECONDS, "token_type": "Bearer",
            "scope": "openid"}
