"""The console: one App holding the client, the signed-in session and the chosen organization.

The organization lives on the App, not on a screen, because everything follows it: the
role shown in the header, which actions are allowed, and (later) the studies and
observations screens. Screens are modes so each keeps its own state when the user
switches away and back.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme

from jhe_tui.local import logfile
from jhe_tui.api import JheClient, Organization, ServerInfo, UserProfile
from jhe_tui.session_guard import GATE_MODE, GateScreen, SessionGuard
from jhe_tui.screens.base import ActionInfo, ConsoleScreen, disabled_key_notice, screen_actions
from jhe_tui.dialogs.help import HelpScreen
from jhe_tui.screens.navigation import ShowObservations
from jhe_tui.textual_shims import PrivateCrashApp
from jhe_tui import screenshot
from jhe_tui.themes import HIGH_CONTRAST, remember_theme
from jhe_tui.dialogs.confirm import ConfirmModal

if TYPE_CHECKING:
    from jhe_tui.api.signin import SignIn


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


class QuitQuestion(ConfirmModal):
    """Asked before quitting cuts work short."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__("Quit jhe-tui?", warnings, confirm_label="Quit", danger=True)


class ScreenActionsProvider(Provider):
    """The palette lists what the current screen can do right now, and nothing else."""

    @staticmethod
    def _actions_of(screen: Screen[object]) -> list[ActionInfo]:
        return [info for info in screen_actions(screen) if info.enabled]

    def _actions(self) -> list[ActionInfo]:
        return self._actions_of(self.screen)

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


def _class(path: str) -> type:
    """``module:Class`` under jhe_tui, imported when first asked for: a screen's module (and the
    dialogs, jobs and charts it uses) loads when the screen is first opened, not at start."""
    module, name = path.split(":")
    return getattr(importlib.import_module(f"jhe_tui.{module}"), name)


def _screen(path: str) -> Callable[[], Screen[object]]:
    return lambda: _class(path)()


# F1 shows this screen's keys, then these: the one key map, read from each screen's bindings.
KEY_MAP = (
    ("Patients (F2)", "screens.patients:PatientsScreen"),
    ("Patient record", "screens.patient_detail:PatientDetailScreen"),
    ("Studies (F3)", "screens.studies:StudiesScreen"),
    ("Observations (F4)", "screens.observations:ObservationsScreen"),
    ("Organizations (F5)", "screens.organizations:OrganizationsScreen"),
    ("Import (F6)", "screens.import_screen:ImportScreen"),
    ("Follow-up (F7)", "screens.followup_desk:FollowUpScreen"),
    ("Paged tables", "widgets.paged_table:PagedTable"),
)


class JheApp(PrivateCrashApp[None]):
    TITLE = "jhe-tui"
    CSS_PATH = "jhe_tui.tcss"
    COMMANDS = App.COMMANDS | {ScreenActionsProvider}
    MODES = {
        GATE_MODE: GateScreen,
        "patients": _screen("screens.patients:PatientsScreen"),
        "studies": _screen("screens.studies:StudiesScreen"),
        "observations": _screen("screens.observations:ObservationsScreen"),
        "organizations": _screen("screens.organizations:OrganizationsScreen"),
        "import": _screen("screens.import_screen:ImportScreen"),
        "followup": _screen("screens.followup_desk:FollowUpScreen"),
    }
    DEFAULT_MODE = GATE_MODE  # the guard leaves it for HOME_MODE once there is a token
    HOME_MODE = "patients"
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key of this screen"),
        Binding("f2", "switch_mode('patients')", "Patients", id="nav.patients", show=False, tooltip="The patient list"),
        Binding("f3", "switch_mode('studies')", "Studies", id="nav.studies", show=False, tooltip="Studies: data types, sources, roster and who went silent"),
        Binding(
            "f4", "switch_mode('observations')", "Observations", id="nav.observations", show=False,
            tooltip="Observations: filter, read, chart and export",
        ),
        Binding(
            "f5", "switch_mode('organizations')", "Organizations", id="nav.organizations", show=False,
            tooltip="Organizations: the tree, your role in each, members",
        ),
        Binding(
            "f6", "switch_mode('import')", "Import", id="nav.import", show=False,
            tooltip="Bulk import patients from a CSV file",
        ),
        Binding(
            "f7", "switch_mode('followup')", "Follow-up", id="nav.followup", show=False,
            tooltip="The follow-up desk: not connected, consent pending, went quiet, expiring, never invited",
        ),
        Binding(
            "f9", "toggle_privacy", "Privacy", id="app.privacy", show=False, priority=True,
            tooltip="Mask patient names, e-mails, birth dates, phones and external ids on every screen (screen sharing)",
        ),
        Binding(
            "f8", "screenshot", "Screenshot", id="app.screenshot", show=False, priority=True,
            tooltip="Save this screen as an SVG file only you can read (in privacy mode only, F9)",
        ),
        Binding("ctrl+l", "lock", "Lock", id="app.lock", show=False, priority=True, tooltip="Lock the console now"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False, tooltip="Quit jhe-tui"),
    ]

    session: reactive[Session | None] = reactive(None)
    # Every screen's writing keys follow the organization's role.
    organization: reactive[Organization | None] = reactive(None, bindings=True)
    privacy: reactive[bool] = reactive(False)

    def __init__(
        self,
        client: JheClient,
        demo: bool = False,
        *,
        server_url: str | None = None,
        sign_in: SignIn | None = None,
        signed_in: bool = True,
        idle_minutes: float = 0,
        insecure: bool = False,
        clock: Callable[[], float] | None = None,
        theme: str | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.demo = demo
        self.insecure = insecure
        self.server_label = "embedded demo" if demo else _host(server_url) or "the configured server"
        self.server_url = server_url or ("demo" if demo else "")
        self.crash_message: str | None = None
        self._session_lock = asyncio.Lock()
        self.guard = SessionGuard(self, sign_in, signed_in=signed_in, idle_minutes=idle_minutes, clock=clock)
        self.register_theme(HIGH_CONTRAST)
        if theme:
            self.theme = theme
        self.set_keymap(dict(keymap or {}))

    async def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        await self.guard.start()

    def _remember_theme(self, theme: Theme) -> None:
        """A theme picked in the console is the one it opens with next time (``--theme`` is for one run)."""
        problem = remember_theme(theme.name)
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def action_screenshot(self) -> None:
        message, severity = screenshot.take(self)
        self.notify(message, severity=severity, markup=False)

    async def on_event(self, event: events.Event) -> None:
        self.guard.note_activity(event)
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """A key whose action is disabled says why, on every screen and dialog, instead of doing
        nothing (runs before Textual looks the key up; that lookup then does nothing)."""
        notice = disabled_key_notice(self.screen, event.key)
        if notice is not None:
            self.notify(notice, severity="warning", markup=False)

    def action_toggle_privacy(self) -> None:
        self.privacy = not self.privacy
        self.notify("Privacy mode on: names, e-mails, birth dates, phones and external ids are masked (F9 to show them)."
                    if self.privacy else "Privacy mode off.")

    async def action_lock(self) -> None:
        await self.guard.lock()

    async def on_show_observations(self, message: ShowObservations) -> None:
        await self.switch_mode("observations")
        screen = self.screen
        if isinstance(screen, _class("screens.observations:ObservationsScreen")):
            screen.show_for(message.study_id, message.patient_id)

    async def action_quit(self) -> None:
        """Quitting while a screen has work under way (an import, on its screen or not) asks
        first, with the screen's own warning; ctrl+q again over that question quits."""
        warnings: list[str] = []
        for mode in self.MODES:
            with contextlib.suppress(KeyError):  # a mode not opened yet has no screens
                warnings += [w for s in self.get_screen_stack(mode) if isinstance(s, ConsoleScreen)
                             and (w := s.quit_warning())]
        if warnings and not isinstance(self.screen, QuitQuestion):
            self.push_screen(QuitQuestion(warnings), lambda answer: None if answer is None else self.exit())
        else:
            self.exit()

    async def load_session(self, on_profile: Callable[[UserProfile], None] | None = None) -> Session:
        """Who we are and where we may act; fetched once, shared by every screen. ``on_profile``
        hears the profile as soon as it is in, while the organization list may still be coming
        (the patient list starts on the page of the organization the server remembers)."""

        async def profile() -> UserProfile:
            user = await self.client.profile()
            if on_profile is not None:
                on_profile(user)
            return user

        async with self._session_lock:
            if self.session is None:
                info, user, organizations = await asyncio.gather(
                    self.client.server_info(), profile(), self.client.my_organizations()
                )
                version = f", JHE {info.version}" if info.version and not info.demo else ""
                self.session = Session(info, user, organizations, f"{self.server_label}{version}")
            return self.session

    @property
    def role(self) -> str | None:
        return self.organization.current_user_role if self.organization else None

    @property
    def can_write(self) -> bool:
        return self.organization is not None and self.organization.can_write

    @property
    def read_only_reason(self) -> str:
        if self.organization is None:
            return "choose an organization first"
        name = self.organization.name
        return (f"your role in {name} is {self.role or 'none'}; viewers can look but not change, "
                f"ask a manager of {name}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Under the lock no App key acts (help, palette, modes, privacy, even quit, which would
        hand the shell to whoever sits down); only the lock screen's own keys do."""
        return not self.guard.locked

    def action_command_palette(self) -> None:
        if not self.guard.locked:
            super().action_command_palette()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Toasts float above every screen and may name a patient: none while locked."""
        if not self.guard.locked:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # No "Screenshot": it would write patient data to an SVG file in the current directory.
        # No "Quit": the screen's own list already has it.
        if self.guard.locked:
            return
        for command in super().get_system_commands(screen):
            if command.title not in ("Screenshot", "Quit"):
                yield command

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen, [(title, _class(path)) for title, path in KEY_MAP]))

    def report_crash(self, error: BaseException | None) -> None:
        """Textual's crash report prints every frame's local variables to the terminal, and
        those hold patient data and tokens. Ours is one sentence (``crash_message``, printed by
        the command once the terminal is back), and the frames, without locals or message, go to
        the log."""
        where = logfile.log_crash(error) if error is not None else None
        self.crash_message = (f"jhe-tui stopped on an unexpected error ({type(error).__name__}); "
                              + (f"the details are in {where}." if where else "nothing was logged (the log is off)."))
        self.bell()
        super().report_crash(error)

    async def on_unmount(self) -> None:
        await self.client.aclose()


def _host(url: str | None) -> str | None:
    """Host (and port) only: a path or query in the configured URL is not for display."""
    return (urlsplit(url).netloc or None) if url else None
