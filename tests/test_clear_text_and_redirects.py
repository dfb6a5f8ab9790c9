"""Plain http:// to another machine sends tokens and patient data in clear: every command says so
in one sentence. A redirect (which jhe-tui never follows: it would carry the token along) says
where it points, without its query string and without control characters."""

from __future__ import annotations

import os

import httpx
import pytest

from jhe_tui.api import JheClient
from jhe_tui.api.errors import error_from_response
from jhe_tui.api.oauth import LoginFailed
from jhe_tui.api.tokens import TokenStore
from jhe_tui.cli import build_parser
from jhe_tui.commands import login
from jhe_tui.commands.common import target
from jhe_tui.api.loopback import in_clear
from jhe_tui.api.signin import SignIn


@pytest.mark.parametrize(("url", "clear"), [
    ("http://jhe.example.org", True),
    ("http://10.1.2.3:8000", True),
    ("http://127.0.0.1.example.org", True),
    ("https://jhe.example.org", False),
    ("http://127.0.0.1:8765", False),
    ("http://127.8.9.10", False),
    ("http://localhost:8000", False),
    ("http://[::1]:8000", False),
    (None, False),
])
def test_which_addresses_travel_in_clear(url, clear):
    assert in_clear(url) is clear


@pytest.mark.parametrize("argv", [
    [],
    ["whoami"],
    ["import", "patients.csv", "--org", "1"],
    ["export", "observations", "--org", "1", "--format", "csv", "-o", "out.csv"],
])
def test_every_command_on_plain_http_warns_in_one_sentence(argv, monkeypatch, capsys):
    monkeypatch.setenv("JHE_TOKEN", "t" * 40)
    where = target(build_parser().parse_args([*argv, "--server", "http://jhe.example.org"]))
    assert where.url == "http://jhe.example.org"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jhe-tui: WARNING:")
    assert "unencrypted" in err and "tokens and patient data" in err and "https://" in err


@pytest.mark.parametrize("command", ["login", "logout"])
def test_login_and_logout_on_plain_http_warn_too(command, capsys):
    login._profile(build_parser().parse_args([command, "--server", "http://jhe.example.org"]))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unencrypted" in err


@pytest.mark.parametrize("url", ["https://jhe.example.org", "http://127.0.0.1:8765"])
def test_https_and_loopback_say_nothing(url, monkeypatch, capsys):
    monkeypatch.setenv("JHE_TOKEN", "t" * 40)
    target(build_parser().parse_args(["whoami", "--server", url]))
    assert capsys.readouterr().err == ""


HOSTILE_LOCATION = "https://jhe.example.org/api/v1/patients\x1b]0;PWNED\x07?code=SECRETCODE&state=x#frag"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_says_where_it_points_without_query_or_controls(status):
    error = error_from_response(status, "text/html", "<html>Moved</html>", "listing patients",
                                location=HOSTILE_LOCATION)
    message = error.message
    assert message.startswith("Listing patients failed: the server redirects to "
                              "https://jhe.example.org/api/v1/patients")
    assert f"HTTP {status}" in message
    assert "SECRETCODE" not in message and "code=" not in message and "frag" not in message
    assert "\x1b" not in message and "\x07" not in message and "<" not in message


async def test_the_client_reports_a_servers_redirect_to_https():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "https://jhe.example.org" + request.url.path + "?x=1"})

    async with JheClient("http://jhe.example.org", "token", transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(Exception) as raised:
            await client.profile()
    assert "the server redirects to https://jhe.example.org/api/v1/users/profile" in raised.value.message
    assert "x=1" not in raised.value.message


@pytest.mark.parametrize("how", ["paste-back", "token"])
async def test_sign_in_reports_a_redirect_to_https(how):
    def answer(request: httpx.Request) -> httpx.Response:  # C1 CSI: header bytes may carry it, ESC they may not
        location = f"https://jhe.example.org{request.url.path}".encode() + b"\x9b2J?next=1"
        return httpx.Response(308, headers=[(b"location", location)])

    signin = SignIn("http://jhe.example.org", "x", transport=httpx.MockTransport(answer),
                    store=TokenStore(os.environ["JHE_TUI_HOME"], use_keyring=False))
    with pytest.raises(LoginFailed) as raised:
        await (signin.start_paste_back() if how == "paste-back" else signin.token("t" * 40))
    assert "the server redirects to https://jhe.example.org/" in raised.value.message
    assert "next=" not in raised.value.message and "\x9b" not in raised.value.message
