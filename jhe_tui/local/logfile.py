"""The request log: ``jhe-tui.log`` in the user log directory.

It rotates (``jhe-tui.log.1`` .. ``.3``, each at most ``MAX_BYTES``) so a workstation that runs
jhe-tui every day never fills up; every file is 0600. Only what ``jhe_tui.api`` logs goes here, and that is method, path template and status
(``GET /api/v1/patients/{id} 200``): no query strings, no bodies, no tokens, no names.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import traceback

from jhe_tui.local import paths

LOG_NAME = "jhe-tui.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
_handler: logging.Handler | None = None


def log_path():
    return paths.log_dir() / LOG_NAME


def log_crash(error: BaseException) -> str | None:
    """An unexpected error in the log: its type and where it happened, frame by frame. Neither
    the message nor any local variable (either may hold a patient's data or a token). Returns
    where it went, or None when no log is open."""
    if _handler is None:
        return None
    frames = "".join(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
                     for frame in traceback.extract_tb(error.__traceback__))
    logging.getLogger("jhe_tui.api").error("unexpected %s; traceback without message or locals:\n%s",
                                           type(error).__name__, frames.rstrip())
    return str(getattr(_handler, "baseFilename", log_path()))


def _create_private(path: str) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _rotate(source: str, dest: str) -> None:
    """Rename, then create the new log 0600 before the handler opens it (it would use the umask)."""
    os.replace(source, dest)
    _create_private(source)


def start_log() -> logging.Handler | None:
    """Attach the file handler once per process; a log directory that cannot be written is skipped."""
    global _handler
    target = log_path()
    log_dir = target.parent
    if _handler is not None and getattr(_handler, "baseFilename", None) == str(target):
        return _handler
    stop_log()
    try:
        paths.private_dir(log_dir)
        _create_private(str(target))
        handler = logging.handlers.RotatingFileHandler(target, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8")
        handler.rotator = _rotate
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("jhe_tui.api")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    _handler = handler
    return handler


def stop_log() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger("jhe_tui.api").removeHandler(_handler)
        _handler.close()
        _handler = None
