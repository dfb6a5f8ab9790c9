"""Every directory jhe-tui creates is 0700 at every level, whatever the umask; an existing
directory for tokens, journals or the audit log that others can write is repaired when it is
ours (said once) and refused in one sentence when it is someone else's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jhe_tui.local import audit, logfile, paths, pin, profiles
from jhe_tui.api.tokens import TokenSet, TokenStore
from jhe_tui.cli import main

ORG = 20003


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_000():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


XDG = {"XDG_CONFIG_HOME": ".config", "XDG_DATA_HOME": ".local/share", "XDG_STATE_HOME": ".local/state",
       "XDG_CACHE_HOME": ".cache"}


@pytest.fixture(params=["HOME", "XDG"])
def xdg_home(request, tmp_path, monkeypatch) -> Path:
    """No JHE_TUI_HOME: the platform's own places (~/.local/share/jhe-tui, ...) under a HOME in
    tmp_path, or under XDG_*_HOME variables naming the same places; none exists yet."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    monkeypatch.delenv("JHE_TUI_HOME")
    monkeypatch.setenv("HOME", str(home))
    for name, place in XDG.items():
        if request.param == "XDG":
            monkeypatch.setenv(name, str(home / place))
        else:
            monkeypatch.delenv(name, raising=False)
    yield home
    logfile.stop_log()


def created_levels(home: Path) -> dict[str, int]:
    return {str(p.relative_to(home)): mode(p) for p in sorted(home.rglob("*")) if p.is_dir()}


def _audit_entry() -> audit.ConsentAudit:
    return audit.ConsentAudit(action="revoke", practitioner_id=1, practitioner_email="p@example.com",
                              server="http://demo", patient_id=40001, study_id=30001,
                              scope_code="omh:blood-glucose:4.0", attestation="asked in clinic")


def test_every_level_created_under_umask_000_is_0700(umask_000, xdg_home, tmp_path, capsys):
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("email,last_name,first_name,dob\numask@example.com,Mask,Una,1980-01-02\n")
    assert main(["import", str(cohort), "--demo", "--org", str(ORG)]) == 0  # demo data, journal, report
    audit.record_consent(_audit_entry())
    pin.save("4321")
    profiles.save(profiles.load())
    TokenStore(paths.state_dir(), use_keyring=False).save("demo", TokenSet(access_token="a"))
    levels = created_levels(xdg_home)
    expected_dirs = [".local", ".local/share", ".local/share/jhe-tui", ".local/share/jhe-tui/demo",
                     ".local/share/jhe-tui/import-journals", ".local/state", ".local/state/jhe-tui",
                     ".local/state/jhe-tui/tokens", ".config", ".config/jhe-tui"]
    assert set(expected_dirs) <= set(levels), levels
    assert {name: m for name, m in levels.items() if m != 0o700} == {}
    assert mode(paths.data_dir() / audit.AUDIT_FILE) == 0o600
    assert "could be changed by other users" not in capsys.readouterr().err  # nothing needed repair


def test_jhe_tui_home_levels_created_under_umask_000_are_0700(umask_000, tmp_path, monkeypatch):
    home = tmp_path / "not" / "there" / "yet"
    monkeypatch.setenv("JHE_TUI_HOME", str(home))
    paths.private_dir(paths.demo_data_dir())
    for level in (tmp_path / "not", tmp_path / "not" / "there", home, home / "data", home / "data" / "demo"):
        assert mode(level) == 0o700, level


def test_a_report_directory_created_under_umask_000_is_0700(umask_000, tmp_path):
    from jhe_tui.jobs.imports import write_report

    report = tmp_path / "reports" / "2026" / "cohort-report.csv"
    write_report(report, [])
    assert mode(tmp_path / "reports") == mode(tmp_path / "reports" / "2026") == 0o700
    assert mode(report) == 0o600


def test_our_world_writable_data_directory_is_repaired_and_said_once(tmp_path, monkeypatch, capsys):
    """The state a umask 000 run of an earlier version left: the audit log's directory drwxrwxrwx."""
    data = paths.data_dir()
    data.mkdir(parents=True)
    data.chmod(0o777)
    audit.record_consent(_audit_entry())
    err = capsys.readouterr().err.strip().splitlines()
    assert mode(data) == 0o700
    assert len(err) == 1 and str(data) in err[0] and "0777" in err[0] and "now 0700" in err[0]
    audit.record_consent(_audit_entry())
    assert capsys.readouterr().err == ""


def test_a_group_writable_level_between_the_root_and_the_leaf_is_repaired(tmp_path, capsys):
    """The journals live in data/import-journals: a loose data directory above them is repaired too."""
    data = paths.data_dir()
    (data / "import-journals").mkdir(parents=True, mode=0o700)
    data.chmod(0o775)
    paths.private_dir(data / "import-journals")
    assert mode(data) == 0o700
    assert str(data) in capsys.readouterr().err


def test_a_world_writable_token_directory_is_repaired(tmp_path, capsys):
    tokens = paths.state_dir() / "tokens"
    tokens.mkdir(parents=True)
    tokens.chmod(0o777)
    TokenStore(paths.state_dir(), use_keyring=False).save("demo", TokenSet(access_token="a"))
    assert mode(tokens) == 0o700 and mode(tokens / "demo.json") == 0o600
    assert str(tokens) in capsys.readouterr().err


def test_a_writable_directory_of_someone_else_is_refused_in_one_sentence(tmp_path, monkeypatch, capsys):
    data = paths.data_dir()
    data.mkdir(parents=True)
    data.chmod(0o777)
    someone_else = os.geteuid() + 1
    monkeypatch.setattr(os, "geteuid", lambda: someone_else)
    with pytest.raises(paths.UnsafeDirectory) as refused:
        audit.record_consent(_audit_entry())
    message = str(refused.value)
    assert str(data) in message and "another user" in message and "\n" not in message
    assert isinstance(refused.value, OSError) and refused.value.strerror == message  # what callers show
    assert mode(data) == 0o777 and not (data / audit.AUDIT_FILE).exists()
    # The CLI says it in one sentence and exits 2 (the demo's data lives under the same directory).
    assert main(["whoami", "--demo"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jhe-tui: ") and "\n" not in err and "another user" in err


def test_the_log_rotates_and_every_file_stays_private(isolated_home, monkeypatch):
    """Issue 18: the log rotates (RotatingFileHandler); the files it rotates to are 0600 too."""
    import logging

    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    logfile.start_log()
    try:
        for n in range(200):
            logging.getLogger("jhe_tui.api").info("GET /api/v1/patients/{id} 200 %d", n)
    finally:
        logfile.stop_log()
    files = sorted(logfile.log_path().parent.glob("jhe-tui.log*"))
    assert [f.name for f in files] == ["jhe-tui.log", "jhe-tui.log.1", "jhe-tui.log.2", "jhe-tui.log.3"]
    assert all(f.stat().st_size <= 2100 for f in files)
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
