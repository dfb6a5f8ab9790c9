"""The backend meets the client only over HTTP: it must not pull in the UI or the API client."""

from __future__ import annotations

import subprocess
import sys


def test_backend_imports_neither_textual_nor_the_api_client() -> None:
    code = (
        "import sys, jhe_tui.backend, jhe_tui.backend.app, jhe_tui.backend.served\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'jhe_tui.api')))\n"
        "print(bad); raise SystemExit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
