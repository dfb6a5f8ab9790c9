"""The command line around a slow server: `serve-demo --page-delay` refuses nonsense, and the
export's one line saying that the server, not this machine, is the limit appears only for slow
pages and once enough of them were timed."""

from __future__ import annotations

import pytest

from jhe_tui.api.watch import Outcome
from jhe_tui.cli import main
from jhe_tui.commands.export import server_is_the_limit
from jhe_tui.jobs.pacing import Pacing


@pytest.mark.parametrize("delay", ["-1", "4000"])
def test_serve_demo_refuses_a_page_delay_out_of_range(capsys, delay):
    assert main(["serve-demo", "--page-delay", delay]) == 2
    assert "--page-delay must be between 0 and 3600 seconds" in capsys.readouterr().err


def test_the_server_is_named_as_the_limit_only_when_its_pages_are_slow():
    fast, slow = Pacing(), Pacing()
    assert server_is_the_limit(slow) is None
    for _ in range(5):
        fast.heard(Outcome(200), 0.01)
    for seconds in (8.0, 8.1):
        slow.heard(Outcome(200), seconds)
    assert server_is_the_limit(fast) is None and server_is_the_limit(slow) is None  # two pages say little
    slow.heard(Outcome(200), 8.3)
    line = server_is_the_limit(slow)
    assert line is not None and "8.1 s" in line and "as many at once as it serves" in line and "the server is the limit" in line
