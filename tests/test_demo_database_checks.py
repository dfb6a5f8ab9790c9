"""A demo database that is damaged or cannot be written is refused at start, in one sentence
(exit 2), by `serve-demo` and by the in-process demo alike: no traceback, nothing served, and
the file left as it was (never silently replaced) unless --reset asks for a fresh one.

Read-only cases run in a child process. As root, file modes do not bind: root writes a 0444
file in a 0555 directory because of CAP_DAC_OVERRIDE. So when the tests run as root the child
runs without that capability (and without CAP_DAC_READ_SEARCH and CAP_FOWNER), dropped from its
bounding set by `setpriv`: it is still uid 0, owner of the files, and the kernel now checks
their modes exactly as it would for any user. Without root the child simply runs as the user."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jhe_tui.local import paths
from jhe_tui.cli import main

DAMAGES = ["random-bytes", "truncated"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def damage(database: Path, how: str) -> bytes:
    if how == "random-bytes":
        database.write_bytes(random.Random(13).randbytes(64 * 1024))
    else:
        whole = database.read_bytes()
        database.write_bytes(whole[: len(whole) // 2])
    return database.read_bytes()


@pytest.fixture
def demo_copy(_seeded: Path, tmp_path: Path) -> Path:
    """A copy of the seeded demo data directory, 0700 as jhe-tui makes it."""
    data = tmp_path / "demo-data"
    shutil.copytree(_seeded, data)
    data.chmod(0o700)
    return data


@pytest.fixture
def served(monkeypatch) -> list:
    """Stands in for uvicorn: records whether serve-demo got as far as serving."""
    from jhe_tui.commands import serve_demo

    calls: list = []
    monkeypatch.setattr(serve_demo, "_serve", lambda *args: calls.append(args))
    return calls


def one_sentence(err: str) -> str:
    err = err.strip()
    assert err.startswith("jhe-tui: ") and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("how", DAMAGES)
def test_serve_demo_refuses_a_damaged_database_in_one_sentence(how, demo_copy, served, capsys):
    database = demo_copy / "demo.sqlite3"
    before = damage(database, how)
    assert main(["serve-demo", "--data", str(demo_copy), "--port", str(free_port())]) == 2
    out, err = capsys.readouterr()
    err = one_sentence(err)
    assert str(database) in err and "damaged" in err and "--reset" in err
    assert served == [] and "JHE_TOKEN" not in out
    assert database.read_bytes() == before  # not silently replaced by fresh demo data


@pytest.mark.parametrize("how", DAMAGES)
def test_the_in_process_demo_refuses_a_damaged_database_in_one_sentence(how, _seeded, monkeypatch, capsys):
    from jhe_tui.app import JheApp

    data = paths.demo_data_dir()
    shutil.copytree(_seeded, data)
    before = damage(data / "demo.sqlite3", how)
    started = []
    monkeypatch.setattr(JheApp, "run", lambda self, *a, **k: started.append(self))
    for argv in (["whoami", "--demo"], []):  # a command, and the console itself
        assert main(argv) == 2
        assert "damaged" in one_sentence(capsys.readouterr().err)
    assert started == [] and (data / "demo.sqlite3").read_bytes() == before


@pytest.mark.parametrize("how", DAMAGES)
def test_reset_replaces_a_damaged_database(how, demo_copy, served, capsys):
    damage(demo_copy / "demo.sqlite3", how)
    assert main(["serve-demo", "--data", str(demo_copy), "--port", str(free_port()), "--reset"]) == 0
    assert len(served) == 1 and "JHE_TOKEN=" in capsys.readouterr().out


def test_the_backend_says_what_is_wrong_without_sqlite_jargon(demo_copy):
    from jhe_tui.backend import DatabaseUnusable, DemoBackend

    damage(demo_copy / "demo.sqlite3", "random-bytes")
    with pytest.raises(DatabaseUnusable) as refused:
        DemoBackend(demo_copy)
    assert "not an SQLite database" in str(refused.value)


# --- read-only files and directories, in a child process ---------------------------------------

CHILD = (
    "import sys\n"
    "import jhe_tui.commands.serve_demo as serve_demo\n"
    "serve_demo._serve = lambda *args: print('SERVING')\n"
    "from jhe_tui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def run_bound_by_file_modes(argv: list[str], home: Path) -> subprocess.CompletedProcess:
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot be made to bind")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
    env = {**os.environ, "JHE_TUI_HOME": str(home), "JHE_TUI_KEYRING": "0"}
    env.pop("JHE_URL", None)
    done = subprocess.run([*prefix, sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, env=env)
    if prefix and "Operation not permitted" in done.stderr and "setpriv" in done.stderr:
        pytest.skip("this root cannot drop capabilities (no CAP_SETPCAP)")
    return done


def make_read_only(data: Path, what: str) -> Path:
    if what == "file":
        (data / "demo.sqlite3").chmod(0o444)
        return data / "demo.sqlite3"
    data.chmod(0o500)
    return data


@pytest.fixture
def writable_again():
    """Restores write permission so tmp_path can be removed."""
    made: list[Path] = []
    yield made
    for path in made:
        path.chmod(0o700 if path.is_dir() else 0o600)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_serve_demo_refuses_a_read_only_database_or_directory(what, demo_copy, tmp_path, writable_again):
    database = demo_copy / "demo.sqlite3"
    before = database.read_bytes()
    writable_again.append(make_read_only(demo_copy, what))
    done = run_bound_by_file_modes(["serve-demo", "--data", str(demo_copy), "--port", str(free_port())],
                                   tmp_path / "home")
    err = one_sentence(done.stderr)
    assert done.returncode == 2 and "SERVING" not in done.stdout and "JHE_TOKEN" not in done.stdout
    assert ("read-only" in err or "cannot be written" in err) and str(writable_again[0]) in err
    assert database.read_bytes() == before


@pytest.mark.parametrize("what", ["file", "directory"])
def test_the_in_process_demo_refuses_a_read_only_database_or_directory(what, _seeded, tmp_path, writable_again):
    home = tmp_path / "home"
    data = home / "data" / "demo"
    shutil.copytree(_seeded, data)
    for level in (home, home / "data", data):
        level.chmod(0o700)
    writable_again.append(make_read_only(data, what))
    done = run_bound_by_file_modes(["whoami", "--demo"], home)
    err = one_sentence(done.stderr)
    assert done.returncode == 2 and ("read-only" in err or "cannot be written" in err)


def test_a_directory_where_a_database_cannot_be_created_is_refused(tmp_path, writable_again):
    data = tmp_path / "empty"
    data.mkdir(mode=0o500)
    writable_again.append(data)
    done = run_bound_by_file_modes(["serve-demo", "--data", str(data), "--port", str(free_port())], tmp_path / "home")
    err = one_sentence(done.stderr)
    assert done.returncode == 2 and str(data) in err and "SERVING" not in done.stdout
