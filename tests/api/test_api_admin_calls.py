"""Administration through the client against the demo backend: what each call sends and
refuses, under the demo's rules and under v0.0.7's (a role changed by remove-then-add, a parent
never deleted), and the permission table the console's keys follow."""

from __future__ import annotations

import sqlite3

import pytest

from jhe_tui.api import Conflict, Forbidden, Generation, InvalidInput, JheClient, Member, NotFound, Organization
from jhe_tui.api.admin_rules import (ADMIN_RULES, change_refusal, create_child_refusal, last_manager_refusal,
                                     members_refusal, study_refusal)
from jhe_tui.api.http import ASGITransport


def _legacy(backend) -> JheClient:
    return JheClient(backend.site_url, backend.token_for("manager"), transport=ASGITransport(app=backend.app),
                     generation=Generation.LEGACY)


async def test_set_up_a_sub_organization_with_a_member(client_for) -> None:
    async with client_for("manager") as client:
        org = await client.create_organization("Sleep Lab", "laboratory", 20003)
        assert (await client.organization(org.id)).current_user_role == "manager"
        member = await client.add_member(org.id, "member@demo.jhe.example", "member")
        assert (member.id, member.role) == (10002, "member")
        with pytest.raises(Conflict, match="already a member"):
            await client.add_member(org.id, "member@demo.jhe.example", "viewer")
        changed = await client.change_member_role(org.id, 10002, "viewer")
        assert changed.role == "viewer"
        assert [(m.id, m.role) for m in await client.organization_members(org.id)] == [(10002, "viewer"),
                                                                                         (10001, "manager")]
        with pytest.raises(InvalidInput, match="last manager"):
            await client.remove_member(org.id, 10001)
        assert (await client.remove_member(org.id, 10002)).id == 10002


async def test_the_e_mail_must_be_a_practitioners(client_for, backend) -> None:
    conn = sqlite3.connect(backend.db_path)
    patient_email = conn.execute("SELECT email FROM jhe_user WHERE user_type = 'patient' LIMIT 1").fetchone()[0]
    conn.close()
    async with client_for("manager") as client:
        with pytest.raises(NotFound, match="No user has this e-mail"):
            await client.add_member(20003, "nobody@example.org", "member")
        with pytest.raises(InvalidInput, match="belongs to a patient"):
            await client.add_member(20003, patient_email, "member")
        with pytest.raises(InvalidInput, match="role must be one of"):
            await client.add_member(20003, "dana.brooks@demo.jhe.example", "owner")
        with pytest.raises(InvalidInput, match="Enter the e-mail"):
            await client.find_practitioner("  ")


async def test_a_viewer_is_refused_by_the_server_too(client_for) -> None:
    async with client_for("viewer") as client:
        with pytest.raises(Forbidden):
            await client.create_study(20003, "X", "Y")
        with pytest.raises(Forbidden):
            await client.create_organization("X", "team", 20003)


async def test_v0_0_7_changes_a_role_by_remove_then_add_and_refuses_a_parent_delete(backend) -> None:
    async with _legacy(backend) as client:
        parent = await client.create_organization("Parent", "team", 20003)
        child = await client.create_organization("Child", "team", parent.id)
        await client.add_member(parent.id, "dana.brooks@demo.jhe.example", "member")
        assert (await client.change_member_role(parent.id, 10005, "manager")).role == "manager"
        with pytest.raises(InvalidInput, match="cannot delete a parent"):
            await client.delete_organization(parent.id)
        impact = await client.organization_delete_impact(parent.id)
        assert impact.refusal and "delete Child first" in impact.refusal
        await client.delete_organization(child.id)
        await client.delete_organization(parent.id)
        with pytest.raises(NotFound):
            await client.organization(parent.id)


async def test_a_study_set_up_and_its_delete_preview(client_for) -> None:
    async with client_for("member") as client:
        study = await client.create_study(20003, "Sleep", "Sleep and heart rate", "https://example.org/i.png")
        with pytest.raises(InvalidInput, match="description may not be empty"):
            await client.update_study(study.id, description=" ")
        assert (await client.update_study(study.id, name="Sleep v2")).name == "Sleep v2"
        await client.add_scope_request(study.id, "omh:heart-rate:2.0")
        await client.add_scope_request(study.id, 50002)
        with pytest.raises(Conflict):
            await client.add_scope_request(study.id, 50002)
        with pytest.raises(InvalidInput, match="not one this server knows"):
            await client.add_scope_request(study.id, "omh:nothing:1.0")
        await client.add_study_data_source(study.id, 70001)
        with pytest.raises(Conflict):
            await client.add_study_data_source(study.id, 70001)
        await client.remove_scope_request(study.id, 50004)
        assert [r.scope_code.id for r in await client.study_scope_requests(study.id)] == [50002]
        impact = await client.study_delete_impact(30001)
        assert impact.enrolled > 0 and impact.consent_answers is not None and impact.consent_answers > 0
        assert f"{impact.enrolled} enrolled patients" in impact.lines()[1]
        await client.delete_study(study.id)


async def test_demo_patient_apps_round_trip(client_for) -> None:
    async with client_for("manager") as client:
        assert [a.name for a in await client.patient_apps()] == ["Patient Access", "CommonHealth", "CareX"]
        assert [a.id for a in await client.study_apps(30002)] == [3]
        added = await client.add_study_app(30002, 4)
        assert added.name == "CommonHealth"
        with pytest.raises(Conflict):
            await client.add_study_app(30002, 4)
        await client.remove_study_app(30002, 3)
        assert [a.id for a in await client.study_apps(30002)] == [4]


async def test_api_keys_round_trip(client_for) -> None:
    async with client_for("member") as client:
        key = await client.create_api_key("laptop")
        assert key.key and key.key not in repr(key)
        assert [k.label for k in await client.api_keys()] == ["laptop"]
        await client.revoke_api_key(key.id)
        assert await client.api_keys() == []
    async with JheClient("http://jhe.test", "t", generation=Generation.LEGACY) as client:
        with pytest.raises(InvalidInput, match="no practitioner API keys"):
            await client.api_keys()  # nothing is sent: there is no server at that address


def _org(org_id: int, role: str | None, part_of: int | None = 20003) -> Organization:
    return Organization(id=org_id, name=f"Org {org_id}", part_of=part_of, current_user_role=role)


def test_the_permission_table() -> None:
    parent, child = _org(20003, "manager", 20002), _org(20009, None)
    everyone = [parent, child]
    assert create_child_refusal(parent, superuser=False) is None
    assert "superuser" in create_child_refusal(None, superuser=False)
    assert "takes its manager" in create_child_refusal(_org(20003, "member"), superuser=False)
    assert change_refusal(child, everyone, superuser=False) is None  # the parent's manager
    assert "takes a manager of its parent" in change_refusal(parent, everyone, superuser=False)
    assert change_refusal(parent, everyone, superuser=True) is None
    # Members: v0.0.13 the organization's own manager, v0.0.7 the parent's.
    assert "takes its manager" in members_refusal(child, everyone, ADMIN_RULES[Generation.CURRENT], superuser=False)
    assert members_refusal(child, everyone, ADMIN_RULES[Generation.LEGACY], superuser=False) is None
    assert study_refusal(_org(1, "member")) is None
    assert "viewer" in study_refusal(_org(1, "viewer"))
    members = [Member(id=1, role="manager", first_name="Ann"), Member(id=2, role="member")]
    assert "last manager" in last_manager_refusal(members, 1, None)
    assert "cannot be made viewer" in last_manager_refusal(members, 1, "viewer")
    assert last_manager_refusal(members, 2, None) is None
    assert last_manager_refusal([*members, Member(id=3, role="manager")], 1, None) is None
