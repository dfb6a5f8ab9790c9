"""Screenshots of the console (SVG), for training material and bug reports.

The console takes one only in privacy mode, but a screen still shows ids, study names and
figures: each file is 0600 in a 0700 directory of the user data directory, never in the current
directory (Textual's default), and is created new, never written through a name someone planted.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from jhe_tui.local import paths


def directory() -> Path:
    return paths.data_dir() / "screenshots"


def save(svg: str, when: datetime) -> Path:
    """Write ``svg`` as ``jhe-tui-YYYYMMDD-HHMMSS.svg`` (``-2``, ``-3``... when taken in the same second)."""
    folder = paths.private_dir(directory())
    stem = f"jhe-tui-{when:%Y%m%d-%H%M%S}"
    for n in range(1, 1000):
        file = folder / (f"{stem}.svg" if n == 1 else f"{stem}-{n}.svg")
        try:
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(svg)
        return file
    raise FileExistsError(f"{folder} already holds a thousand screenshots named {stem}; move some away.")
