"""The request log: ``jhe-tui.log`` in the user log directory.

Only what ``jhe_tui.api`` logs goes here, and that is method, path template and status
(``GET /api/v1/patients/{id} 200``): no query strings, no bodies, no tokens, no names.
"""

from __future__ import annotations

import logging
import os
import traceback

from jhe_tui.local import paths

LOG_NAME = "jhe-tui.log"
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
        if not target.exists():
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
        handler = logging.FileHandler(target, encoding="utf-8")
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
