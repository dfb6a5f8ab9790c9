"""profiles.toml, --profile/--server, the CA bundle, and `jhe-tui login`/`whoami`/`logout` run
as a new user would, against `jhe-tui serve-demo` in a real process (the test plays the browser)."""

from __future__ import annotations

import io
import os
import re
import socket
import stat
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from jhe_tui.local import profiles
from jhe_tui.cli import EXIT_OK, EXIT_USAGE, main
from jhe_tui.commands.connect import ConfigurationError, resolve_target
from tests.serving import serve_demo


def test_server_creates_a_profile_and_reuses_it(isolated_home):
    first = resolve_target("https://jhe.example.org/")
    assert first.profile.name == "jhe.example.org" and first.url == "https://jhe.example.org"
    again = resolve_target("https://jhe.example.org")
    assert again.profile == first.profile
    text = profiles.path().read_text()
    assert 'url = "https://jhe.example.org"' in text
    assert stat.S_IMODE(profiles.path().stat().st_mode) == 0o600
    assert resolve_target(profile="jhe.example.org").url == "https://jhe.example.org"


def test_profiles_round_trip_with_every_field(tmp_path):
    store = profiles.Profiles(profiles.Settings(2.5, "b"), {
        "a": profiles.Profile("a", "https://a.example", "cid\"quote", "/etc/ca.pem", 20003),
        "b.example-1": profiles.Profile("b.example-1", "http://127.0.0.1:8803"),
    })
    file = profiles.save(store, tmp_path / "p.toml")
    assert profiles.load(file) == store


@pytest.mark.parametrize(("content", "words"), [
    ("[profiles.x\nurl=", "not valid TOML"),
    ("[profiles.x]\nclient_id = 'y'\n", "needs a url"),
    ("[settings]\nidle_lock_minutes = -1\n", "idle_lock_minutes"),
    ("[profiles.x]\nurl = 'ftp://x'\n", "http://"),
])
def test_a_bad_profiles_file_is_one_sentence(isolated_home, capsys, content, words):
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text(content)
    assert main(["whoami", "--server", "https://jhe.example.org"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.count("\n") == 1


def test_an_unreadable_profiles_file_is_one_sentence(isolated_home, capsys):
    if os.geteuid() == 0:
        profiles.path().parent.mkdir(parents=True, exist_ok=True)
        profiles.path().mkdir()  # root reads any file; a directory in its place cannot be read either
    else:
        profiles.path().parent.mkdir(parents=True, exist_ok=True)
        profiles.path().write_text("[settings]\n")
        profiles.path().chmod(0)
    assert main(["whoami", "--server", "https://jhe.example.org"]) == EXIT_USAGE
    assert "cannot be read" in capsys.readouterr().err


def test_unknown_profile_and_missing_ca_bundle(isolated_home, tmp_path):
    with pytest.raises(ConfigurationError, match="no profile named 'nope'"):
        resolve_target(profile="nope")
    with pytest.raises(ConfigurationError, match="CA bundle"):
        resolve_target("https://jhe.example.org", ca_bundle=str(tmp_path / "missing.pem"))


def test_a_failed_login_leaves_no_new_profile(isolated_home, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["login", "--server", f"http://127.0.0.1:{port}", "--token", "x" * 40]) == 1
    assert "Could not reach" in capsys.readouterr().err
    assert f"127.0.0.1-{port}" not in profiles.path().read_text()


def test_insecure_is_loud(isolated_home, capsys, monkeypatch):
    from jhe_tui.cli import build_parser
    from jhe_tui.commands.common import target

    monkeypatch.setenv("JHE_TOKEN", "t" * 40)
    where = target(build_parser().parse_args(["whoami", "--server", "https://jhe.example.org", "--insecure"]))
    assert where.verify is False
    assert "NOT verified" in capsys.readouterr().err


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`jhe-tui serve-demo` in a real process, once for this module."""
    data = tmp_path_factory.mktemp("served")
    with serve_demo(data / "d", home=data / "home") as printed:
        yield printed


def _browser_sign_in(authorize_url: str, email: str) -> str:
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    origin = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    response = httpx.post(f"{origin}/o/authorize/", data={**query, "email": email, "password": "demo"})
    assert response.status_code == 302
    return response.headers["location"]


def test_login_whoami_logout_as_a_new_user(served, monkeypatch, capsys, isolated_home):
    url = served["JHE_URL"]
    opened: list[str] = []
    monkeypatch.setattr("jhe_tui.commands.login._open", lambda u, allowed: opened.append(u))
    monkeypatch.setattr("builtins.input", lambda prompt="": _browser_sign_in(opened[-1], "viewer@demo.jhe.example"))
    assert main(["login", "--server", url]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Signed in to" in out and "viewer@demo.jhe.example" in out and "paste-back" in out
    assert main(["whoami", "--server", url]) == EXIT_OK
    out = capsys.readouterr().out
    assert "viewer" in out and re.search(r"Token:\s+expires \d{4}-\d\d-\d\d", out)
    tokens_dir = isolated_home / "state" / "tokens"
    (stored,) = tokens_dir.glob("*.json")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    # Revoked elsewhere (another device's logout): one sentence that says what to do.
    import json

    httpx.post(f"{url}/o/revoke_token/", data={"token": json.loads(stored.read_text())["refresh_token"]})
    assert main(["whoami", "--server", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "jhe-tui login" in err and "no longer accepts" in err
    log = (isolated_home / "log" / "jhe-tui.log").read_text()
    assert "POST /o/token/ 200" in log and "GET /o/.well-known/openid-configuration 200" in log
    assert main(["logout", "--server", url]) == EXIT_OK
    assert "revoked" in capsys.readouterr().out
    assert not list(tokens_dir.glob("*"))
    assert main(["whoami", "--server", url]) == EXIT_USAGE
    assert "jhe-tui login" in capsys.readouterr().err


def test_login_by_loopback_from_the_command_line(served, monkeypatch, capsys):
    url = served["JHE_URL"]

    def browser(authorize_url: str, allowed: bool) -> None:
        landed = _browser_sign_in(authorize_url, "member@demo.jhe.example")
        import threading

        threading.Thread(target=httpx.get, args=(landed,), daemon=True).start()

    monkeypatch.setattr("jhe_tui.commands.login._open", browser)
    assert main(["login", "--server", url, "--client-id", "jhe-tui"]) == EXIT_OK
    assert "member@demo.jhe.example in the browser (loopback)" in capsys.readouterr().out
    assert 'client_id = "jhe-tui"' in profiles.path().read_text()


def test_the_first_login_becomes_the_default_and_a_later_one_says_how_to_switch(served, monkeypatch, capsys,
                                                                                   isolated_home):
    """Issue 15.4: `login` then `whoami` used to report the embedded demo."""
    url = served["JHE_URL"]
    monkeypatch.setattr("sys.stdin", io.StringIO(served["JHE_TOKEN"] + "\n"))
    assert main(["login", "--server", url, "--token-stdin"]) == EXIT_OK
    out = capsys.readouterr().out
    first = profiles.load().settings.default_profile
    assert first is not None and f"{first} is now the default" in out
    assert main(["whoami"]) == EXIT_OK
    out = capsys.readouterr().out
    assert url in out and "demo" not in out.lower().split("server")[0]
    # The same server under another address: a second profile, the default unchanged, and how to switch.
    other = url.replace("127.0.0.1", "localhost")
    monkeypatch.setattr("sys.stdin", io.StringIO(served["JHE_TOKEN"] + "\n"))
    assert main(["login", "--server", other, "--token-stdin"]) == EXIT_OK
    out = capsys.readouterr().out
    second = resolve_target(other).profile.name
    assert second != first and profiles.load().settings.default_profile == first
    assert f"--profile {second}" in out and f"jhe-tui login --profile {second} --make-default" in out
    monkeypatch.setattr("sys.stdin", io.StringIO(served["JHE_TOKEN"] + "\n"))
    assert main(["login", "--profile", second, "--token-stdin", "--make-default"]) == EXIT_OK
    assert f"{second} is now the default" in capsys.readouterr().out
    assert profiles.load().settings.default_profile == second


OWNED = '''# my clinic servers, do not lose this comment
[settings]
idle_lock_minutes = 5   # short: shared workstation
theme = "high-contrast"

[profiles.clinic]
url = "https://jhe.example.org"
colour = "blue"          # a key jhe-tui does not know
'''


def test_writes_keep_the_owners_comments_order_and_unknown_keys(isolated_home):
    """Issue 18: profiles.toml is the user's file; jhe-tui changes only its own keys."""
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text(OWNED)
    resolve_target("https://other.example.org")  # a new profile: the file is written
    text = profiles.path().read_text()
    assert text.startswith(OWNED.rstrip("\n").split("\n[profiles.clinic]")[0])
    for kept in ("# my clinic servers", "# short: shared workstation", 'theme = "high-contrast"',
                 'colour = "blue"', "# a key jhe-tui does not know"):
        assert kept in text
    assert 'url = "https://other.example.org"' in text
    assert set(profiles.load().profiles) == {"clinic", "other.example.org"}


def test_read_only_commands_never_write_the_profiles_file(isolated_home, monkeypatch, capsys):
    """Issue 18: `whoami` with JHE_URL set rewrote the file (and lost the owner's comments)."""
    profiles.path().parent.mkdir(parents=True, exist_ok=True)
    profiles.path().write_text(OWNED)
    monkeypatch.setenv("JHE_URL", "https://unreachable.invalid")
    for command in (["whoami"], ["export", "observations", "--org", "1", "--format", "csv", "-o", "x.csv"]):
        main(command)
        capsys.readouterr()
        assert profiles.path().read_text() == OWNED
