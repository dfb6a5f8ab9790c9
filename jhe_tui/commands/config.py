"""`jhe-tui config path`: where each of jhe-tui's files lives on this machine, for a user who wants
to edit the profiles, clear the demo data, or tell an administrator what holds patient data."""

from __future__ import annotations

import argparse

from jhe_tui.commands.common import EXIT_OK


def register(sub) -> None:
    config = sub.add_parser("config", help="where jhe-tui keeps its files",
                            description="Show where jhe-tui keeps its files on this machine.")
    what = config.add_subparsers(dest="config_command", metavar="WHAT", required=True)
    path = what.add_parser("path", help="print where each file lives",
                           description="Print where each of jhe-tui's files lives (JHE_TUI_HOME moves them all).")
    path.set_defaults(handler=run_path)


def locations() -> list[tuple[str, str]]:
    from jhe_tui.local import audit, logfile, paths, pin, profiles, screenshots

    return [
        ("profiles", str(profiles.path())),
        ("tokens", f"{paths.state_dir() / 'tokens'} (when there is no OS keyring)"),
        ("pin", str(pin.path())),
        ("audit", str(audit.audit_path())),
        ("journals", str(paths.data_dir() / "import-journals")),
        ("demo", str(paths.demo_data_dir())),
        ("screenshots", str(screenshots.directory())),
        ("log", str(logfile.log_path())),
    ]


def run_path(args: argparse.Namespace) -> int:
    for name, where in locations():
        print(f"{name:<11} {where}")
    return EXIT_OK
