"""A profile's read timeout: read from profiles.toml, kept by the tomlkit writer with the owner's
comments, saved by `login --timeout`, and overridden by `--timeout` on any command."""

from __future__ import annotations

import pytest

from jhe_tui.cli import EXIT_USAGE, main
from jhe_tui.commands.connect import open_client, resolve_target
from jhe_tui.local import profiles

FILE = """# my servers
[profiles.big]
url = "https://big.example.org"
timeout = 300  # that study is slow
"""


def test_the_profiles_timeout_is_read_kept_and_used(isolated_home):
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text(FILE)
    assert profiles.load().profiles["big"].timeout == 300
    store = profiles.load()
    store.profiles["other"] = profiles.Profile("other", "https://other.example.org", timeout=45.5)
    profiles.save(store)
    text = profiles.path().read_text()
    assert "timeout = 300  # that study is slow" in text and "# my servers" in text
    assert profiles.load().profiles["other"].timeout == 45.5
    target = resolve_target(profile="big", token="t")
    assert target.timeout == 300
    assert resolve_target(profile="big", token="t", timeout=30).timeout == 30
    client = open_client(target)
    assert client._session.timeouts.read == 300 and client._session.timeouts.write == 20


def test_login_timeout_is_saved_in_the_profile(isolated_home):
    profiles.resolve(None, "https://slow.example.org", timeout=240)
    assert profiles.load().profiles["slow.example.org"].timeout == 240
    profiles.resolve("slow.example.org")  # a later use without one keeps it
    assert profiles.load().profiles["slow.example.org"].timeout == 240


@pytest.mark.parametrize("bad", ["0", "-5", "soon", "inf"])
def test_a_bad_timeout_is_refused(isolated_home, capsys, bad):
    with pytest.raises(SystemExit) as exit_:
        main(["whoami", "--demo", "--timeout", bad])
    assert exit_.value.code == EXIT_USAGE and "positive number of seconds" in capsys.readouterr().err


def test_a_bad_timeout_in_the_file_is_one_sentence(isolated_home, capsys):
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text('[profiles.x]\nurl = "https://x.example.org"\ntimeout = "long"\n')
    assert main(["whoami", "--profile", "x"]) == EXIT_USAGE
    assert "timeout of profile 'x' must be a positive number of seconds" in capsys.readouterr().err
