"""Kill `jhe-tui import` with SIGKILL at several points, rerun the same command, and check on the
server that every row was onboarded exactly once. The processes share the demo database through
JHE_TUI_HOME, as two runs of the command on one machine do."""

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

from .conftest import ORG, STUDY, Server

ROWS = 24


def _command(csv_path: Path) -> list[str]:
    return [sys.executable, "-m", "jhe_tui", "import", str(csv_path), "--demo", "--org", str(ORG),
            "--study", str(STUDY), "--invite", "--concurrency", "3"]


def test_kill_and_resume_onboards_every_row_exactly_once(_seeded, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(_seeded, home / "data" / "demo")
    csv_path = tmp_path / "cohort.csv"
    lines = ["email,last_name,first_name,dob"] + [
        f"kill{i}@example.org,Family{i},Given{i},1975-03-{1 + i % 28:02d}" for i in range(ROWS)]
    csv_path.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "JHE_TUI_HOME": str(home)}
    env.pop("JHE_URL", None)
    env.pop("JHE_TOKEN", None)
    journals = home / "data" / "import-journals"

    # Each run dies at a different moment: after journaling an intent, after the server created
    # the patient but before the journal knew, after the patient step, after an enrolment, after
    # an invitation; then one killed from outside at an arbitrary instant.
    for point in ("after-intent:2", "after-create:3", "after-patient:2", "after-enroll:2", "after-invite:3"):
        run = subprocess.run(_command(csv_path), env={**env, "JHE_TUI_IMPORT_CRASH": point},
                             capture_output=True, text=True, timeout=60)
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
        # A link issued just before a kill, and not yet journaled, is issued again on the rerun
        # (the later one is the valid one): at most two per patient, one for all others.
        issued = server.rows("SELECT count(*) FROM invitation WHERE patient_id = ?", patient_ids[0])[0][0]
        assert 1 <= issued <= 2
    twice = sum(server.rows("SELECT count(*) > 1 FROM invitation WHERE patient_id = ?",
                            int(line["patient_id"]))[0][0] for line in report)
    assert twice <= 2
