"""The command line: names from design.md, one-sentence errors, the contract's exit codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from jhe_tui.cli import EXIT_OK, EXIT_USAGE, build_parser, main

DESIGN_COMMANDS = ["serve-demo", "login", "logout", "whoami", "import", "export"]


def test_help_lists_every_command_of_the_design():
    text = build_parser().format_help()
    for command in DESIGN_COMMANDS:
        assert f"\n  {command}" in text, command


def test_server_options_work_before_and_after_the_command():
    parser = build_parser()
    assert parser.parse_args(["--server", "https://a.example", "whoami"]).server == "https://a.example"
    assert parser.parse_args(["whoami", "--server", "https://b.example"]).server == "https://b.example"


def test_whoami_on_the_demo_prints_user_and_roles(capsys):
    assert main(["whoami", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "embedded demo backend" in out
    assert "manager" in out
    assert "User:" in out


def test_whoami_with_a_server_but_no_token_is_a_usage_error(capsys):
    assert main(["whoami", "--server", "https://jhe.example.org"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "JHE_TOKEN" in err
    assert "Traceback" not in err


def test_a_server_address_without_scheme_is_refused(capsys):
    assert main(["whoami", "--server", "jhe.example.org"]) == EXIT_USAGE
    assert "http://" in capsys.readouterr().err


def test_unreachable_server_is_one_sentence_and_exit_1(monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("JHE_TOKEN", "not-a-real-token")
    code = main(["whoami", "--server", f"http://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", ["login", "logout"])
def test_login_and_logout_without_a_server_ask_which(command, capsys):
    assert main([command]) == EXIT_USAGE
    assert "Which server?" in capsys.readouterr().err


def test_import_of_a_missing_file_is_bad_usage(capsys, tmp_path):
    assert main(["import", str(tmp_path / "x.csv"), "--org", "1"]) == EXIT_USAGE
    assert "x.csv does not exist" in capsys.readouterr().err


def test_serve_demo_refuses_a_busy_port(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve-demo", "--port", str(port)]) == EXIT_USAGE
    assert "already in use" in capsys.readouterr().err


def test_module_entry_point_shows_help():
    result = subprocess.run(
        [sys.executable, "-m", "jhe_tui", "--help"], capture_output=True, text=True, check=True
    )
    assert "serve-demo" in result.stdout


def test_serve_demo_scale_alone_or_with_a_patient_count(capsys):
    parser = build_parser()
    assert parser.parse_args(["serve-demo"]).scale is False
    assert parser.parse_args(["serve-demo", "--scale"]).scale is True
    assert parser.parse_args(["serve-demo", "--scale", "5000"]).scale == 5000
    assert main(["serve-demo", "--scale", "50"]) == EXIT_USAGE
    assert "at least 2,000 patients" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "33"])
def test_serve_demo_refuses_a_worker_count_out_of_range(workers, capsys):
    assert main(["serve-demo", "--workers", workers]) == EXIT_USAGE
    assert "--workers must be between 1 and 32." in capsys.readouterr().err


@pytest.mark.parametrize(("cpus", "workers"), [(None, 1), (1, 1), (2, 2), (16, 2)])
def test_serve_demo_serves_with_two_workers_unless_there_is_one_cpu(monkeypatch, cpus, workers):
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert build_parser().parse_args(["serve-demo"]).workers == workers


def test_config_path_names_every_file_under_jhe_tui_home(isolated_home, capsys):
    """Issue 18: `jhe-tui config path` says where each file lives (and writes none of them)."""
    assert main(["config", "path"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == ["profiles", "tokens", "pin", "audit", "journals", "demo", "screenshots", "log"]
    assert all(str(isolated_home) in line for line in lines)
    written = [p.name for p in isolated_home.rglob("*") if p.is_file()]
    assert written in ([], ["jhe-tui.log"])  # every command opens the request log; nothing else
