"""`jhe-tui import`: bulk onboarding from a CSV file."""

from __future__ import annotations

from pathlib import Path

from jhe_tui.commands.common import add_server_options, not_yet


def register(sub) -> None:
    imp = sub.add_parser("import", help="bulk-onboard patients from a CSV file")
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--org", type=int, required=True, metavar="ID")
    imp.add_argument("--study", type=int, metavar="ID")
    imp.add_argument("--invite", action="store_true")
    imp.add_argument("--send-email", action="store_true")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--concurrency", type=int, default=4, metavar="N")
    imp.add_argument("--journal", type=Path, metavar="FILE")
    imp.add_argument("--report", type=Path, metavar="FILE")
    add_server_options(imp)
    imp.set_defaults(handler=not_yet)
