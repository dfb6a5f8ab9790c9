"""Issue 18: `jhe-tui --help` and `--version` answer at once, because parsing the arguments loads
nothing a command needs only once it runs (the event loop, TLS, the HTTP client, the models, Textual)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("asyncio", "ssl", "socket", "httpx", "pydantic", "textual", "rich", "fastapi", "webbrowser")


def test_parsing_the_arguments_loads_nothing_heavy():
    code = ("import sys, jhe_tui.cli; jhe_tui.cli.build_parser().format_help(); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_version_and_help_answer_without_loading_them():
    code = ("import sys, runpy\nsys.argv = ['jhe-tui', '--version']\n"
            "try:\n    runpy.run_module('jhe_tui', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.startswith("jhe-tui ") and result.stderr.strip() == ""
