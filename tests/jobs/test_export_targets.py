"""Where an export may write: ``-o -`` streams to the standard output; a device, a FIFO, a
directory or a link to one is refused; the temporary file is a new one of our own, so a link
planted where it would go is never followed (its target keeps its content and mode)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from jhe_tui.api import JheClient, MockTransport
from jhe_tui.cli import main
from jhe_tui.jobs import fhir_bundle
from jhe_tui.jobs.export import ExportFailed, export_observations
from jhe_tui.jobs.imports import write_report
from jhe_tui.jobs.observations import ObservationQuery
from tests.jobs.test_export import fhir_handler

ORG, PATIENT = 20003, 40001
EXPORT = ["export", "observations", "--demo", "--org", str(ORG), "--patient", str(PATIENT)]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def victim(tmp_path: Path) -> Path:
    """A file someone else cares about, readable by others: what a planted link points at."""
    target = tmp_path / "elsewhere" / "victim.txt"
    target.parent.mkdir()
    target.write_text("not yours to overwrite\n")
    target.chmod(0o644)
    return target


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "fhir"])
def test_dash_streams_the_export_to_stdout_with_progress_only_on_stderr(fmt, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fhir_bundle, "utc_now", lambda: datetime(2026, 1, 31, 8, 15, tzinfo=timezone.utc))
    assert main([*EXPORT, "--format", fmt, "-o", str(tmp_path / "file")]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # so the progress bar is drawn
    assert main([*EXPORT, "--format", fmt, "-o", "-"]) == 0
    out, err = capsys.readouterr()
    assert not (tmp_path / "-").exists()
    assert out == (tmp_path / "file").read_text(encoding="utf-8")
    assert "to the standard output" in err and "Exported" in err
    if fmt == "csv":
        assert len(list(csv.reader(io.StringIO(out)))) > 2
    elif fmt == "ndjson":
        assert all(json.loads(line)["resourceType"] == "Observation" for line in out.splitlines())
    else:
        assert json.loads(out)["resourceType"] == "Bundle"


def test_dash_to_a_reader_that_stops_early_is_one_sentence_not_a_traceback(tmp_path):
    """``| head -1``: the pipe closes while the export (megabytes, beyond any pipe buffer) still writes."""
    env = {**os.environ, "JHE_TUI_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "jhe_tui", "export", "observations", "--demo", "--org", str(ORG),
               "--format", "csv", "-o", "-"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout.readline().startswith(b"resource_type,code,")
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait()
    assert code == 1
    assert "Traceback" not in err and "Exception ignored" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jhe-tui: ") and "standard output" in lines[0]


def _special_targets(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    found = {"fifo": fifo, "folder": folder}
    try:  # a device node of its own (/dev/null's numbers), where only root may make one
        os.mknod(tmp_path / "device", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        found["device"] = tmp_path / "device"
    except PermissionError:
        pass
    for name, to in (("link-to-device", Path(os.devnull)), ("link-to-fifo", fifo), ("link-to-folder", folder)):
        found[name] = tmp_path / name
        found[name].symlink_to(to)
    return found


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_target_that_is_not_a_regular_file_is_refused_in_one_sentence(force, tmp_path, capsys):
    targets = _special_targets(tmp_path)
    for name, target in targets.items():
        before = os.lstat(target)
        code = main([*EXPORT, "--format", "csv", "-o", str(target), *(["--force"] if force else [])])
        err = capsys.readouterr().err.strip()
        assert code == 2, name
        assert err.startswith("jhe-tui: ") and "\n" not in err, err
        assert "-o -" in err or "directory" in err, err
        after = os.lstat(target)
        assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode)), name
    assert os.readlink(targets["link-to-device"]) == os.devnull
    assert not list(tmp_path.glob("*.partial"))


def test_dev_stdout_is_refused_and_points_to_dash(capsys):
    """The reported case: as root, ``-o /dev/stdout`` had replaced the /dev/stdout link with a file.
    (Never tried here with --force: a regression would do that to this machine's /dev/stdout.)"""
    before = os.lstat("/dev/stdout")
    assert main([*EXPORT, "--format", "csv", "-o", "/dev/stdout"]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "-o -" in err
    assert os.lstat("/dev/stdout").st_ino == before.st_ino and os.path.islink("/dev/stdout")


def test_a_link_to_a_regular_file_is_refused_even_with_force(tmp_path, capsys):
    """/dev/stdout with the standard output sent to a file is such a link; so is one planted in a
    shared directory to choose which file an export overwrites."""
    target = victim(tmp_path)
    for name, to in (("stdout-like", Path("/proc/self/fd/1")), ("planted", target)):
        link = tmp_path / name
        link.symlink_to(to)
        assert main([*EXPORT, "--format", "csv", "-o", str(link), "--force"]) == 2
        assert "symbolic link" in capsys.readouterr().err
        assert link.is_symlink() and os.readlink(link) == str(to)
    assert target.read_text() == "not yours to overwrite\n" and mode(target) == 0o644


async def test_a_link_planted_at_the_partial_name_is_never_followed(client_for, tmp_path):
    target = victim(tmp_path)
    out = tmp_path / "out.csv"
    planted = tmp_path / "out.csv.partial"
    planted.symlink_to(target)
    async with client_for() as client:
        result = await export_observations(client, ObservationQuery(ORG, patient_id=PATIENT), "csv", out)
    assert target.read_text() == "not yours to overwrite\n" and mode(target) == 0o644
    assert planted.is_symlink() and os.readlink(planted) == str(target)
    assert result.count > 0 and out.read_text().startswith("resource_type,") and mode(out) == 0o600
    assert not out.is_symlink()


async def test_a_failed_export_leaves_a_new_private_partial_file_beside_the_target(tmp_path):
    target = victim(tmp_path)
    out = tmp_path / "hr.csv"
    planted = tmp_path / "hr.csv.partial"
    planted.symlink_to(target)
    payloads = [{"body": {"heart_rate": {"value": 60 + i, "unit": "beats/min"}}} for i in range(5)]
    transport = MockTransport(fhir_handler(payloads, fail_on_page=3))
    async with JheClient("http://jhe.test", "t", transport=transport, max_retries=0) as client:
        with pytest.raises(ExportFailed) as failed:
            await export_observations(client, ObservationQuery(ORG), "csv", out, page_size=1)
    partial = failed.value.partial
    assert partial.parent == tmp_path and partial.name.startswith("hr.csv.") and partial.name.endswith(".partial")
    assert partial != planted and not partial.is_symlink() and mode(partial) == 0o600
    assert str(partial) in str(failed.value)
    assert len(partial.read_text().splitlines()) == 3  # header + 2 rows
    assert target.read_text() == "not yours to overwrite\n" and mode(target) == 0o644
    assert not out.exists()


def test_a_link_planted_at_the_report_temporary_name_is_never_followed(tmp_path):
    target = victim(tmp_path)
    report = tmp_path / "cohort-report.csv"
    planted = tmp_path / ".cohort-report.csv.tmp"
    planted.symlink_to(target)
    write_report(report, [[1, "a@example.com", "created", 40001, "", "", ""]])
    assert target.read_text() == "not yours to overwrite\n" and mode(target) == 0o644
    assert not report.is_symlink() and mode(report) == 0o600
    assert report.read_text().splitlines()[1].startswith("1,a@example.com,created")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [planted.name]
