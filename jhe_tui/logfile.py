"""The request log: ``jhe-tui.log`` in the user log directory.

Only what ``jhe_tui.api`` logs goes here, and that is method, path template and status
(``GET /api/v1/patients/{id} 200``): no query strings, no bodies, no tokens, no names.
"""

from __future__ import annotations

import logging
import os

from jhe_tui import paths

LOG_NAME = "jhe-tui.log"
_handler: logging.Handler | None = None


def start_log() -> logging.Handler | None:
    """Attach the file handler once per process; a log directory that cannot be written is skipped."""
    global _handler
    log_dir = paths.log_dir()
    target = log_dir / LOG_NAME
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
