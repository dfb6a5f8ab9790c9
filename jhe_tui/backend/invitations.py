"""Invitation links in the user guide's format, and the outbox that stands in for e-mail.

A link is ``<app store prefix>cloud_sharing=<host:port>|<30-character code>`` with ``host:port|``
URL-quoted (``%3A``, ``%7C``), as the guide-era JHE builds it. Each new link replaces the
patient's earlier ones, which stay listed as ``reissued`` (as v0.0.13 keeps them). Only the code's
SHA-256 is kept.

Records follow v0.0.13's lifecycle (contract 9.4): ``issued``, then ``reissued`` (a newer one
replaced it), ``redeemed`` (the patient's app used it; again within ``REDEEM_AGAIN``), ``expired``
(used after ``expires``) or ``cancelled``. Beside v0.0.13's fields a record says when it was
issued, when it expires, when it was redeemed and whether it was e-mailed, which a real server
does not keep but the follow-up desk shows when it can.

The demo sends no mail: ``send_email=true`` stores the message in the ``outbox`` table and
writes it as an ``.eml`` file into the outbox directory, where the TUI (or a person) can read it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote, urlsplit

from jhe_tui.local import paths

from .db import timestamp
from .errors import ApiError, detail
from .tokens import digest, new_secret

LINK_PREFIX = (
    "https://play.google.com/store/apps/details?id=org.thecommonsproject.android.phr.dev&referrer=cloud_sharing="
)
LIFETIME = dt.timedelta(days=14)
REDEEM_AGAIN = dt.timedelta(hours=12)
DEMO_APP = {"id": 1, "name": "CommonHealth", "clientId": None, "invitation_url": LINK_PREFIX + "CODE"}  # "client_id" would stay snake_case
SENDER = "JupyterHealth Exchange (demo) <no-reply@demo.jhe.example>"
SUBJECT = "JHE Invitation"


def issue(conn: sqlite3.Connection, patient_id: int, site_url: str, *, emailed: bool) -> str:
    """Store a fresh invitation for the patient, retiring earlier ones, and return its link."""
    code = new_secret(30)
    now = dt.datetime.now(dt.UTC)
    conn.execute("UPDATE invitation SET status = 'reissued' WHERE patient_id = ? AND status = 'issued'", (patient_id,))
    conn.execute(
        "INSERT INTO invitation (patient_id, code_hash, created, expires, emailed) VALUES (?, ?, ?, ?, ?)",
        (patient_id, digest(code), timestamp(now), timestamp(now + LIFETIME), int(emailed)),
    )
    return LINK_PREFIX + quote(f"{urlsplit(site_url).netloc}|", safe="") + code


def send(conn: sqlite3.Connection, outbox_dir: Path, *, to: str, given_name: str | None, link: str) -> Path:
    """Put the invitation e-mail into the outbox (table row and ``.eml`` file)."""
    now = dt.datetime.now(dt.UTC)
    # Unfolded 8-bit text, so the link in the file stays one readable, copyable line.
    message = EmailMessage(policy=policy.default.clone(max_line_length=None))
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = SUBJECT
    message["Date"] = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content(
        f"Dear {given_name or 'participant'},\n\n"
        "You have been invited to share your health data through JupyterHealth Exchange.\n\n"
        f"1. Open this link on your mobile device: {link}\n"
        "2. Install the CommonHealth app if you do not have it yet.\n"
        "3. Follow the instructions to connect your health devices.\n"
        "4. Review the data your study requests and give or refuse consent.\n\n"
        f"The link expires in {LIFETIME.days} days.\n\n"
        "(Written by the jhe-tui demo server: nothing was actually sent.)\n",
        cte="8bit",
    )
    text = message.as_string()
    outbox_id = conn.execute(
        "INSERT INTO outbox (created, to_address, subject, body, file_name) VALUES (?, ?, ?, ?, '')",
        (timestamp(now), to, SUBJECT, text),
    ).lastrowid
    path = outbox_dir / f"{now:%Y%m%dT%H%M%SZ}-{outbox_id:06d}-invitation.eml"
    paths.make_dirs(outbox_dir)
    path.write_text(text, encoding="utf-8")
    conn.execute("UPDATE outbox SET file_name = ? WHERE id = ?", (path.name, outbox_id))
    return path


def record(row: sqlite3.Row) -> dict:
    """One invitation as v0.0.13 lists it (the link itself is never stored), plus its times."""
    return {"id": row["id"], "patient_id": row["patient_id"], "client_id": DEMO_APP["id"],
            "token_hash": row["code_hash"], "token": None, "status": row["status"],
            "last_updated": row["redeemed"] or row["created"], "created": row["created"],
            "expires": row["expires"], "redeemed": row["redeemed"], "sent_by_email": bool(row["emailed"])}


def code_of(link_or_code: str) -> str:
    """The code at the end of a link (after ``%7C`` or ``|``), or the code itself."""
    return link_or_code.replace("%7C", "|").replace("%7c", "|").rpartition("|")[2]


def redeem(conn: sqlite3.Connection, code: str, now: dt.datetime | None = None) -> ApiError | None:
    """What the patient's app does with a link, with v0.0.13's rules and answers: None when the
    link worked, else the refusal to send (410 expired, 409 used, 403 cancelled, 404 unknown).
    An expired link's status changes even though it is refused, so the caller commits first."""
    now = now or dt.datetime.now(dt.UTC)
    row = conn.execute("SELECT * FROM invitation WHERE code_hash = ?", (digest(code),)).fetchone()
    if row is None:
        return detail(404, "Invitation not found or already used.")
    if row["status"] == "cancelled":
        return detail(403, "Invitation has been cancelled.")
    if row["status"] == "issued" and timestamp(now) >= row["expires"]:
        conn.execute("UPDATE invitation SET status = 'expired' WHERE id = ?", (row["id"],))
        return detail(410, "Invitation has expired.")
    if row["status"] == "redeemed" and timestamp(now - REDEEM_AGAIN) <= row["redeemed"]:
        return None
    if row["status"] != "issued":
        return detail(409, "Invitation has already been used.")
    conn.execute("UPDATE invitation SET status = 'redeemed', redeemed = ? WHERE id = ?", (timestamp(now), row["id"]))
    return None
