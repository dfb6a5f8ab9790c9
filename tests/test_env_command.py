"""Issue 18: `jhe-tui env` hands the signed-in session to notebooks and scripts (a renewed token
where the sign-in can renew), and `whoami --json` says the same as `whoami` for a machine."""

from __future__ import annotations

import io
import json
import os
import subprocess

import httpx
import pytest

from jhe_tui.cli import EXIT_OK, EXIT_USAGE, main
from tests.serving import serve_demo


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    with serve_demo(data / "d", home=data / "home") as printed:
        created = httpx.post(f"{printed['JHE_URL']}/api/v1/practitioner_clients", json={"label": "env"},
                             headers={"Authorization": f"Bearer {printed['JHE_TOKEN']}"})
        assert created.status_code in (200, 201), created.text
        yield {**printed, "KEY": created.json()["key"]}


def _login_with_key(served, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(served["KEY"] + "\n"))
    assert main(["login", "--server", served["JHE_URL"], "--api-key-stdin"]) == EXIT_OK
    capsys.readouterr()


def test_env_prints_a_renewed_token_that_a_shell_can_eval(served, monkeypatch, capsys, isolated_home):
    _login_with_key(served, monkeypatch, capsys)
    before = json.loads(_whoami_json(capsys))["token"]["expires_at"]
    assert main(["env"]) == EXIT_OK
    out = capsys.readouterr().out
    env = subprocess.run(["bash", "-c", f"{out}\nprintf '%s\\n%s' \"$JHE_URL\" \"$JHE_TOKEN\""],
                         capture_output=True, text=True, check=True, env={"PATH": os.environ["PATH"]}).stdout
    url, token = env.split("\n")
    assert url == served["JHE_URL"]
    me = httpx.get(f"{url}/api/v1/users/profile", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    after = json.loads(_whoami_json(capsys))["token"]["expires_at"]
    assert after >= before
    assert main(["env", "--json"]) == EXIT_OK
    found = json.loads(capsys.readouterr().out)
    assert found["JHE_URL"] == served["JHE_URL"] and found["renewed"] is True
    assert found["JHE_TOKEN"] and found["JHE_TOKEN"] != token  # renewed each time, not a stored copy printed again
    me = httpx.get(f"{url}/api/v1/users/profile", headers={"Authorization": f"Bearer {found['JHE_TOKEN']}"})
    assert me.status_code == 200


def _whoami_json(capsys) -> str:
    assert main(["whoami", "--json"]) == EXIT_OK
    return capsys.readouterr().out


def test_whoami_json_never_holds_the_token(served, monkeypatch, capsys, isolated_home):
    _login_with_key(served, monkeypatch, capsys)
    found = json.loads(_whoami_json(capsys))
    assert found["server"] == served["JHE_URL"] and found["generation"] == "demo"
    assert found["user"]["email"] and found["roles"] and {"organization_id", "role"} <= set(found["roles"][0])
    assert found["token"]["method"] == "api-key" and found["token"]["renewable"] is True
    text = json.dumps(found)
    assert served["KEY"] not in text and "access_token" not in text


def test_env_help_says_the_output_is_a_secret(capsys):
    with pytest.raises(SystemExit):
        main(["env", "--help"])
    assert "secret" in capsys.readouterr().out


def test_env_on_the_embedded_demo_says_what_to_do_instead(capsys, isolated_home):
    assert main(["env", "--demo"]) == EXIT_USAGE
    assert "serve-demo" in capsys.readouterr().err
