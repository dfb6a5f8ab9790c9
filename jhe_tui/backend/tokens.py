"""Secrets of the demo server: passwords, OAuth tokens and codes, all stored as hashes.

Tokens follow django-oauth-toolkit's lifetimes as JHE configures them: access tokens last 14 days,
refresh tokens never expire but rotate (using one deletes it and the access token it came with).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import string
import time

ACCESS_TOKEN_SECONDS = 1_209_600
_ALPHABET = string.ascii_letters + string.digits


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(length: int = 40) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def password_hash(password: str, user_id: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), f"jhe-demo-{user_id}".encode(), 20_000).hex()


def check_password(conn: sqlite3.Connection, email: str, password: str) -> int | None:
    row = conn.execute(
        "SELECT id, password_hash FROM jhe_user WHERE email = ? AND user_type = 'practitioner'", (email,)
    ).fetchone()
    if row is None or row["password_hash"] is None:
        return None
    if not secrets.compare_digest(row["password_hash"], password_hash(password, row["id"])):
        return None
    return row["id"]


def issue(conn: sqlite3.Connection, user_id: int, application_id: int | None) -> dict:
    """Store a new access + refresh token pair and return the token endpoint's JSON."""
    access, refresh = new_secret(), new_secret()
    access_hash = digest(access)
    conn.executemany(
        "INSERT INTO oauth_token (token_hash, kind, user_id, application_id, expires, access_hash)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (access_hash, "access", user_id, application_id, time.time() + ACCESS_TOKEN_SECONDS, None),
            (digest(refresh), "refresh", user_id, application_id, None, access_hash),
        ],
    )
    return {
        "access_token": access,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "token_type": "Bearer",
        "scope": "openid",
        "refresh_token": refresh,
    }


def user_for_access_token(conn: sqlite3.Connection, token: str) -> int | None:
    row = conn.execute(
        "SELECT user_id FROM oauth_token WHERE token_hash = ? AND kind = 'access' AND expires > ?",
        (digest(token), time.time()),
    ).fetchone()
    return None if row is None else row["user_id"]


def rotate(conn: sqlite3.Connection, refresh: str, application_id: int) -> dict | None:
    """Trade a refresh token for a new pair; None when it is unknown, used or another app's."""
    row = conn.execute(
        "SELECT user_id, access_hash FROM oauth_token"
        " WHERE token_hash = ? AND kind = 'refresh' AND application_id = ?",
        (digest(refresh), application_id),
    ).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM oauth_token WHERE token_hash IN (?, ?)", (digest(refresh), row["access_hash"]))
    return issue(conn, row["user_id"], application_id)


def revoke(conn: sqlite3.Connection, token: str) -> None:
    """Forget a token of either kind; revoking an access token also retires its refresh token."""
    token_hash = digest(token)
    row = conn.execute("SELECT kind, access_hash FROM oauth_token WHERE token_hash = ?", (token_hash,)).fetchone()
    if row is None:
        return
    if row["kind"] == "refresh":
        conn.execute("DELETE FROM oauth_token WHERE token_hash IN (?, ?)", (token_hash, row["access_hash"]))
    else:
        conn.execute("DELETE FROM oauth_token WHERE token_hash = ? OR access_hash = ?", (token_hash, token_hash))
