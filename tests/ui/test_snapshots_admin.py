"""The administration dialogs at 100x30 and 80x24: a new sub-organization and, for the superuser, a
new top-level one, adding a member (with
the server's refusal shown in place), a role change, an organization's and a study's delete with
their previews, a new study, its data types and the new-data-type warning, the API keys. Review
the SVGs after `pytest --snapshot-update`; never accept one unseen."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Tree

from tests.ui.test_data_snapshots import _fixed_seed, fixed_app  # noqa: F401  (fixtures: a seed at a fixed time)

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


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


async def _on_studies(pilot, settle) -> None:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)


async def _press(pilot, settle, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def new_sub_organization(pilot, settle):
    await _on(pilot, settle, 20003)
    await _press(pilot, settle, "c")
    pilot.app.screen.query_one("#field-name", Input).value = "Sleep Lab"


async def new_top_level_organization(pilot, settle):
    """As the superuser, who has no role anywhere: nothing is highlighted, so `c` offers the top level."""
    await settle(pilot)
    await _press(pilot, settle, "f5")
    await settle(pilot)
    await _press(pilot, settle, "c")
    pilot.app.screen.query_one("#field-name", Input).value = "Northside Clinic"


new_top_level_organization.user = "superuser"


async def add_member_refused(pilot, settle):
    await _on(pilot, settle, 20003)
    await _press(pilot, settle, "a")
    pilot.app.screen.query_one("#field-email", Input).value = "nobody@example.org"
    await _press(pilot, settle, "enter")


async def change_role(pilot, settle):
    await _on(pilot, settle, 20003)
    pilot.app.screen.query_one("#members", DataTable).focus()
    await settle(pilot)
    await _press(pilot, settle, "e")


async def delete_organization_preview(pilot, settle):
    await _on(pilot, settle, 20004)
    await _press(pilot, settle, "D")


async def api_keys(pilot, settle):
    await _on(pilot, settle, 20003)
    await _press(pilot, settle, "K")


async def new_study(pilot, settle):
    await _on_studies(pilot, settle)
    await _press(pilot, settle, "c")
    pilot.app.screen.query_one("#field-name", Input).value = "Sleep Study"


async def study_data_types(pilot, settle):
    await _on_studies(pilot, settle)
    await _press(pilot, settle, "t")


async def study_new_data_type_warning(pilot, settle):
    await _on_studies(pilot, settle)
    await _press(pilot, settle, "t", "enter")  # the first one, not requested yet


async def delete_study_preview(pilot, settle):
    await _on_studies(pilot, settle)
    await _press(pilot, settle, "D")


SCENES = [new_sub_organization, new_top_level_organization, add_member_refused, change_role, delete_organization_preview, api_keys, new_study,
          study_data_types, study_new_data_type_warning, delete_study_preview]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("scene", SCENES, ids=lambda scene: scene.__name__)
def test_admin_dialog(snap_compare, fixed_app, settle, scene, size):  # noqa: F811
    async def run_before(pilot):
        await scene(pilot, settle)

    assert snap_compare(fixed_app(getattr(scene, "user", "manager")), terminal_size=SIZES[size], run_before=run_before)
