"""`jhe-tui --demo --now TIME`: the console's clock starts at TIME and runs on, so a new user can
see the follow-up desk as it will be days after onboarding (who has not connected after 48 hours,
who went quiet); never against a real server, whose records it would misdate on screen."""

from __future__ import annotations

import datetime as dt

import pytest

from jhe_tui.cli import main
from jhe_tui.widgets import clock


@pytest.fixture
def started(monkeypatch, _seeded):
    import shutil

    from jhe_tui.app import JheApp
    from jhe_tui.local import paths

    shutil.copytree(_seeded, paths.demo_data_dir())
    monkeypatch.setattr(clock, "_ahead", dt.timedelta(0))
    apps: list[dt.datetime] = []
    monkeypatch.setattr(JheApp, "run", lambda self, *a, **k: apps.append(clock.now()))
    return apps


def test_the_demo_console_starts_its_clock_at_now(started):
    assert main(["--demo", "--now", "2031-05-06T09:00Z"]) == 0
    (seen,) = started
    wanted = dt.datetime(2031, 5, 6, 9, tzinfo=dt.UTC)
    assert wanted <= seen < wanted + dt.timedelta(minutes=5)  # it runs on from there


@pytest.mark.parametrize("argv, said", [
    (["--server", "https://jhe.example.org", "--now", "2031-05-06T09:00Z"], "only with the demo"),
    (["--demo", "--now", "next tuesday"], "--now must be a time like"),
])
def test_now_elsewhere_or_malformed_is_bad_usage_in_one_sentence(started, capsys, argv, said):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1
    assert started == [] and clock._ahead == dt.timedelta(0)
