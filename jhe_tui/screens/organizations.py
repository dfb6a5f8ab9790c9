"""Organizations: the whole tree with the user's role in each, each one's members, and their
administration.

The web console showed one top-level organization's tree at a time (from a 20-item select) and
members only inside a modal. Here the tree is whole, every node says the user's role there, and
the members of the highlighted organization are listed beside it with their roles. Enter on an
organization where the user has a role makes it the current one, which every screen follows.
Sub-organizations, renames, deletes and members are changed here (``organization_actions``), each
key offered only where JHE's permission table allows it and otherwise saying why.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static, Tree

from jhe_tui.api import JheError, Member, Organization
from jhe_tui.api.admin_rules import (AdminRules, change_refusal, create_child_refusal, last_manager_refusal,
                                     members_refusal)
from jhe_tui.dialogs.api_keys import ApiKeysModal
from jhe_tui.screens import organization_actions as actions
from jhe_tui.screens.base import ConsoleScreen
from jhe_tui.widgets.error_panel import ErrorPanel
from jhe_tui.widgets.loading import loading_after
from jhe_tui.widgets.table import ConsoleTable

ROLE_TEXT = {"manager": "manager", "member": "member", "viewer": "viewer", "super_user": "superuser"}


def node_label(org: Organization, current: bool = False) -> Text:
    """The user's role first, so a narrow terminal cuts the name rather than the role; the current
    organization is marked by a shape, not by colour (the pane beside the tree says it in words)."""
    role = ROLE_TEXT.get(org.current_user_role or "", "")
    label = Text("▸ " if current else "", style="bold")
    if role:
        label.append(f"you: {role} · ", style="bold")
    label.append(f"{org.name or 'Organization'} ({org.id})")
    return label


def build_tree(orgs: list[Organization]) -> list[tuple[Organization, list]]:
    """(organization, children) forests under ROOT, each level by name."""
    children: dict[int | None, list[Organization]] = {}
    for org in orgs:
        if org.id != 0:
            children.setdefault(org.part_of if org.part_of not in (None, 0) else 0, []).append(org)
    known = {o.id for o in orgs}

    def grow(parent: int, seen: frozenset[int]) -> list[tuple[Organization, list]]:
        kids = sorted(children.get(parent, []), key=lambda o: (o.name.lower(), o.id))
        return [(k, grow(k.id, seen | {k.id})) for k in kids if k.id not in seen]

    roots = grow(0, frozenset())
    # An organization whose parent is missing from the list still shows, at the top.
    orphans = [o for o in orgs if o.part_of not in (None, 0) and o.part_of not in known and o.id != 0]
    return roots + [(o, grow(o.id, frozenset({o.id}))) for o in orphans]


class OrganizationsScreen(ConsoleScreen[None]):
    TITLE = "Organizations"
    DEFAULT_CSS = """
    OrganizationsScreen #org-body { height: 1fr; margin: 1 1 0 1; }
    OrganizationsScreen #org-tree { width: auto; min-width: 30; max-width: 60%; border: round $primary; }  /* names whole where they fit */
    OrganizationsScreen #org-side { width: 1fr; margin-left: 1; }
    OrganizationsScreen #org-info { height: auto; padding: 0 1; border-left: thick $primary; margin-bottom: 1; }
    OrganizationsScreen #members { height: 1fr; }
    OrganizationsScreen #org-mine { margin: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        # Priority, so Enter chooses rather than folds the node; off the tree it is hidden (False).
        Binding("enter", "make_current", "Make current", id="organizations.current", priority=True,
                tooltip="Make the highlighted organization the current one on every screen (where you have a role)"),
        Binding("c", "create_child", "New sub-org", id="organizations.create",
                tooltip="Create a sub-organization of the highlighted organization (you become its manager)"),
        Binding("e", "edit", "Edit", id="organizations.edit",
                tooltip="Rename the organization or change its type; on the members list, change the member's role"),
        Binding("D", "delete_organization", "Delete org", key_display="D", id="organizations.delete",
                tooltip="Delete the organization and everything under it (shows what goes first)"),
        Binding("a", "add_member", "Add member", id="organizations.add_member",
                tooltip="Add a practitioner to the organization by e-mail, with a role"),
        Binding("d", "remove_member", "Remove member", id="organizations.remove_member",
                tooltip="Remove the member under the cursor from the organization"),
        Binding("K", "api_keys", "API keys", key_display="K", show=False, id="organizations.api_keys",
                tooltip="Your practitioner API keys: list, create (shown once), revoke (JHE v0.0.13)"),
        Binding("r", "reload", "Reload", show=False, id="organizations.reload", tooltip="Load the organizations again"),
    ]
    WRITES = frozenset({"create_child", "edit", "delete_organization", "add_member", "remove_member"})

    def __init__(self) -> None:
        super().__init__()
        self.orgs: list[Organization] = []
        self.members: list[Member] = []
        self.highlighted: Organization | None = None
        self.highlight_next: int | None = None  # the organization to highlight when the tree is in again
        self.rules: AdminRules | None = None  # the server's, once the tree is in

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="org-body"):
            tree: Tree[Organization] = Tree("Organizations", id="org-tree")
            tree.show_root = False
            tree.auto_expand = False
            yield tree
            with Vertical(id="org-side"):
                yield Static("", id="org-info", markup=False)
                members: ConsoleTable[Text] = ConsoleTable(cursor_type="row", zebra_stripes=True, id="members")
                members.add_columns("Name", "Role", "E-mail")  # the role before the e-mail a narrow pane cuts
                yield members
        yield Static("c sub-org · e edit · D delete · a add member · on a member: e role, d remove",
                     id="org-mine", markup=False)
        yield ErrorPanel(id="error")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#org-tree", Tree).focus()
        self.load_tree()

    def action_reload(self) -> None:
        self.load_tree()

    @work(exclusive=True, group="tree", exit_on_error=False)
    async def load_tree(self) -> None:
        tree = self.query_one("#org-tree", Tree)
        error = self.query_one("#error", ErrorPanel)
        error.hide()
        try:
            with loading_after(tree):
                await self.console.load_session()
                self.orgs = await self.console.client.organizations()
                self.rules = await self.console.client.admin_rules()
        except JheError as failure:
            error.show("Loading organizations", failure.message)
            return
        tree.clear()
        current = self.console.organization
        # After a change, the organization it concerned stays highlighted; otherwise the current one.
        wanted = self.highlight_next if self.highlight_next is not None else (current.id if current else None)
        self.highlight_next = None
        target = None

        def add(node, forest) -> None:
            nonlocal target
            for org, kids in forest:
                child = node.add(node_label(org, current is not None and org.id == current.id), data=org,
                                 expand=True, allow_expand=bool(kids))
                if org.id == wanted:
                    target = child
                add(child, kids)

        add(tree.root, build_tree(self.orgs))
        tree.root.expand_all()
        if target is None:
            target = next((n for n in _walk(tree.root) if n.data and n.data.current_user_role), None)
        if target is not None:
            chosen = target

            def focus_target() -> None:
                tree.move_cursor(chosen)
                self._show(chosen.data)

            tree.call_after_refresh(focus_target)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "make_current":
            return self.focused is not None and self.focused.id == "org-tree"
        if action in self.WRITES or action == "api_keys":
            return None if self.disabled_reason(action) else True
        return True

    @property
    def _superuser(self) -> bool:
        session = self.console.session
        return session is not None and session.user.is_superuser

    @property
    def _on_members(self) -> bool:
        return self.focused is not None and self.focused.id == "members"

    def _member_under_cursor(self) -> Member | None:
        table = self.query_one("#members", DataTable)
        if not self.members or table.cursor_row >= len(self.members):
            return None
        return self.members[table.cursor_row]

    def disabled_reason(self, action: str) -> str | None:
        if action == "api_keys":
            return None if self.rules and self.rules.api_keys else "this server (JHE before v0.0.13) has no API keys"
        org = self.highlighted
        if action == "create_child" and org is None and self.rules is not None and self._superuser:
            return None  # a top-level one
        if org is None or self.rules is None:
            return "highlight an organization first"
        if action == "create_child":
            return create_child_refusal(org, superuser=self._superuser)
        if action in ("delete_organization", "edit") and not (action == "edit" and self._on_members):
            return change_refusal(org, self.orgs, superuser=self._superuser)
        refusal = members_refusal(org, self.orgs, self.rules, superuser=self._superuser)
        if refusal or action == "add_member":
            return refusal
        member = self._member_under_cursor()
        if member is None or not self._on_members:
            return "go to a member in the members list first (Tab)"
        if action == "remove_member":
            return last_manager_refusal(self.members, member.id, None)
        return None

    @work(exclusive=True, group="admin", exit_on_error=False)
    async def action_create_child(self) -> None:
        created = await actions.create_sub_organization(self, self.highlighted, superuser=self._superuser)
        if created is not None:
            await self._changed(created.id)

    @work(exclusive=True, group="admin", exit_on_error=False)
    async def action_edit(self) -> None:
        org = self.highlighted
        if org is None or self.rules is None:
            return
        if self._on_members:
            member = self._member_under_cursor()
            if member is not None and await actions.change_role(self, self.console.client, org, member,
                                                                self.rules.role_change_in_place):
                self.load_members(org)
        elif await actions.edit_organization(self, org):
            await self._changed()

    @work(exclusive=True, group="admin", exit_on_error=False)
    async def action_delete_organization(self) -> None:
        if self.highlighted is not None and await actions.delete_organization(self, self.highlighted):
            await self._changed()

    @work(exclusive=True, group="admin", exit_on_error=False)
    async def action_add_member(self) -> None:
        org = self.highlighted
        if org is not None and await actions.add_member(self, org) is not None:
            self.load_members(org)

    @work(exclusive=True, group="admin", exit_on_error=False)
    async def action_remove_member(self) -> None:
        org, member = self.highlighted, self._member_under_cursor()
        if org is not None and member is not None and await actions.remove_member(self, org, member):
            await self._changed()

    def action_api_keys(self) -> None:
        self.app.push_screen(ApiKeysModal(self.console.client))

    async def _changed(self, highlight: int | None = None) -> None:
        """The tree and the user's roles changed: sign-in facts again, the current organization
        followed (renamed, or gone), the tree again with ``highlight`` (else the same one) highlighted."""
        self.highlight_next = highlight or (self.highlighted.id if self.highlighted else None)
        current = self.console.organization
        self.console.session = None
        try:
            session = await self.console.load_session()
        except JheError as failure:
            self.query_one("#error", ErrorPanel).show("Loading organizations", failure.message)
            return
        if current is not None:
            found = next((o for o in session.organizations if o.id == current.id), None)
            self.console.organization = found or (session.organizations[0] if session.organizations else None)
        self.load_tree()

    def action_make_current(self) -> None:
        node = self.query_one("#org-tree", Tree).cursor_node
        session = self.console.session
        if node is None or node.data is None or session is None:
            return
        org = next((o for o in session.organizations if o.id == node.data.id), None)
        if org is None:
            self.notify(f"You have no role in {node.data.name}, so it cannot be your current organization.",
                        severity="warning", markup=False)
            return
        self.console.organization = org
        self._mark_current()
        self._show(node.data)
        self.notify(f"{org.name} is now the current organization on every screen.", markup=False)

    def _mark_current(self) -> None:
        current = self.console.organization
        for node in _walk(self.query_one("#org-tree", Tree).root):
            if node.data is not None:
                node.set_label(node_label(node.data, current is not None and node.data.id == current.id))

    def on_screen_resume(self) -> None:
        """The organization may have been changed on another screen while this one was away."""
        super().on_screen_resume()
        self._mark_current()

    @on(DataTable.RowHighlighted, "#members")
    def _member_highlighted(self) -> None:
        self.refresh_bindings()

    @on(Tree.NodeHighlighted, "#org-tree")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self._show(event.node.data)

    def _show(self, org: Organization) -> None:
        self.highlighted = org
        self.refresh_bindings()
        parent = next((o for o in self.orgs if o.id == org.part_of), None)
        role = ROLE_TEXT.get(org.current_user_role or "", "none")
        current = self.console.organization is not None and self.console.organization.id == org.id
        self.query_one("#org-info", Static).update(
            f"{org.name} (organization {org.id})\n"
            f"Type: {org.type or 'unknown'} · Part of: {parent.name if parent and parent.id else 'top level'}\n"
            f"Your role here: {role}" + ("" if org.current_user_role is None else
                                         " · current on every screen" if current else " · Enter makes it current")
        )
        self.load_members(org)

    @work(exclusive=True, group="members", exit_on_error=False)
    async def load_members(self, org: Organization) -> None:
        table = self.query_one("#members", DataTable)
        try:
            with loading_after(table):
                members = await self.console.client.organization_members(org.id)
        except JheError as failure:
            table.clear()
            self.members = []
            table.add_row(Text(f"⚠ {failure.message}"), Text(""), Text(""))
            return
        table.clear()
        self.members = members
        self.refresh_bindings()
        for m in members:
            table.add_row(Text(m.display_name), Text(ROLE_TEXT.get(m.role or "", m.role or "")), Text(m.email or ""))
        if not members:
            table.add_row(Text("No practitioners in this organization."), Text(""), Text(""))


def _walk(node):
    for child in node.children:
        yield child
        yield from _walk(child)
