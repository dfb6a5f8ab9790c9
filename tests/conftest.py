"""Fixtures every suite shares: an isolated home for jhe-tui's files, and the embedded
backend reached in process through the same client code path real servers use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jhe_tui.backend import DemoBackend


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the developer's real config, tokens, audit log or demo data,
    and no test picks up a JHE_URL/JHE_TOKEN from the developer's shell."""
    home = tmp_path / "jhe-tui-home"
    monkeypatch.setenv("JHE_TUI_HOME", str(home))
    monkeypatch.delenv("JHE_URL", raising=False)
    monkeypatch.delenv("JHE_TOKEN", raising=False)
    monkeypatch.delenv("JHE_TUI_IDLE_LOCK", raising=False)
    # Never the developer's real OS keyring, and never a browser window.
    monkeypatch.setenv("JHE_TUI_KEYRING", "0")
    monkeypatch.setenv("JHE_TUI_NO_BROWSER", "1")
    return home


@pytest.fixture(scope="session")
def _seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed once per session; each test gets its own copy, so writes never leak between tests."""
    path = tmp_path_factory.mktemp("seeded")
    DemoBackend(path)
    return path


@pytest.fixture
def backend(_seeded: Path, tmp_path: Path) -> DemoBackend:
    data = tmp_path / "demo"
    shutil.copytree(_seeded, data)
    return DemoBackend(data)


@pytest.fixture
def demo_backend(backend: DemoBackend) -> DemoBackend:
    return backend


@pytest.fixture
def client_for(demo_backend):
    """`client_for("viewer")` -> a JheClient signed in as that demo practitioner
    (use it with `async with`)."""
    from jhe_tui.api import JheClient
    from jhe_tui.api.http import ASGITransport

    def make(role: str = "manager") -> JheClient:
        return JheClient(
            demo_backend.site_url,
            demo_backend.token_for(role),
            transport=ASGITransport(app=demo_backend.app),
        )

    return make
