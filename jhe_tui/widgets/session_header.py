"""Who is signed in, where, and with which role: always visible, on every screen.

On a shared clinic workstation the first question before any change is "whose session
is this, on which server, and what may it do here?"; the role changes with the selected
organization, so the header follows it. PRIVACY shows while names, e-mails, birth dates,
phones and external ids are masked; a red TLS NOT VERIFIED for the whole of an --insecure session,
and a red NOT ENCRYPTED for plain http:// to another machine. The DEMO marker keeps trainees from
mistaking synthetic data for the real exchange (and the reverse).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from jhe_tui.api.loopback import in_clear
from jhe_tui.console_app import console_app


class SessionHeader(Horizontal):
    DEFAULT_CSS = """
    SessionHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    SessionHeader > Label { padding: 0 1; }
    SessionHeader > #demo {
        display: none;
        background: $warning;
        color: $text;
        text-style: bold;
    }
    SessionHeader.demo > #demo { display: block; }
    SessionHeader > #insecure, SessionHeader > #clear, SessionHeader > #privacy { display: none; text-style: bold; }
    SessionHeader > #insecure, SessionHeader > #clear { background: $error; color: $text; }
    SessionHeader > #privacy { background: $primary; color: $text; }
    SessionHeader.insecure > #insecure { display: block; }
    SessionHeader.clear > #clear { display: block; }
    SessionHeader.privacy > #privacy { display: block; }
    SessionHeader > #role { text-style: bold; color: $text-primary; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def compose(self) -> ComposeResult:
        # Most important first: at 80-100 columns the end of the line is what gets cut.
        yield Label("TLS NOT VERIFIED", id="insecure")
        yield Label("NOT ENCRYPTED (http://)", id="clear")
        yield Label("DEMO", id="demo")
        yield Label("PRIVACY", id="privacy")
        # Over SSH the first question is which server: it comes first, then who, then the role.
        yield Label("", id="where", markup=False)
        yield Label("", id="who", markup=False)
        yield Label("", id="role", markup=False)

    def on_mount(self) -> None:
        app = console_app(self)
        self.set_class(app.demo, "demo")
        self.set_class(app.insecure, "insecure")
        self.set_class(in_clear(app.server_url), "clear")
        self.watch(app, "privacy", lambda on: self.set_class(on, "privacy"))
        self.watch(app, "session", self._refresh_labels)
        self.watch(app, "organization", self._refresh_labels)

    def on_resize(self) -> None:
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        """Below 100 columns the words "Server:", "User:" and "Role:" go, so that the server, the
        user and the role all fit on an 80-column line."""
        app = console_app(self)
        wide = self.size.width >= 100 or self.size.width == 0
        server, user, role = ("Server: ", "User: ", "Role: ") if wide else ("", "", "")
        session = app.session
        if session is None:
            self.query_one("#where", Label).update(f"{server}{app.server_label}")
            self.query_one("#who", Label).update("signing in…")
            return
        self.query_one("#where", Label).update(f"{server}{session.server}")
        self.query_one("#who", Label).update(f"{user}{session.user_label}")
        org = app.organization
        self.query_one("#role", Label).update(
            f"{role}{org.current_user_role or 'none'} in {org.name}" if org else f"{role}no organization"
        )
