"""An unexpected exception in the console: one sentence on the terminal, a traceback without local
variables (which may hold patient data or tokens) in the log, and nothing secret in either."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jhe_tui.local import logfile
from jhe_tui.app import JheApp

SECRET = "Quartzfield-1977-07-17-tok_9f8e7d"


async def test_an_unexpected_error_is_one_sentence_and_a_log_without_locals(make_app, settle, monkeypatch, capsys):
    def explode(self: JheApp) -> None:
        patient_name = SECRET  # a local that Textual's own crash report would print
        raise RuntimeError(f"cannot show {patient_name}")

    monkeypatch.setattr(JheApp, "action_toggle_privacy", explode)
    logfile.start_log()
    app = make_app()
    try:
        with pytest.raises(RuntimeError):
            async with app.run_test(size=(100, 30)) as pilot:
                await settle(pilot)
                await pilot.press("f9")
                await pilot.pause()
    finally:
        logfile.stop_log()
    assert app.return_code == 1
    shown = capsys.readouterr()
    assert SECRET not in shown.err + shown.out and "Traceback" not in shown.err
    assert shown.err.strip() == ""  # the command prints the one sentence once the terminal is back
    assert app.crash_message == (
        f"jhe-tui stopped on an unexpected error (RuntimeError); the details are in {logfile.log_path()}."
    )
    log = (Path(os.environ["JHE_TUI_HOME"]) / "log" / logfile.LOG_NAME).read_text()
    assert "RuntimeError" in log and "in explode" in log and "test_crash_message.py" in log
    assert SECRET not in log and "patient_name" not in log
