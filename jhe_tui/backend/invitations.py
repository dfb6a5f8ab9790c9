"""Invitation links in the user guide's format, and the outbox that stands in for e-mail.

A link is ``<app store prefix>cloud_sharing=<host:port>|<30-character code>`` with ``host:port|``
URL-quoted (``%3A``, ``%7C``), as the guide-era JHE builds it. Each new link replaces the
patient's earlier ones, which stay listed as ``reissued`` (as v0.0.13 keeps them). Only the code's
SHA-256 is kept.

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
from .tokens import digest, new_secret

LINK_PREFIX = (
    "https://play.google.com/store/apps/details?id=org.thecommonsproject.android.phr.dev&referrer=cloud_sharing="
)
LIFETIME = dt.timedelta(days=14)
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
