"""The layer rules of design.md, checked the way harlequin does: import each lower layer
in a fresh interpreter and look at what got loaded."""

import subprocess
import sys

import pytest

FORBIDDEN = {
    "jhe_tui.api": ["textual", "jhe_tui.backend", "fastapi"],
    "jhe_tui.jobs": ["textual", "jhe_tui.backend", "fastapi"],
    "jhe_tui.backend": ["textual", "jhe_tui.api"],
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_load_forbidden_modules(package):
    forbidden = FORBIDDEN[package]
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(mod.name)\n"
        f"bad = [m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in {forbidden!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"{package} loaded {result.stdout.strip()}"


def test_ui_never_touches_httpx_or_backend_directly():
    """Screens and widgets go through JheClient; they never build requests themselves."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "jhe_tui"
    offenders = []
    for path in [root / "app.py", *root.glob("screens/**/*.py"), *root.glob("widgets/**/*.py")]:
        if not path.exists():
            continue
        text = path.read_text()
        for needle in ("import httpx", "from httpx", "jhe_tui.backend", "jhe_tui.api.http"):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []
