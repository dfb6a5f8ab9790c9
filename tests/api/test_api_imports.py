"""Layering rules of the client package."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

API_DIR = Path(__file__).resolve().parents[2] / "jhe_tui" / "api"


def test_client_imports_neither_textual_nor_the_backend():
    code = (
        "import sys, jhe_tui.api, jhe_tui.api.client; "
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'jhe_tui.backend'))]; "
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=API_DIR.parents[1]
    )
    assert result.stdout.strip() == "[]"


def test_only_http_module_names_httpx():
    importers = sorted(
        path.name for path in API_DIR.glob("*.py") if re.search(r"^\s*(import|from)\s+httpx\b", path.read_text(), re.M)
    )
    assert importers == ["http.py"]
