"""Organizations and their members, changed: with the reads that keep the real servers' 500s
away (an unknown organization's PATCH/DELETE, a parent's DELETE at v0.0.7, a second member link
at v0.0.7, a member without a role) and the guard JHE lacks (an organization keeps a manager)."""

from __future__ import annotations

import asyncio
from typing import Any

from .admin_models import OrganizationImpact
from .admin_rules import ADMIN_RULES, MEMBER_ROLES, AdminRules, last_manager_refusal
from .client_core import ClientCore, _parse, _parse_list
from .errors import Conflict, InvalidInput, JheError, NotFound
from .models import Member, Organization, Study, UserProfile


def _required(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"Enter the {what}.", field_errors={what.replace(' ', '_'): ["Required."]})
    return text


def _role(role: str) -> str:
    if role not in MEMBER_ROLES:
        raise InvalidInput(f"The role must be one of {', '.join(MEMBER_ROLES)}.", field_errors={"role": ["Unknown."]})
    return role


def subtree(org: Organization) -> list[Organization]:
    """Every organization under ``org`` (a ``tree`` answer), depth first."""
    found: list[Organization] = []
    for child in org.children:
        found += [child, *subtree(child)]
    return found


class AdminCalls(ClientCore):
    async def admin_rules(self) -> AdminRules:
        """How the detected generation handles administration (``admin_rules.AdminRules``)."""
        return ADMIN_RULES[(await self.server_info()).generation]


class OrganizationAdminCalls(AdminCalls):
    async def organization_types(self) -> dict[str, str]:
        """Organization type codes and their labels, as the server offers them (ROOT left out)."""
        doing = "listing organization types"
        data = await self._get("/api/v1/organizations/types", doing)
        if not isinstance(data, dict):
            return {}
        return {str(code): str(label) for code, label in data.items() if code != "root"}

    async def _checked_type(self, org_type: str) -> str:
        types = await self.organization_types()
        if org_type not in types:
            raise InvalidInput(f"'{org_type}' is not an organization type this server knows.",
                               field_errors={"type": ["Unknown."]})
        return org_type

    async def create_organization(self, name: str, org_type: str, part_of: int | None) -> Organization:
        """A sub-organization of ``part_of`` (None: a top-level one, which takes a superuser).
        The creator becomes its manager; the server's answer says nothing of that."""
        body: dict[str, Any] = {"name": _required(name, "name"), "type": await self._checked_type(org_type)}
        if part_of not in (None, 0):
            body["partOf"] = int(part_of)
        doing = "creating the organization"
        return _parse(Organization, await self._session.json("POST", "/api/v1/organizations", json=body,
                                                             doing=doing), doing)

    async def update_organization(self, organization_id: int, *, name: str | None = None,
                                  org_type: str | None = None) -> Organization:
        """Rename it or change its type. Read first: an unknown id is a 500 at the server."""
        await self.organization(organization_id)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = _required(name, "name")
        if org_type is not None:
            body["type"] = await self._checked_type(org_type)
        doing = "changing the organization"
        data = await self._session.json("PATCH", f"/api/v1/organizations/{int(organization_id)}", json=body,
                                        doing=doing)
        return _parse(Organization, data, doing)

    async def organization_studies(self, organization_id: int) -> list[Study]:
        doing = "listing the organization's studies"
        return _parse_list(Study, await self._get(f"/api/v1/organizations/{int(organization_id)}/studies", doing),
                           doing)

    async def organization_delete_impact(self, organization_id: int) -> OrganizationImpact:
        """What a delete would take: the subtree, its studies, and the patients of the subtree who
        belong to no organization outside it."""
        tree = await self.organization_tree(organization_id)
        descendants = subtree(tree)
        ids = {tree.id, *(o.id for o in descendants)}
        studies = [s for batch in await asyncio.gather(*(self.organization_studies(i) for i in sorted(ids)))
                   for s in batch]
        orphaned: int | None = None
        try:
            patients = {}
            for org_id in sorted(ids):
                async for patient in self.iter_patients(org_id):
                    patients[patient.id] = patient
            orphaned = sum(1 for p in patients.values() if set(p.organization_ids) <= ids)
        except JheError:
            orphaned = None
        refusal = None
        if descendants and not (await self.admin_rules()).deletes_parents:
            names = ", ".join(o.name for o in descendants if not o.children)
            refusal = (f"this server (JHE before v0.0.13) cannot delete an organization that has sub-organizations "
                       f"(it fails and deletes nothing); delete {names} first")
        return OrganizationImpact(organization=tree, descendants=descendants, studies=studies,
                                  orphaned_patients=orphaned, refusal=refusal)

    async def delete_organization(self, organization_id: int) -> None:
        """Delete it (with its subtree where the server cascades). Refused before sending where
        the server would fail: an unknown id (500 at both), a parent at v0.0.7 (500)."""
        tree = await self.organization_tree(organization_id)
        if tree.children and not (await self.admin_rules()).deletes_parents:
            names = ", ".join(child.name for child in tree.children)
            raise InvalidInput(f"{tree.name} has sub-organizations ({names}); this server (JHE before v0.0.13) "
                               "cannot delete a parent, so delete them first.")
        await self._session.json("DELETE", f"/api/v1/organizations/{int(organization_id)}",
                                 doing="deleting the organization")

    # --- members --------------------------------------------------------------------------------

    async def find_practitioner(self, email: str) -> UserProfile:
        """The practitioner whose login is ``email``. Never asked without an e-mail: the server
        then answers with the first user of all."""
        email = _required(email, "e-mail address")
        doing = "looking up the practitioner"
        found = _parse(UserProfile, await self._get("/api/v1/users/search_by_email", doing, {"email": email}), doing)
        if found.id is None:
            raise NotFound("No user has this e-mail address; a practitioner must have a JHE account "
                           "before they can be added.")
        if found.user_type != "practitioner":
            kind = "a patient" if found.user_type == "patient" else "not a practitioner"
            raise InvalidInput(f"This e-mail address belongs to {kind}; only practitioners can be members.")
        return found

    async def add_member(self, organization_id: int, email: str, role: str) -> Member:
        """Give the practitioner with that e-mail a role here; one already a member is refused
        (a second link is a 500 at v0.0.7 and silently changes the role at v0.0.13)."""
        role = _role(role)
        user = await self.find_practitioner(email)
        members = await self.organization_members(organization_id)
        existing = next((m for m in members if m.id == user.id), None)
        if existing is not None:
            raise Conflict(f"{existing.display_name} is already a {existing.role} of this organization; "
                           "change their role instead.")
        await self._grant_role(organization_id, user.id or 0, role)
        return Member(id=user.id or 0, email=user.email, first_name=user.first_name, last_name=user.last_name,
                      role=role)

    async def _grant_role(self, organization_id: int, user_id: int, role: str) -> None:
        body = {"jheUserId": int(user_id), "organizationPartitionerRole": role}
        await self._session.json("POST", f"/api/v1/organizations/{int(organization_id)}/user", json=body,
                                 doing="adding the member")

    async def _take_role(self, organization_id: int, user_id: int) -> None:
        await self._session.json("DELETE", f"/api/v1/organizations/{int(organization_id)}/remove_user",
                                 json={"jheUserId": int(user_id)}, doing="removing the member")

    async def _member(self, organization_id: int, user_id: int, new_role: str | None) -> Member:
        members = await self.organization_members(organization_id)
        member = next((m for m in members if m.id == int(user_id)), None)
        if member is None:
            raise NotFound(f"User {user_id} is not a member of this organization.")
        refusal = last_manager_refusal(members, member.id, new_role)
        if refusal:
            raise InvalidInput(refusal[:1].upper() + refusal[1:] + ".")
        return member

    async def change_member_role(self, organization_id: int, user_id: int, role: str) -> Member:
        """A new role: in place from v0.0.13; at v0.0.7 (which fails on a second link) by removing
        and adding again, the old role put back if the add fails."""
        role = _role(role)
        member = await self._member(organization_id, user_id, role)
        if member.role == role:
            return member
        if not (await self.admin_rules()).role_change_in_place:
            await self._take_role(organization_id, member.id)
            try:
                await self._grant_role(organization_id, member.id, role)
            except JheError as failure:
                await self._grant_role(organization_id, member.id, member.role or "member")
                raise type(failure)(f"{failure.message} The role was put back to {member.role}.",
                                    failure.status, detail=failure.detail) from None
        else:
            await self._grant_role(organization_id, member.id, role)
        return member.model_copy(update={"role": role})

    async def remove_member(self, organization_id: int, user_id: int) -> Member:
        """Take the practitioner's role away; the last manager stays (oneself included)."""
        member = await self._member(organization_id, user_id, None)
        await self._take_role(organization_id, member.id)
        return member
