"""Scenarios for the recorded administration exchanges (``*-admin.jsonl``): organizations,
members, studies with their data types, data sources and apps, and API keys.

As in ``api_replay``: each exchange goes to the client method a practitioner's action would use,
with the reads its guards make answered consistently with the recording; where a guard stops the
client before the recorded request (a 500 it avoids, a body it never sends), the refusal is
checked and the raw request then replays the recorded answer. The invitation part of the files is
left to the invitation tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from api_recordings import Exchange
from api_replay import Scenario, Support, expect, raw

from jhe_tui.api import Generation, InvalidInput, JheClient, JheError, NotFound
from jhe_tui.api.admin_rules import MEMBER_ROLES

# The invitation and sign-in part of each file (the API-key part starts after it).
INVITATION_PART = {Generation.LEGACY: range(103, 111), Generation.CURRENT: range(107, 132)}
# Organizations that have a sub-organization in these recordings, and which one.
CHILDREN = {20009: 20010, 20012: 20013}


class AdminWorld:
    def __init__(self, exchanges: list[Exchange], exchange: Exchange):
        self.exchanges = [e for e in exchanges if e.generation is exchange.generation]
        self.exchange = exchange

    def answer(self, method: str, path: str) -> Any:
        return next(e.json for e in self.exchanges if (e.method, e.path) == (method, path) and e.status == 200
                    and not e.query)

    def types(self) -> Support:
        return {("GET", "/api/v1/organizations/types"): (200, self.answer("GET", "/api/v1/organizations/types"))}

    def organization(self, organization_id: int) -> dict:
        return {"id": organization_id, "name": f"Organization {organization_id}", "type": "team",
                "partOf": 20003, "currentUserRole": "manager", "children": []}

    def tree(self, organization_id: int) -> dict:
        child = CHILDREN.get(organization_id)
        gone = self.exchange.label.startswith("b84: then")  # the child was deleted just before
        return {**self.organization(organization_id),
                "children": [self.organization(child)] if child and not gone else []}


def result_of(call: Callable[[JheClient], Awaitable[Any]]) -> Callable[[JheClient], Awaitable[Any]]:
    """The call's error as its result, for a 200 the client reads as a refusal (an e-mail
    search that found nobody, or a patient)."""

    async def run(client: JheClient) -> Any:
        try:
            return await call(client)
        except JheError as error:
            return error

    return run


def organization_types(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(types: dict) -> None:
        assert types == {code: label for code, label in ex.json.items() if code != "root"}

    return Scenario(call=lambda c: c.organization_types(), check=check)


def create_organization(ex: Exchange, world: AdminWorld) -> Scenario:
    body = ex.request_body

    def check(org: Any) -> None:
        assert (org.id, org.name, org.part_of) == (ex.json["id"], body["name"], ex.json["partOf"])

    return Scenario(call=lambda c: c.create_organization(body["name"], body["type"], body.get("partOf")),
                    check=check, support=world.types())


def organization(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(org: Any) -> None:
        assert (org.id, org.name, org.current_user_role) == (ex.json["id"], ex.json["name"], ex.json["currentUserRole"])

    return Scenario(call=lambda c: c.organization(int(ex.path.rsplit("/", 1)[1])), check=check)


def tree(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(org: Any) -> None:
        assert [child.id for child in org.children] == [child["id"] for child in ex.json["children"]]
        assert org.current_user_role == ex.json["currentUserRole"]

    return Scenario(call=lambda c: c.organization_tree(int(ex.path.split("/")[4])), check=check)


def update_organization(ex: Exchange, world: AdminWorld) -> Scenario:
    org_id, body = int(ex.path.rsplit("/", 1)[1]), ex.request_body
    change = lambda c: c.update_organization(org_id, name=body.get("name"), org_type=body.get("type"))  # noqa: E731
    support = {("GET", ex.path): (200, world.organization(org_id)), **world.types()}
    if body.get("type") == "zzz":
        scenario = raw(ex, world)
        scenario.before, scenario.before_support = expect(change, InvalidInput, "not an organization type"), support

        return scenario

    def check(org: Any) -> None:
        assert (org.name, org.type) == (ex.json["name"], ex.json["type"])

    return Scenario(call=change, check=check, support=support)


def delete_organization(ex: Exchange, world: AdminWorld) -> Scenario:
    org_id = int(ex.path.rsplit("/", 1)[1])
    delete = lambda c: c.delete_organization(org_id)  # noqa: E731
    tree_path = f"{ex.path}/tree"
    if ex.status == 500 and "again" in ex.label:  # already deleted: the client reads it first
        scenario = raw(ex, world)
        scenario.before = expect(delete, NotFound, "No Organization matches")
        scenario.before_support = {("GET", tree_path): (404, {"detail": "No Organization matches the given query."})}
        return scenario
    support = {("GET", tree_path): (200, world.tree(org_id))}
    if world.tree(org_id)["children"] and ex.generation is Generation.LEGACY:
        scenario = raw(ex, world)
        scenario.before, scenario.before_support = expect(delete, InvalidInput, "cannot delete a parent"), support
        return scenario

    def check(result: Any) -> None:
        assert result is None

    return Scenario(call=delete, check=check, support=support)


def members(ex: Exchange, world: AdminWorld) -> Scenario:
    def check(found: Any) -> None:
        assert [(m.id, m.role) for m in found] == [(m["id"], m["role"]) for m in ex.json]

    return Scenario(call=lambda c: c.organization_members(int(ex.path.split("/")[4])), check=check)


def search_by_email(ex: Exchange, world: AdminWorld) -> Scenario:
    email = ex.params.get("email")
    find = lambda c: c.find_practitioner(email or "")  # noqa: E731
    if email is None:
        scenario = raw(ex, world)
        scenario.before = expect(find, InvalidInput, "Enter the e-mail address")
        return scenario
    expected = {None: NotFound, "patient": InvalidInput}.get(ex.json.get("userType"))

    def check(found: Any) -> None:
        if expected is None:
            assert (found.id, found.user_type) == (ex.json["id"], "practitioner")
        else:
            assert type(found) is expected and "@" not in found.message
            assert ("patient" in found.message) == (expected is InvalidInput), found.message

    return Scenario(call=result_of(find), check=check)


def _lookup(user_id: int) -> dict:
    return {"id": user_id, "email": f"user{user_id}@example.org", "firstName": "User", "lastName": str(user_id),
            "patient": None, "userType": "practitioner", "isSuperuser": False}


def _members_with(user_id: int | None, role: str = "member") -> list[dict]:
    listed = [{"id": 10099, "email": "other@example.org", "firstName": "Other", "lastName": "Manager",
               "role": "manager"}]
    if user_id is not None:
        listed.append({"id": user_id, "email": f"user{user_id}@example.org", "firstName": "User",
                       "lastName": str(user_id), "role": role})
    return listed


def add_member(ex: Exchange, world: AdminWorld) -> Scenario:
    org_id, body = int(ex.path.split("/")[4]), ex.request_body
    user_id, role = body.get("jheUserId"), body.get("organizationPartitionerRole")
    members_path = f"/api/v1/organizations/{org_id}/users"
    if set(body) != {"jheUserId", "organizationPartitionerRole"}:
        return raw(ex, world)  # a body the client never sends (no id, no role, userType)
    if role not in MEMBER_ROLES:
        scenario = raw(ex, world)
        scenario.before = expect(lambda c: c.add_member(org_id, "someone@example.org", role), InvalidInput,
                                 "The role must be one of")
        return scenario
    if ex.status == 404:  # a patient's id: the client looks the e-mail up and stops there
        patient = world.answer("GET", "/api/v1/users/search_by_email")
        scenario = raw(ex, world)
        scenario.before = expect(lambda c: c.add_member(org_id, "patient@example.org", role), InvalidInput,
                                 "belongs to a patient")
        scenario.before_support = {("GET", "/api/v1/users/search_by_email"): (200, {**patient, "userType": "patient"})}
        return scenario
    if "again with role" in ex.label:  # a new role for a member: in place, or (v0.0.7) remove and add
        support: Support = {("GET", members_path): (200, _members_with(user_id, "member")),
                            ("DELETE", f"/api/v1/organizations/{org_id}/remove_user"): (204, None),
                            ("POST", ex.path): (200, {"role": "member"})}

        def check_role(member: Any) -> None:
            assert (member.id, member.role) == (user_id, role)

        # v0.0.7: the recorded 500 is raised, after the old role was put back (the second POST).
        return Scenario(call=lambda c: c.change_member_role(org_id, user_id, role), check=check_role,
                        support=support)

    def check(member: Any) -> None:
        assert (member.id, member.role) == (user_id, role)

    support = {("GET", "/api/v1/users/search_by_email"): (200, _lookup(user_id)),
               ("GET", members_path): (200, _members_with(None))}
    return Scenario(call=lambda c: c.add_member(org_id, f"user{user_id}@example.org", role), check=check,
                    support=support)


def remove_member(ex: Exchange, world: AdminWorld) -> Scenario:
    org_id, user_id = int(ex.path.split("/")[4]), (ex.request_body or {}).get("jheUserId")
    members_path = f"/api/v1/organizations/{org_id}/users"
    remove = lambda c: c.remove_member(org_id, user_id)  # noqa: E731
    if user_id is None:
        return raw(ex, world)
    if "last manager" in ex.label:
        scenario = raw(ex, world)
        scenario.before = expect(remove, InvalidInput, "last manager")
        last = [{"id": user_id, "email": "me@example.org", "firstName": "Mary", "lastName": "M", "role": "manager"}]
        scenario.before_support = {("GET", members_path): (200, last)}
        return scenario
    if "not a member" in ex.label:
        scenario = raw(ex, world)
        scenario.before = expect(remove, NotFound, "is not a member")
        scenario.before_support = {("GET", members_path): (200, _members_with(None))}
        return scenario

    def check(member: Any) -> None:
        assert member.id == user_id

    return Scenario(call=remove, check=check, support={("GET", members_path): (200, _members_with(user_id))})
