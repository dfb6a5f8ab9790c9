"""Where jhe-tui keeps its files, in the places each OS expects (platformdirs), and how it
makes them private.

Kept in one module so every layer agrees on the app name and so tests can redirect
everything with one environment variable (`JHE_TUI_HOME`) instead of touching the
user's real directories. Tokens, journals, the audit log and patient data live in directories
only their owner can enter: each level jhe-tui creates is 0700 whatever the umask, and an
existing one that other users could write is narrowed (ours) or refused (someone else's),
because whoever can write a directory can swap the files in it.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

import platformdirs

APP_NAME = "jhe-tui"
_KINDS = ("config", "data", "state", "log")


class UnsafeDirectory(PermissionError):
    """A directory other users can write and we may not narrow; ``str()`` is one sentence.

    An ``OSError``, so callers that already report a directory they cannot use (``strerror``)
    report this one too.
    """

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(
            errno.EPERM,
            f"{path} belongs to another user and others can write to it (mode {mode:04o}), so jhe-tui will "
            "not keep tokens or patient data there; use another directory, or ask its owner to run chmod go-w on it.",
        )

    def __str__(self) -> str:
        return self.strerror


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


def make_dirs(path: Path) -> Path:
    """Create ``path`` and whatever is missing above it, each level 0700.

    ``Path.mkdir(parents=True, mode=...)`` gives the mode to the last level only; the others
    get ``0777`` less the umask, which under ``umask 000`` is open to every user.
    """
    path = Path(path)
    missing = []
    level = path
    while not level.is_dir():
        missing.append(level)
        if level.parent == level:
            break
        level = level.parent
    for level in reversed(missing):
        try:
            os.mkdir(level, 0o700)
        except FileExistsError:
            if not level.is_dir():
                raise
            continue  # made meanwhile by another process: checked like any existing level
        os.chmod(level, 0o700)  # the umask may have taken bits away too
    return path


def _own_levels(path: Path) -> list[Path]:
    """``path``, and when it lies inside one of jhe-tui's own directories, every level up to it."""
    path = Path(os.path.abspath(path))
    for root in (Path(os.path.abspath(_base(kind))) for kind in _KINDS):
        if path == root or root in path.parents:
            inner = path.relative_to(root)
            return [root / part for part in (inner, *inner.parents)]
    return [path]


def _narrow(level: Path) -> None:
    info = level.stat()
    loose = stat.S_IMODE(info.st_mode)
    if not loose & 0o022:
        return
    if info.st_uid != os.geteuid():
        raise UnsafeDirectory(level, loose)
    os.chmod(level, 0o700)
    print(f"jhe-tui: {level} could be changed by other users (mode {loose:04o}); it is now 0700.", file=sys.stderr)


def private_dir(path: Path) -> Path:
    """A directory only its owner can enter: it will hold patient data, tokens, a journal or the
    audit log. Missing levels are created 0700; a level other users can write is narrowed to
    0700 when it is ours (said once, on stderr: afterwards it is fine) and refused
    (``UnsafeDirectory``) when it is not."""
    path = make_dirs(path)
    for level in _own_levels(path):
        _narrow(level)
    return path


def create_beside(target: Path, suffix: str, *, hidden: bool = False) -> tuple[int, Path]:
    """A new file, 0600, in ``target``'s directory, to be renamed over ``target`` once complete.

    Its name is ``target``'s, a random part and ``suffix`` (``out.csv.k2x9q1.partial``), made with
    ``O_CREAT | O_EXCL | O_NOFOLLOW`` (``mkstemp``): whatever someone planted under a name we
    might use, a link included, is never opened, so never written or chmod-ed through.
    Returns the open descriptor and the path.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(suffix=suffix, prefix=f"{'.' if hidden else ''}{target.name}.", dir=target.parent)
    os.fchmod(fd, 0o600)  # a umask such as 0277 would leave the owner unable to read it
    return fd, Path(name)
