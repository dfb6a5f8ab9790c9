"""What every console screen shares, and the one list of its actions.

Help (F1) and the command palette must both show every action of the current screen,
including keys of widgets that do not have focus and actions the user's role disables.
Both read `screen_actions`, which walks the live bindings, so a key added to a screen
shows up in both without a second list to keep in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from textual import events, on
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Label, Select
from textual.widgets.select import InvalidSelectValueError

from jhe_tui.api import JheError, Organization, UserProfile
from jhe_tui.console_app import console_app
from jhe_tui.textual_shims import bindings_of
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.paged_table import PagedTable
from jhe_tui.widgets.session_header import SessionHeader
from jhe_tui.widgets.footer import SteadyFooter

if TYPE_CHECKING:
    from jhe_tui.app import JheApp

NO_ORGANIZATION = -1  # the value of the chooser's only option while it is loading, or when there is none


@dataclass(frozen=True)
class ActionInfo:
    key: str
    description: str
    tooltip: str
    node: DOMNode
    action: str
    enabled: bool
    reason: str | None
    binding_id: str = ""

    async def run(self) -> None:
        await self.node.app.run_action(self.action, self.node)


def screen_actions(screen: Screen[object]) -> list[ActionInfo]:
    """Every key of the app, the screen and the screen's widgets, deduplicated."""
    app = screen.app
    nodes: list[DOMNode] = [screen, *screen.walk_children(), app]
    seen: set[tuple[str, str]] = set()
    found: list[ActionInfo] = []
    for node in nodes:
        for key, binding in bindings_of(node):
            # Only bindings with an id: ours all have one; Textual's inherited ones (Tab, ctrl+c
            # copy) are covered by the help's general paragraph.
            if not binding.id or not binding.description or (key, binding.action) in seen:
                continue
            seen.add((key, binding.action))
            found.append(_describe(node, key, binding))
    return found


def disabled_key_notice(screen: Screen[object], key: str) -> str | None:
    """What to tell someone who pressed ``key`` while its action is shown but disabled (a
    viewer's write keys, Copy before there is a link); None when the key does something or is
    not bound here. The same binding Textual would run: the first one of the focus chain."""
    active = screen.active_bindings.get(key)
    if active is None or active.enabled or not active.binding.description:
        return None
    info = _describe(active.node, key, active.binding)
    return f"{info.description} is not available: {info.reason or 'not possible here right now'}."


def _describe(node: DOMNode, key: str, binding: Binding) -> ActionInfo:
    destination, name, params = parse(binding.action)
    target = {"app": node.app, "screen": node.screen}.get(destination, node) if destination else node
    state = target.check_action(name, params)
    reason = None
    if not state and isinstance(target, ConsoleScreen):
        reason = target.disabled_reason(name)
    return ActionInfo(
        key=binding.key_display or node.app.get_key_display(Binding(key, binding.action)),
        description=binding.description,
        tooltip=binding.tooltip,
        node=node,
        action=binding.action,
        enabled=bool(state),
        reason=reason,
        binding_id=binding.id or "",
    )


ResultT = TypeVar("ResultT")


class ConsoleScreen(Screen[ResultT], Generic[ResultT]):
    """A top-level console screen: session header above, the screen's keys below."""

    shown_organization: int | None = None  # what the screen's content is for; the App's may differ

    @property
    def console(self) -> JheApp:
        """The app, typed: client, session, organization and role live there."""
        return console_app(self)

    @on(events.Mount)
    def _follow_privacy(self) -> None:
        self.watch(self.console, "privacy", self._privacy_toggled, init=False)

    def _privacy_toggled(self, masked: bool) -> None:
        for table in self.query(PagedTable):
            table.refresh_masks()
        self.privacy_changed(masked)

    def privacy_changed(self, masked: bool) -> None:
        """Privacy mode (F9) has just changed: show again what it masks, beyond the paged tables
        (they follow by themselves). Nothing is fetched again."""

    def action_reload(self) -> None:
        """Load what the screen shows again (also after a sign-in that came before anything loaded)."""

    def compose_header(self) -> ComposeResult:
        yield SessionHeader()

    def compose_organization(self) -> ComposeResult:
        """The organization chooser: nothing to choose (it is disabled) until the list is in."""
        yield Label("Organization", classes="context-label")
        yield Select[int]([("(loading…)", NO_ORGANIZATION)], allow_blank=False, disabled=True, id="organization")

    def compose_selectors(self) -> ComposeResult:
        """The organization and study choosers, the same on every screen that filters by them."""
        yield from self.compose_organization()
        yield Label("Study", classes="context-label")
        yield Select[int]([], prompt="All studies", allow_blank=True, id="study")

    def compose_footer(self) -> Iterator[SteadyFooter]:
        yield SteadyFooter(show_command_palette=True)

    def disabled_reason(self, action: str) -> str | None:
        """Why `action` is disabled right now (shown in help); None when it is not."""
        return None

    def quit_warning(self) -> str | None:
        """What quitting now would cut short (the App asks before it quits); None: nothing."""
        return None

    def action_pick(self, selector: str) -> None:
        """Go to a filter by its key; a list opens at once, so one key and the arrows choose."""
        widget = self.query_one(selector)
        widget.focus()
        if isinstance(widget, Select):
            widget.action_show_overlay()

    async def load_organizations(
        self, wanted: int | None, on_profile: Callable[[UserProfile], None] | None = None
    ) -> Organization | None:
        """Sign-in facts, then the `#organization` selector filled with the organizations where
        the user has a role, `wanted` chosen, else the one the web console (v0.0.13) remembers
        server-side for this user, else the first. On failure, or for a user with no
        organization, `#error` says why and None comes back. Setting the value does not count as
        the user's choice (no Select.Changed), so the caller decides what loads next."""
        error = self.query_one("#error", ErrorPanel)
        error.hide()
        try:
            session = await self.console.load_session(on_profile)
        except JheError as failure:
            error.show("Signing in", failure.message)
            return None
        orgs = session.organizations
        select = self.query_one("#organization", Select)
        if not orgs:
            with self.prevent(Select.Changed):
                select.set_options([("(none)", NO_ORGANIZATION)])
            error.show("Choosing an organization", "this user belongs to no organization; ask a manager to add you")
            return None
        remembered = session.user.settings.get("currentOrganizationId")
        chosen = next((org for org in orgs if org.id == wanted), None)
        chosen = chosen or next((org for org in orgs if org.id == remembered), orgs[0])
        with self.prevent(Select.Changed):
            select.set_options([(org.name or f"Organization {org.id}", org.id) for org in orgs])
            select.value = chosen.id
        select.disabled = False
        return chosen

    # --- the organization: the App's, followed here ------------------------------------------

    def show_organization(self, org: Organization) -> None:
        """Load what this screen shows of ``org``, which is already the console's organization."""

    def take_organization(self, org: Organization) -> None:
        """Make ``org`` the console's organization (the one every screen follows) and show it."""
        self.console.organization = org
        self.shown_organization = org.id
        self.show_organization(org)

    @on(Select.Changed, "#organization")
    def _organization_chosen(self, event: Select.Changed) -> None:
        org = self.organization_picked(event)
        if org is not None and org.id != self.shown_organization:
            self.take_organization(org)

    def on_screen_resume(self) -> None:
        """The organization may have been changed on another screen while this one was away."""
        current = self.console.organization
        if current is None or self.shown_organization in (None, current.id):
            return
        self.choose_in_selector(current)
        self.take_organization(current)

    def choose_in_selector(self, org: Organization) -> None:
        """Show ``org`` in the `#organization` selector (no Select.Changed), listing the session's
        organizations again when it is new since the selector was filled (made on Organizations)."""
        select = self.query_one("#organization", Select)
        with self.prevent(Select.Changed):
            try:
                select.value = org.id
            except InvalidSelectValueError:
                session = self.console.session
                orgs = session.organizations if session else [org]
                select.set_options([(o.name or f"Organization {o.id}", o.id) for o in orgs])
                select.value = org.id

    def organization_picked(self, event: Select.Changed) -> Organization | None:
        """The organization the user picked in the `#organization` selector, if any."""
        session = self.console.session
        if session is None:
            return None
        return next((org for org in session.organizations if org.id == event.value), None)
