"""`jhe-tui login` takes an access token or an API key without putting it in argv, where every
local user can read it (`ps`, /proc/PID/cmdline): a hidden prompt, stdin or JHE_TOKEN. A secret
that does arrive in argv still works, for scripts, with a warning."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest

from jhe_tui.api.tokens import TokenSet
from jhe_tui.cli import EXIT_OK, main
from tests.serving import serve_demo

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    with serve_demo(data / "d", home=data / "home") as printed:
        created = httpx.post(f"{printed['JHE_URL']}/api/v1/practitioner_clients", json={"label": "secrets"},
                             headers={"Authorization": f"Bearer {printed['JHE_TOKEN']}"})
        assert created.status_code in (200, 201), created.text
        yield {**printed, "KEY": created.json()["key"]}


@pytest.fixture
def prompts(monkeypatch):
    """The hidden prompts shown, answered with the next queued secret."""
    asked: list[str] = []
    answers: list[str] = []

    def getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr("getpass.getpass", getpass)
    return asked, answers


def _stored(isolated_home) -> TokenSet:
    (path,) = (isolated_home / "state" / "tokens").glob("*.json")
    return TokenSet.from_json(path.read_text())


def _signs_in_quietly(served, capsys, *options: str, how: str = "given access token") -> None:
    """Signed in, and nothing on stderr: no warning, since no secret was in argv."""
    assert main(["login", "--server", served["JHE_URL"], *options]) == EXIT_OK
    out, err = capsys.readouterr()
    assert f"with the {how}" in out and err == ""


@pytest.mark.parametrize("given", [["--token"], ["--token", "-"]])
def test_token_without_a_value_or_dash_is_asked_for_hidden(served, prompts, capsys, isolated_home, given):
    asked, answers = prompts
    answers.append(served["JHE_TOKEN"])
    _signs_in_quietly(served, capsys, *given)
    assert len(asked) == 1 and "token" in asked[0].lower()
    assert _stored(isolated_home).access_token == served["JHE_TOKEN"]


@pytest.mark.parametrize(("option", "secret", "how"), [("--token-stdin", "JHE_TOKEN", "given access token"),
                                                       ("--api-key-stdin", "KEY", "practitioner API key")])
def test_a_secret_from_stdin(served, monkeypatch, capsys, isolated_home, option, secret, how):
    monkeypatch.setattr("sys.stdin", io.StringIO(served[secret] + "\n"))
    _signs_in_quietly(served, capsys, option, how=how)
    stored = _stored(isolated_home)
    assert served[secret] in (stored.access_token, stored.api_key)


def test_login_honours_jhe_token(served, monkeypatch, capsys, isolated_home):
    monkeypatch.setenv("JHE_TOKEN", served["JHE_TOKEN"])
    _signs_in_quietly(served, capsys)
    assert _stored(isolated_home).access_token == served["JHE_TOKEN"]


def test_an_explicit_api_key_wins_over_jhe_token(served, monkeypatch, prompts, capsys, isolated_home):
    asked, answers = prompts
    monkeypatch.setenv("JHE_TOKEN", "x" * 40)  # not a valid token: it must not be the one used
    answers.append(served["KEY"])
    _signs_in_quietly(served, capsys, "--api-key", how="practitioner API key")
    assert len(asked) == 1 and "api key" in asked[0].lower()
    assert _stored(isolated_home).api_key == served["KEY"]


@pytest.mark.parametrize(("option", "secret", "how"), [("--token", "JHE_TOKEN", "access token"),
                                                       ("--api-key", "KEY", "API key")])
def test_a_secret_in_argv_still_works_with_a_one_sentence_warning(served, capsys, option, secret, how):
    assert main(["login", "--server", served["JHE_URL"], option, served[secret]]) == EXIT_OK
    out, err = capsys.readouterr()
    assert "Signed in to" in out
    assert err.count("\n") == 1 and err.startswith("jhe-tui: WARNING:")
    assert how in err and "other users" in err and f"{option}-stdin" in err
    assert served[secret] not in err


def test_an_empty_answer_to_the_prompt_stores_nothing(served, prompts, capsys, isolated_home):
    prompts[1].append("")
    assert main(["login", "--server", served["JHE_URL"], "--token"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an access token" in err
    assert not list((isolated_home / "state" / "tokens").glob("*"))


def test_the_readme_shows_only_forms_that_keep_secrets_out_of_argv():
    text = README.read_text()
    assert not re.search(r"--token[ =](?!-stdin)[A-Za-z<]", text)
    assert not re.search(r"--api-key[ =](?!-stdin)[A-Za-z<]", text)
    assert "--token-stdin" in text and "--api-key-stdin" in text
