"""The console's screenshot (F8): an SVG of the screen as it is, taken only in privacy mode.

Textual's own screenshot command writes the unmasked screen to the current directory, so the
console hides it; this one refuses, with the reason, until F9 masks the patients' names, e-mails,
birth dates, phones and external ids, and keeps the file private (``jhe_tui.local.screenshots``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel

from jhe_tui.keymap import key_of
from jhe_tui.local import screenshots
from jhe_tui.widgets.clock import now

if TYPE_CHECKING:
    from jhe_tui.app import JheApp


def take(app: JheApp) -> tuple[str, SeverityLevel]:
    """Save the screen; what to tell the user, and how loudly."""
    if not app.privacy:
        return (f"No screenshot: one is taken only in privacy mode, so that it holds no patient's name, e-mail, "
                f"birth date, phone or external id; press {key_of(app, 'app.privacy')} first.", "warning")
    try:
        where = screenshots.save(app.export_screenshot(), now())
    except OSError as exc:
        return f"The screenshot could not be saved: {exc.strerror or exc}.", "error"
    return f"Screenshot saved to {where} (only you can read it).", "information"
