"""E-mails per patient after an import killed many times: `jhe-tui import --invite --send-email`
of ROWS new patients against `jhe-tui serve-demo`, SIGKILLed KILLS times at seeded moments (once
its journal has grown by a random number of lines, so the kills land on every step, invitation
calls included), then run once more to the end. The demo's outbox holds every e-mail the server
sent; each patient should have exactly one.

Usage: python benchmarks/bench_import_kills.py [--rows 400] [--kills 16] [--seed 7] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ORG = 20003
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from processes import serve_demo  # noqa: E402  (a sibling script, not a package)


def journal_lines(home: Path) -> int:
    found = list((home / "data" / "import-journals").glob("*.jsonl"))
    return found[0].read_bytes().count(b"\n") if found else 0


def interrupted_invitations(home: Path) -> tuple[int, int]:
    """From the journal: invitations a kill left without a result that a later run found on the
    server (so sent nothing), and those it found absent (so sent then)."""
    (path,) = (home / "data" / "import-journals").glob("*.jsonl")
    intents: Counter[str] = Counter()
    found = 0
    for line in path.read_text().splitlines()[1:]:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the line a kill tore
        if record.get("s") == "inviting":
            intents[record["k"]] += 1
        found += record.get("s") == "invited" and "found" in record
    return found, sum(n - 1 for n in intents.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--kills", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="jhe-kills-") as work:
        work_dir = Path(work)
        data, home = work_dir / "demo", work_dir / "home"
        cohort = work_dir / "cohort.csv"
        with cohort.open("w") as handle:
            handle.write("email,last_name,first_name,dob\n")
            for i in range(args.rows):
                handle.write(f"killed{i}@example.org,Family{i},Given{i},1970-01-{1 + i % 28:02d}\n")
        server, url, token = serve_demo("--data", str(data))
        try:
            env = {**os.environ, "JHE_URL": url, "JHE_TOKEN": token, "JHE_TUI_HOME": str(home)}
            command = [sys.executable, "-m", "jhe_tui", "import", str(cohort), "--org", str(ORG), "--invite",
                       "--send-email", "--concurrency", str(args.concurrency)]
            kills = 0
            while kills < args.kills:
                target = journal_lines(home) + rng.randint(10, 6 * args.rows // args.kills)
                process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while process.poll() is None and journal_lines(home) < target:
                    time.sleep(0.002)
                if process.poll() is not None:
                    print(f"the import finished before kill {kills + 1}; use more --rows or fewer --kills")
                    break
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
            final = subprocess.run(command, env=env, capture_output=True, text=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
        conn = sqlite3.connect(data / "demo.sqlite3")
        per_patient = Counter(dict(conn.execute(
            "SELECT lower(to_address), count(*) FROM outbox WHERE to_address LIKE 'killed%' GROUP BY 1")))
        conn.close()
        report = list(csv.DictReader((work_dir / "cohort-report.csv").open()))
        found, absent = interrupted_invitations(home)

    spread = Counter(per_patient.get(f"killed{i}@example.org", 0) for i in range(args.rows))
    print(f"{args.rows} rows, {kills} SIGKILLs, then a last run (exit {final.returncode})")
    print(f"e-mails sent: {sum(per_patient.values())}; patients by e-mails received: "
          + ", ".join(f"{n}: {spread[n]}" for n in sorted(spread)))
    print(f"report: {dict(Counter(r['outcome'] for r in report))}; invitations a kill interrupted: {found} found "
          f"on the server (not sent again), {absent} not issued (sent by the next run)")
    return 0 if spread == {1: args.rows} else 1


if __name__ == "__main__":
    sys.exit(main())
