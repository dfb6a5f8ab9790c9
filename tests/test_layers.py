"""The layer rules of design.md: import-linter contracts (pyproject.toml), each lower layer imported
in a fresh interpreter the way harlequin checks its headless core, and what no import graph shows:
endpoint paths written outside the client, and one layer reaching into another's private names."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
ROOT = PROJECT / "jhe_tui"
MODULES = sorted(path for path in ROOT.rglob("*.py"))

FORBIDDEN = {
    "jhe_tui.api": ["textual", "jhe_tui.backend", "fastapi"],
    "jhe_tui.jobs": ["textual", "jhe_tui.backend", "fastapi"],
    "jhe_tui.backend": ["textual", "jhe_tui.api"],
    "jhe_tui.local": ["textual", "httpx", "jhe_tui.api", "jhe_tui.jobs", "jhe_tui.backend"],
}


def name(path: Path) -> str:
    """The module's path in the package (a file elsewhere, in a test of the checks: its name)."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def test_import_linter_contracts_hold():
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache", "--config", str(PROJECT / "pyproject.toml")],
        capture_output=True, text=True, cwd=PROJECT,
    )
    assert result.returncode == 0, result.stdout[result.stdout.find("Contracts"):] + result.stderr
    assert "0 broken" in result.stdout


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


def ui_modules() -> list[Path]:
    """The console's modules: the App and what it is made of, and any other module that imports
    Textual (so a new one is covered without being listed)."""
    named = {"app.py", "session_guard.py", "privacy.py", "console_app.py", "textual_shims.py"}
    lower = ("api/", "jobs/", "backend/", "local/")
    return [
        path for path in MODULES
        if name(path) in named or name(path).startswith(("screens/", "dialogs/", "widgets/"))
        or (not name(path).startswith(lower) and re.search(r"^\s*(from|import) textual\b", path.read_text(), re.M))
    ]


def test_ui_modules_are_found():
    found = {name(path) for path in ui_modules()}
    assert {"app.py", "session_guard.py", "screens/patients.py", "dialogs/confirm.py", "widgets/table.py"} <= found


def test_ui_never_touches_httpx_the_session_or_the_backend():
    """Screens, dialogs, widgets, the App and its guard go through JheClient and ``SignIn``; they
    never build requests themselves."""
    offenders = []
    for path in ui_modules():
        text = path.read_text()
        for needle in ("import httpx", "from httpx", "jhe_tui.backend", "jhe_tui.api.http", "jhe_tui.api.session"):
            if needle in text:
                offenders.append(f"{name(path)}: {needle}")
    assert offenders == []


# --- endpoints -----------------------------------------------------------------------------------

ENDPOINT = re.compile(r"/(?:api/v1|fhir|FHIR)(?=[/?]|$)|/o/")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def endpoint_literals(path: Path) -> list[str]:
    """The string literals (f-string parts included, docstrings not) that name a JHE path."""
    tree = ast.parse(path.read_text())
    docstrings = _docstrings(tree)
    found = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        and ENDPOINT.search(node.value)
    ]
    return [f"{name(path)}:{node.lineno}: {node.value!r}" for node in sorted(found, key=lambda n: n.lineno)]


def test_endpoint_paths_are_written_only_in_the_client_and_the_backend():
    """What an endpoint is belongs to ``jhe_tui/api`` (and the backend that serves it)."""
    outside = [path for path in MODULES if not name(path).startswith(("api/", "backend/"))]
    assert [hit for path in outside for hit in endpoint_literals(path)] == []


def test_the_endpoint_check_sees_paths_in_f_strings_but_not_media_types_or_docstrings(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""GET /api/v1/patients is logged."""\n'
                      'A = f"{url}/o/token/"\nB = "application/fhir+json"\nC = "/FHIR/R5"\nD = "/fhir"\n')
    assert endpoint_literals(sample) == [
        "sample.py:2: '/o/token/'", "sample.py:4: '/FHIR/R5'", "sample.py:5: '/fhir'",
    ]


# --- private names -------------------------------------------------------------------------------


def _private_members(*modules: str) -> set[str]:
    """The private names these ``jhe_tui/api`` modules define: methods, attributes, helpers."""
    names = set()
    for module in modules:
        for node in ast.walk(ast.parse((ROOT / "api" / module).read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


CLIENT_PRIVATE = _private_members(
    "client.py", "client_core.py", "patient_calls.py", "consent_calls.py", "observation_calls.py", "session.py"
)


def private_reaches(path: Path) -> list[str]:
    """Outside ``jhe_tui/api``: ``from jhe_tui.api… import _x``, ``module._x``, and any
    ``something._x`` naming a private member of the client or its session (``client._session``).
    Anywhere: ``self._member._x``, one object setting or reading another's internals."""
    tree = ast.parse(path.read_text())
    inside_api = name(path).startswith("api/")
    api_names: set[str] = set()
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jhe_tui.api") and not inside_api:
            for alias in node.names:
                api_names.add(alias.asname or alias.name)
                if alias.name.startswith("_"):
                    hits.append(f"{name(path)}:{node.lineno}: imports {alias.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        owner = node.value
        owned_by_self = isinstance(owner, ast.Name) and owner.id == "self"
        if isinstance(owner, ast.Name) and owner.id in api_names:
            hits.append(f"{name(path)}:{node.lineno}: {owner.id}.{node.attr}")
        elif not inside_api and not owned_by_self and node.attr in CLIENT_PRIVATE:
            hits.append(f"{name(path)}:{node.lineno}: {ast.unparse(node)}")
        elif (isinstance(owner, ast.Attribute) and owner.attr.startswith("_") and isinstance(owner.value, ast.Name)
              and owner.value.id == "self"):
            hits.append(f"{name(path)}:{node.lineno}: self.{owner.attr}.{node.attr}")
    return hits


def test_private_reaches_are_found(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from jhe_tui.api import oauth\nfrom jhe_tui.api.errors import _capitalised\n"
                      "oauth._call()\napp.client._session.send()\nself._session._http = None\nself._page = 1\n")
    found = [hit.split(": ", 1)[1] for hit in private_reaches(sample)]
    assert sorted(found) == sorted(["imports _capitalised", "oauth._call", "app.client._session",
                                    "self._session._http"])


def test_no_layer_reaches_into_the_clients_private_names():
    assert [hit for path in MODULES for hit in private_reaches(path)] == []
