"""Where jhe-tui keeps its files, in the places each OS expects (platformdirs).

Kept in one module so every layer agrees on the app name and so tests can redirect
everything with one environment variable (`JHE_TUI_HOME`) instead of touching the
user's real directories.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "jhe-tui"


def _base(kind: str) -> Path:
    home = os.environ.get("JHE_TUI_HOME")
    if home:
        return Path(home) / kind
    getter = {
        "config": platformdirs.user_config_path,
        "data": platformdirs.user_data_path,
        "state": platformdirs.user_state_path,
        "log": platformdirs.user_log_path,
    }[kind]
    return getter(APP_NAME, appauthor=False)


def config_dir() -> Path:
    return _base("config")


def data_dir() -> Path:
    return _base("data")


def state_dir() -> Path:
    return _base("state")


def log_dir() -> Path:
    return _base("log")


def demo_data_dir() -> Path:
    """The embedded backend's database and outbox: user data, not cache, because the
    demo keeps what a trainee created between runs until `--reset`."""
    return data_dir() / "demo"


def private_dir(path: Path) -> Path:
    """Create a directory only its owner can enter: it will hold patient data or tokens."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
