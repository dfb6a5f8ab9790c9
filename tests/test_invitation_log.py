"""This workstation's invitation log: private, never the link, read back per server."""

from __future__ import annotations

import datetime as dt
import stat

from jhe_tui.local.invitation_log import LoggedInvitation, invitations_for, log_path, record_invitation


def test_the_log_is_private_holds_no_link_and_reads_back_per_server():
    moment = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)
    first = LoggedInvitation(moment, "mary@example.org", "https://jhe.one", 40001, "", emailed=True)
    other = LoggedInvitation(moment, "mary@example.org", "https://jhe.two", 40002, "CareX", emailed=False)
    path = record_invitation(first)
    record_invitation(other)
    assert path == log_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert "http" not in text.replace('"server": "https://jhe.one"', "").replace('"server": "https://jhe.two"', "")
    assert invitations_for("https://jhe.one") == [first]
    assert invitations_for("https://jhe.two") == [other]


def test_a_damaged_line_is_skipped():
    entry = LoggedInvitation(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), "m@example.org", "s", 1, "", emailed=False)
    path = record_invitation(entry)
    with path.open("a") as handle:
        handle.write('{"time": "not a time"}\n{broken\n')
    assert invitations_for("s") == [entry]
