"""The patient list (plain, filtered and sorted), Find, Studies and the patient picker, at
100x30 and at 80x24 (an SSH session's default). Review the SVGs after `pytest --snapshot-update`;
never accept one unseen."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.ui.test_data_snapshots import _fixed_seed, fixed_app  # noqa: F401  (fixtures)

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}
sizes = pytest.mark.parametrize("size", list(SIZES))


@sizes
def test_patient_list(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space", "down", "space")

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_patient_list_filtered_and_sorted(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(">", ">", ">", ">", ">")  # Family name, ascending
        await pilot.press("f", *"ad")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_patient_list_empty_organization(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        from textual.widgets import Select

        await settle(pilot)
        riverside = next(o for o in pilot.app.session.organizations if o.name == "Riverside University")
        pilot.app.screen.query_one("#organization", Select).value = riverside.id
        await settle(pilot)

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_find_with_results(snap_compare, make_app, settle, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        pilot.app.screen.query_one("#find-text", Input).value = "lopez"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down")

    assert snap_compare(make_app(frozen=True), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_studies(snap_compare, fixed_app, settle, size):  # noqa: F811
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(fixed_app(), terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_patient_picker(snap_compare, fixed_app, settle, size):  # noqa: F811
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("plus")
        await settle(pilot)
        await pilot.press(*"ivanova")
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=SIZES[size], run_before=run_before)
