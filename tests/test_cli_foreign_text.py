"""CLI messages that quote a server's text (organization and user names, error messages) show
terminal controls as marks, never raw."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest

from jhe_tui.cli import main
from jhe_tui.commands.common import fail

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # line ends between messages are the CLI's own


@pytest.fixture
def demo_db(_seeded, isolated_home):
    shutil.copytree(_seeded, isolated_home / "data" / "demo")
    return isolated_home / "data" / "demo" / "demo.sqlite3"


def test_whoami_shows_hostile_organization_and_user_names_with_marks(demo_db, capsys):
    conn = sqlite3.connect(demo_db)
    with conn:
        conn.execute("UPDATE organization SET name = name || ?", ("\x1b]0;PWNED\x1b\\",))
        conn.execute("UPDATE jhe_user SET first_name = ?", ("\x1b]52;c;cHduZWQ=\x07\u009b2J",))
    conn.close()
    assert main(["whoami", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "Cardiometabolic Research Lab␛]0;PWNED␛\\" in out
    assert "␛]52;c;cHduZWQ=␇\ufffd2J" in out
    assert not RAW.search(out)


def test_a_failure_message_quoting_foreign_text_shows_marks(capsys):
    assert fail("The server refused: \x1b[2J\x1b]8;;http://evil.example/\x1b\\x\u009b", 1) == 1
    err = capsys.readouterr().err
    assert err == "jhe-tui: The server refused: ␛[2J␛]8;;http://evil.example/␛\\x\ufffd\n"
