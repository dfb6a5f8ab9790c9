"""The Observations screen at 100x30 and 80x24: patient and both dates first, the data source
column and filter, ticked rows. Seeded at a fixed moment (see test_data_snapshots). Review the
SVGs after `pytest --snapshot-update`; never accept one unseen."""

from __future__ import annotations

import pytest

from test_data_snapshots import _fixed_seed, fixed_app  # noqa: F401  (the fixtures, shared)


async def _observations(pilot, settle):
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("space", "space")  # two rows ticked
    await settle(pilot)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_observations_screen(snap_compare, fixed_app, settle, size):  # noqa: F811
    assert snap_compare(fixed_app(), terminal_size=size, run_before=lambda pilot: _observations(pilot, settle))


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_patient_picker(snap_compare, fixed_app, settle, size):  # noqa: F811
    async def run_before(pilot):
        await _observations(pilot, settle)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press(*"ali", "enter")
        await settle(pilot)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)
