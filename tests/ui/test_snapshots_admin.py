"""The administration dialogs at 100x30 and 80x24: a new sub-organization, adding a member (with
the server's refusal shown in place), a role change, and a delete with its preview. Review the
SVGs after `pytest --snapshot-update`; never accept one unseen."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Tree

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}
sizes = pytest.mark.parametrize("size", list(SIZES))


async def _on(pilot, settle, org_id: int) -> None:
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await settle(pilot)
    tree = pilot.app.screen.query_one("#org-tree", Tree)
    nodes = [tree.root]
    while nodes:
        node = nodes.pop()
        if node.data is not None and node.data.id == org_id:
            tree.move_cursor(node)
            break
        nodes.extend(node.children)
    await settle(pilot)


@sizes
def test_new_sub_organization(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on(pilot, settle, 20003)
        await pilot.press("c")
        await settle(pilot)
        pilot.app.screen.query_one("#field-name", Input).value = "Sleep Lab"

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_add_member_refused(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on(pilot, settle, 20003)
        await pilot.press("a")
        await settle(pilot)
        pilot.app.screen.query_one("#field-email", Input).value = "nobody@example.org"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_change_role(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on(pilot, settle, 20003)
        pilot.app.screen.query_one("#members", DataTable).focus()
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_delete_organization_preview(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on(pilot, settle, 20004)
        await pilot.press("D")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


async def _on_studies(pilot, settle) -> None:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)


@sizes
def test_new_study(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on_studies(pilot, settle)
        await pilot.press("c")
        await settle(pilot)
        pilot.app.screen.query_one("#field-name", Input).value = "Sleep Study"

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_study_data_types(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on_studies(pilot, settle)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_study_new_data_type_warning(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on_studies(pilot, settle)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("enter")  # the first one, not requested yet
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_delete_study_preview(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on_studies(pilot, settle)
        await pilot.press("D")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_api_keys(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await _on(pilot, settle, 20003)
        await pilot.press("K")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)
