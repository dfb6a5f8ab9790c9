"""Who may administer what, by JHE's own permission table (``jhe/api-contract.md`` section 3),
and how the two server generations differ in administration.

The real servers are looser than their table in places (a viewer may add scope requests, the
manager of another tree may add a data source); jhe-tui follows the table, so an action is
offered only where the table allows it, and otherwise comes with the reason. Every function
answers None when the action is allowed, else one sentence saying why not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .generation import Generation
from .models import Member, Organization

MANAGER_ROLES = frozenset({"manager", "super_user"})
STUDY_ROLES = frozenset({"manager", "member", "super_user"})
MEMBER_ROLES = ("member", "manager", "viewer")


@dataclass(frozen=True)
class AdminRules:
    """What one generation does with administration requests."""

    role_change_in_place: bool  # a second link updates the role (v0.0.13); v0.0.7 answers 500
    deletes_parents: bool  # deleting an organization cascades to its children; v0.0.7 answers 500
    members_from_parent: bool  # v0.0.7 checks the parent's manager for members, v0.0.13 the organization's
    patient_apps: bool  # /clients and studies/{id}/clients exist (v0.0.13)
    api_keys: bool  # /practitioner_clients exists (v0.0.13)


ADMIN_RULES: dict[Generation, AdminRules] = {
    Generation.LEGACY: AdminRules(role_change_in_place=False, deletes_parents=False, members_from_parent=True,
                                  patient_apps=False, api_keys=False),
    Generation.CURRENT: AdminRules(role_change_in_place=True, deletes_parents=True, members_from_parent=False,
                                   patient_apps=True, api_keys=True),
    # The demo lists v0.0.13's patient apps (its invitation links stay the guide's, for one app).
    Generation.DEMO: AdminRules(role_change_in_place=True, deletes_parents=True, members_from_parent=False,
                                patient_apps=True, api_keys=True),
}


def _by_id(organizations: Iterable[Organization]) -> dict[int, Organization]:
    return {org.id: org for org in organizations}


def _name(org: Organization | None, fallback: str) -> str:
    return (org.name if org is not None else "") or fallback


def _top_level(org: Organization) -> bool:
    return org.part_of in (None, 0)


def _role_in(org: Organization | None) -> str | None:
    return org.current_user_role if org is not None else None


def create_child_refusal(parent: Organization | None, *, superuser: bool) -> str | None:
    """A sub-organization of ``parent`` (None: a top-level one) takes its manager, or a superuser."""
    if superuser:
        return None
    if parent is None or parent.id == 0:
        return "only a superuser can create a top-level organization"
    if _role_in(parent) not in MANAGER_ROLES:
        return f"creating a sub-organization of {_name(parent, 'this organization')} takes its manager"
    return None


def change_refusal(org: Organization, organizations: Iterable[Organization], *, superuser: bool) -> str | None:
    """Renaming or deleting an organization takes the manager of its parent (of itself when top-level)."""
    if superuser:
        return None
    if org.id == 0:
        return "the root of the tree cannot be changed"
    if _top_level(org):
        if _role_in(org) in MANAGER_ROLES:
            return None
        return f"changing top-level {_name(org, 'organization')} takes its manager or a superuser"
    parent = _by_id(organizations).get(org.part_of or 0)
    if _role_in(parent) in MANAGER_ROLES:
        return None
    return f"changing {_name(org, 'this organization')} takes a manager of {_name(parent, 'its parent')}"


def members_refusal(org: Organization, organizations: Iterable[Organization], rules: AdminRules,
                    *, superuser: bool) -> str | None:
    """Adding, removing and changing members: the organization's manager (v0.0.13), or the
    parent's (v0.0.7, the organization's own when it is top-level)."""
    if superuser:
        return None
    if org.id == 0:
        return "the root of the tree has no members"
    if rules.members_from_parent and not _top_level(org):
        parent = _by_id(organizations).get(org.part_of or 0)
        if _role_in(parent) in MANAGER_ROLES:
            return None
        return (f"on this server the members of {_name(org, 'an organization')} are managed by a manager of "
                f"{_name(parent, 'its parent')}")
    if _role_in(org) in MANAGER_ROLES:
        return None
    return f"managing the members of {_name(org, 'this organization')} takes its manager"


def study_refusal(org: Organization | None) -> str | None:
    """Creating, changing and deleting studies (and what they request) takes a manager or member."""
    if org is None:
        return "choose an organization first"
    role = _role_in(org)
    if role in STUDY_ROLES:
        return None
    return (f"your role in {_name(org, 'this organization')} is {role or 'none'}; "
            "studies are set up by its managers and members")


def last_manager_refusal(members: Iterable[Member], user_id: int, new_role: str | None) -> str | None:
    """An organization keeps at least one manager: removing (``new_role`` None) or demoting its
    last one is refused, oneself included (JHE has no such guard, and only a superuser could
    then give the organization a manager again)."""
    members = list(members)
    managers = [m for m in members if m.role == "manager"]
    target = next((m for m in members if m.id == user_id), None)
    if target is None or target.role != "manager" or new_role == "manager" or len(managers) > 1:
        return None
    what = "removed" if new_role is None else f"made {new_role}"
    return f"{target.display_name} is the organization's last manager and cannot be {what}; add another manager first"
