"""Kill `jhe-tui import` with SIGKILL at several points, rerun the same command, and check on the
server that every row was onboarded exactly once. The processes share the demo database through
JHE_TUI_HOME, as two runs of the command on one machine do. The runs killed at a chosen step are
started by ``crashing_import.py``, which hands the command a checkpoint that kills it there."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from jhe_tui.backend import DemoBackend
from jhe_tui.backend.tokens import digest

from .conftest import ORG, STUDY, Server

ROWS = 24
LAUNCHER = Path(__file__).with_name("crashing_import.py")


def _command(csv_path: Path, *options: str, crash: str | None = None) -> list[str]:
    start = [sys.executable, str(LAUNCHER), crash] if crash else [sys.executable, "-m", "jhe_tui"]
    return [*start, "import", str(csv_path), "--demo", "--org", str(ORG), "--study", str(STUDY), "--invite",
            "--concurrency", "3", *options]


def _cohort(tmp_path: Path, prefix: str, rows: int = ROWS) -> Path:
    csv_path = tmp_path / "cohort.csv"
    lines = ["email,last_name,first_name,dob"] + [
        f"{prefix}{i}@example.org,Family{i},Given{i},1975-03-{1 + i % 28:02d}" for i in range(rows)]
    csv_path.write_text("\n".join(lines) + "\n")
    return csv_path


def _environment(_seeded: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    shutil.copytree(_seeded, home / "data" / "demo")
    env = {**os.environ, "JHE_TUI_HOME": str(home)}
    env.pop("JHE_URL", None)
    env.pop("JHE_TOKEN", None)
    return home, env


def test_kill_and_resume_onboards_every_row_exactly_once(_seeded, tmp_path):
    home, env = _environment(_seeded, tmp_path)
    csv_path = _cohort(tmp_path, "kill")
    journals = home / "data" / "import-journals"

    # Each run dies at a different moment: after journaling an intent, after the server created
    # the patient but before the journal knew, after the patient step, after an enrolment, after
    # an invitation, after journaling one; then one killed from outside at an arbitrary instant.
    for point in ("after-intent:2", "after-create:3", "after-patient:2", "after-enroll:2", "after-invite:3",
                  "after-invite-intent:2"):
        run = subprocess.run(_command(csv_path, crash=point), env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == -signal.SIGKILL, (point, run.stderr)
    process = subprocess.Popen(_command(csv_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    journal = None
    while time.monotonic() < deadline and process.poll() is None:
        found = list(journals.glob("*.jsonl"))
        if found and found[0].read_text().count("\n") > 40:
            journal = found[0]
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert journal is not None

    final = subprocess.run(_command(csv_path), env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    assert "Resuming from the journal" in final.stderr

    report = list(csv.DictReader((tmp_path / "cohort-report.csv").open()))
    assert [r["outcome"] for r in report] == ["created"] * ROWS
    server = Server(DemoBackend(home / "data" / "demo"))
    for line in report:
        patient_ids = server.patients_with_email(line["email"])
        assert patient_ids == [int(line["patient_id"])]
        assert server.users_with_email(line["email"]) == 1
        assert server.organizations_of(patient_ids[0]) == {ORG}
        assert server.enrolments(patient_ids[0]) == [STUDY]
        assert line["enrolled"] == "yes" and line["invitation_link"]
        # A link issued just before a kill reached nobody (it is in no report), so the rerun
        # issued it again: the report's link is the patient's one valid invitation.
        (current,) = server.rows("SELECT code_hash FROM invitation WHERE patient_id = ? AND status = 'issued'",
                                 patient_ids[0])
        assert digest(line["invitation_link"].rsplit("%7C", 1)[1]) == current[0]
    assert server.rows("SELECT count(*) FROM outbox")[0][0] == 0


def test_kill_while_e_mailing_invitations_and_resume_mails_each_patient_once(_seeded, tmp_path):
    home, env = _environment(_seeded, tmp_path)
    csv_path = _cohort(tmp_path, "mailed")
    for point in ("after-invite:2", "after-invite-intent:2", "after-invite:3"):
        run = subprocess.run(_command(csv_path, "--send-email", crash=point), env=env, capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == -signal.SIGKILL, (point, run.stderr)
    final = subprocess.run(_command(csv_path, "--send-email"), env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr

    report = list(csv.DictReader((tmp_path / "cohort-report.csv").open()))
    assert [r["outcome"] for r in report] == ["created"] * ROWS
    # The rows killed after the call were found on the server, not mailed again (at least the two
    # the crash points chose; other rows' calls may have been in flight too).
    (journal,) = (home / "data" / "import-journals").glob("*.jsonl")
    assert journal.read_text().count('"found":') >= 2
    server = Server(DemoBackend(home / "data" / "demo"))
    mailed = dict(server.rows("SELECT lower(to_address), count(*) FROM outbox GROUP BY lower(to_address)"))
    assert mailed == {r["email"]: 1 for r in report}


def test_ctrl_c_writes_the_report_of_every_row_and_a_rerun_finishes(_seeded, tmp_path):
    home, env = _environment(_seeded, tmp_path)
    csv_path = _cohort(tmp_path, "ctrlc")
    stopped = subprocess.run(_command(csv_path, crash="after-patient:5:INT"), env=env, capture_output=True,
                             text=True, timeout=60)
    assert stopped.returncode == 1, stopped.stderr
    assert "Interrupted: " in stopped.stderr and "not finished" in stopped.stderr
    assert f"Report: {tmp_path / 'cohort-report.csv'}" in stopped.stderr
    assert "Run the same command again to finish" in stopped.stderr
    report = list(csv.DictReader((tmp_path / "cohort-report.csv").open()))
    assert len(report) == ROWS
    unfinished = [r for r in report if r["message"].startswith("not finished: the import was interrupted")]
    assert unfinished and all(r["outcome"] == "failed" for r in unfinished)

    final = subprocess.run(_command(csv_path), env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    report = list(csv.DictReader((tmp_path / "cohort-report.csv").open()))
    assert [r["outcome"] for r in report] == ["created"] * ROWS
    server = Server(DemoBackend(home / "data" / "demo"))
    assert all(server.patients_with_email(r["email"]) == [int(r["patient_id"])] for r in report)
