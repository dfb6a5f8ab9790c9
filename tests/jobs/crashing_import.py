"""`jhe-tui import` that gets a signal the Nth time its job passes a checkpoint: SIGKILL (a crash)
or, with ``:INT``, SIGINT (ctrl+c). How the kill-and-resume tests stop a run at a chosen step,
through the command's ``checkpoint`` parameter (the shipped command passes none).

Usage: python tests/jobs/crashing_import.py POINT:N[:INT] import FILE.csv [options…]
"""

from __future__ import annotations

import os
import signal
import sys

from jhe_tui.cli import build_parser
from jhe_tui.commands import import_patients
from jhe_tui.jobs.imports import CHECKPOINTS, Checkpoint


def signal_at(spec: str) -> Checkpoint:
    point, count, kind = (spec.split(":") + ["1", "KILL"])[:3]
    if point not in CHECKPOINTS:
        raise SystemExit(f"unknown checkpoint {point!r}; one of {', '.join(CHECKPOINTS)}")
    left, number = int(count), signal.SIGINT if kind == "INT" else signal.SIGKILL

    def checkpoint(passed: str) -> None:
        nonlocal left
        if passed == point:
            left -= 1
            if left == 0:
                os.kill(os.getpid(), number)

    return checkpoint


def main(argv: list[str]) -> int:
    spec, *command = argv
    try:
        return import_patients.run(build_parser().parse_args(command), checkpoint=signal_at(spec))
    except KeyboardInterrupt:  # as `jhe_tui.cli.main` ends it
        print("jhe-tui: interrupted.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
