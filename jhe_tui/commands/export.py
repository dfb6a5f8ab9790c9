"""`jhe-tui export observations`: CSV, NDJSON or a FHIR Bundle."""

from __future__ import annotations

from pathlib import Path

from jhe_tui.commands.common import add_server_options, not_yet


def register(sub) -> None:
    exp = sub.add_parser("export", help="export observations")
    exp.add_argument("what", choices=["observations"])
    exp.add_argument("--org", type=int, required=True, metavar="ID")
    exp.add_argument("--study", type=int, metavar="ID")
    exp.add_argument("--patient", type=int, metavar="ID")
    exp.add_argument("--code", metavar="CODE")
    exp.add_argument("--since", metavar="DATE")
    exp.add_argument("--until", metavar="DATE")
    exp.add_argument("--format", choices=["csv", "ndjson", "fhir"], required=True)
    exp.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    exp.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_server_options(exp)
    exp.set_defaults(handler=not_yet)
