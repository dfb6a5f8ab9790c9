"""What the Organizations screen changes: sub-organizations, renames, deletes and members.

Each flow asks in a dialog, runs the call there (a refusal is shown where it was typed), and
answers True when something changed, so the screen reloads. A delete shows what goes with it
first; a v0.0.7 server, which cannot delete a parent, is refused before anything is asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jhe_tui.api import JheClient, Member, Organization
from jhe_tui.api.admin_rules import MEMBER_ROLES
from jhe_tui.dialogs.admin_form import AdminFormModal, Field
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.screens import admin_steps

if TYPE_CHECKING:
    from jhe_tui.screens.organizations import OrganizationsScreen

ROLE_CHOICES = [(role, role) for role in MEMBER_ROLES]


async def _types(screen: OrganizationsScreen) -> list[tuple[str, str]] | None:
    found = await admin_steps.read(screen, screen.console.client.organization_types())
    if found is None:
        return None
    types = found[0]
    return [(label, code) for code, label in sorted(types.items(), key=lambda item: item[1].lower())]


TOP_LEVEL = "0"


async def create_sub_organization(screen: OrganizationsScreen, parent: Organization | None, *,
                                  superuser: bool) -> Organization | None:
    """A sub-organization of ``parent``; a superuser also chooses the top level (JHE lets only
    them), which is all there is when nothing is highlighted."""
    client, types = screen.console.client, await _types(screen)
    if types is None:
        return None
    fields = [Field("name", "Name"), Field("type", "Type", value="team", choices=types)]
    if superuser:
        under = [("the top level (no parent)", TOP_LEVEL)]
        under += [(f"{parent.name} (organization {parent.id})", str(parent.id))] if parent else []
        fields.append(Field("under", "Under", value=str(parent.id) if parent else TOP_LEVEL, choices=under))
    chosen: dict[str, str] = {}

    async def create(values: dict[str, str]) -> Organization:
        chosen.update(values)
        part_of = int(values.get("under", parent.id if parent else TOP_LEVEL))
        return await client.create_organization(values["name"], values["type"], part_of or None)

    where = f"under {parent.name} (organization {parent.id})" if parent else "at the top level"
    created = await screen.app.push_screen_wait(AdminFormModal(
        f"New sub-organization of {parent.name}" if parent else "New top-level organization",
        f"It is created {where}, and you become its manager.", fields, confirm_label="Create", apply=create))
    if created is not None:
        placed = "at the top level" if chosen.get("under") == TOP_LEVEL or parent is None else f"under {parent.name}"
        screen.notify(f"Created {created.name} (organization {created.id}) {placed}; you are its manager.",
                      markup=False)
    return created


async def edit_organization(screen: OrganizationsScreen, org: Organization) -> bool:
    client, types = screen.console.client, await _types(screen)
    if types is None:
        return False

    async def save(values: dict[str, str]) -> Organization:
        return await client.update_organization(org.id, name=values["name"], org_type=values["type"])

    saved = await screen.app.push_screen_wait(AdminFormModal(
        f"Edit {org.name}", f"Rename organization {org.id} or change its type.",
        [Field("name", "Name", value=org.name), Field("type", "Type", value=org.type or "team", choices=types)],
        confirm_label="Save", apply=save))
    if saved is None:
        return False
    screen.notify(f"Organization {saved.id} is now {saved.name} ({saved.type}).", markup=False)
    return True


async def delete_organization(screen: OrganizationsScreen, org: Organization) -> bool:
    client = screen.console.client
    return await admin_steps.delete_after_preview(
        screen, org.name, org.id, client.organization_delete_impact(org.id), lambda: client.delete_organization(org.id))


async def add_member(screen: OrganizationsScreen, org: Organization) -> Member | None:
    client = screen.console.client

    async def add(values: dict[str, str]) -> Member:
        return await client.add_member(org.id, values["email"], values["role"])

    added = await screen.app.push_screen_wait(AdminFormModal(
        f"Add a member to {org.name}",
        "The practitioner is looked up by their login e-mail; they must already have a JHE account.",
        [Field("email", "E-mail", placeholder="name@example.org"), Field("role", "Role", value="member",
                                                                          choices=ROLE_CHOICES)],
        confirm_label="Add", apply=add))
    if added is not None:
        screen.notify(f"{added.display_name} is now a {added.role} of {org.name}.", markup=False)
    return added


async def change_role(screen: OrganizationsScreen, client: JheClient, org: Organization, member: Member,
                      in_place: bool) -> bool:
    how = ("" if in_place else " This server (JHE before v0.0.13) cannot change a role in place: jhe-tui removes "
           "and adds the member again, in this one step (the old role is put back if the add fails).")

    async def change(role: str) -> Member:
        return await client.change_member_role(org.id, member.id, role)

    choices = [(f"{role}{' (now)' if role == member.role else ''}", role) for role in MEMBER_ROLES]
    chosen = await screen.app.push_screen_wait(ChoiceModal(
        f"Role of {member.display_name} in {org.name}", f"Choose the new role.{how}", choices, apply=change))
    if chosen is None or chosen == member.role:
        return False
    screen.notify(f"{member.display_name} is now a {chosen} of {org.name}.", markup=False)
    return True


async def remove_member(screen: OrganizationsScreen, org: Organization, member: Member) -> bool:
    client = screen.console.client
    you = " This is you: you lose your role here." if screen.console.session and \
        screen.console.session.user.id == member.id else ""
    answer = await screen.app.push_screen_wait(ConfirmModal(
        f"Remove {member.display_name} from {org.name}?",
        [f"{member.display_name} ({member.role}) loses their role in {org.name}.{you}",
         "Their account and what they did stay."], confirm_label="Remove", danger=True))
    return answer is not None and await admin_steps.done(
        screen, client.remove_member(org.id, member.id), f"{member.display_name} is no longer a member of {org.name}.")
