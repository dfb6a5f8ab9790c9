"""The console: one App holding the client, the signed-in session and the chosen organization.

The organization lives on the App, not on a screen, because everything follows it: the
role shown in the header, which actions are allowed, and (later) the studies and
observations screens. Screens are modes so each keeps its own state when the user
switches away and back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.reactive import reactive
from textual.screen import Screen

from jhe_tui.api import JheClient, Organization, ServerInfo, UserProfile
from jhe_tui.screens.base import WRITE_ROLES, ActionInfo, screen_actions
from jhe_tui.screens.help import HelpScreen
from jhe_tui.screens.import_screen import ImportScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.screens.placeholder import PlaceholderScreen


@dataclass(frozen=True)
class Session:
    info: ServerInfo
    user: UserProfile
    organizations: list[Organization]
    server: str

    @property
    def user_label(self) -> str:
        """The e-mail: unique, and what colleagues recognise on a shared workstation."""
        return self.user.email or self.user.display_name


class ScreenActionsProvider(Provider):
    """The palette lists what the current screen can do right now, and nothing else."""

    def _actions(self) -> list[ActionInfo]:
        return [info for info in screen_actions(self.screen) if info.enabled]

    @staticmethod
    def _text(info: ActionInfo) -> str:
        return f"{info.description} ({info.key})"

    async def discover(self) -> Hits:
        for info in self._actions():
            yield DiscoveryHit(self._text(info), info.run, help=info.tooltip)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for info in self._actions():
            text = self._text(info)
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), info.run, text=text, help=info.tooltip)


class JheApp(App[None]):
    TITLE = "jhe-tui"
    CSS_PATH = "jhe_tui.tcss"
    COMMANDS = App.COMMANDS | {ScreenActionsProvider}
    MODES = {
        "patients": PatientsScreen,
        "studies": lambda: PlaceholderScreen(
            "Studies", "list each study with its data types, data sources, apps and enrolment"
        ),
        "observations": lambda: PlaceholderScreen(
            "Observations", "list observations with patient, data type and date filters and a decoded detail view"
        ),
        "organizations": lambda: PlaceholderScreen(
            "Organizations", "show the organization tree and its members with their roles"
        ),
    }
    MODES["import"] = ImportScreen
    DEFAULT_MODE = "patients"
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key of this screen"),
        Binding("f2", "switch_mode('patients')", "Patients", id="nav.patients", show=False, tooltip="The patient list"),
        Binding("f3", "switch_mode('studies')", "Studies", id="nav.studies", show=False, tooltip="Studies (coming)"),
        Binding(
            "f4", "switch_mode('observations')", "Observations", id="nav.observations", show=False,
            tooltip="Observations (coming)",
        ),
        Binding(
            "f5", "switch_mode('organizations')", "Organizations", id="nav.organizations", show=False,
            tooltip="Organizations (coming)",
        ),
        Binding("f6", "switch_mode('import')", "Import", id="nav.import", show=False,
                tooltip="Bulk import patients from a CSV file"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False, tooltip="Quit jhe-tui"),
    ]

    session: reactive[Session | None] = reactive(None)
    organization: reactive[Organization | None] = reactive(None)

    def __init__(self, client: JheClient, demo: bool = False, *, server_url: str | None = None) -> None:
        super().__init__()
        self.client = client
        self.demo = demo
        self.server_label = "embedded demo" if demo else _host(server_url) or "the configured server"
        self.server_url = server_url or ("demo" if demo else "")
        self._session_lock = asyncio.Lock()

    async def load_session(self) -> Session:
        """Who we are and where we may act; fetched once, shared by every screen."""
        async with self._session_lock:
            if self.session is None:
                info, user, organizations = await asyncio.gather(
                    self.client.server_info(), self.client.profile(), self.client.my_organizations()
                )
                version = f", JHE {info.version}" if info.version and not info.demo else ""
                self.session = Session(info, user, organizations, f"{self.server_label}{version}")
            return self.session

    @property
    def role(self) -> str | None:
        return self.organization.current_user_role if self.organization else None

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def read_only_reason(self) -> str:
        if self.organization is None:
            return "choose an organization first"
        return f"your role in {self.organization.name} is {self.role or 'none'}; viewers can look but not change"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # No "Screenshot": it would write patient data to an SVG file in the current directory.
        # No "Quit": the screen's own list already has it.
        for command in super().get_system_commands(screen):
            if command.title not in ("Screenshot", "Quit"):
                yield command

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def on_unmount(self) -> None:
        await self.client.aclose()


def _host(url: str | None) -> str | None:
    """Host (and port) only: a path or query in the configured URL is not for display."""
    return (urlsplit(url).netloc or None) if url else None
