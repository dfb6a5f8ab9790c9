"""What a new link kills, as the record and the desk's bulk re-issue say it before asking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jhe_tui.jobs.followup import Invited
from jhe_tui.widgets.invitation_history import outstanding_of_many

NOV_28 = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def invited(days_later: int = 0, *, status: str = "issued", emailed: bool | None = True, local: bool = False) -> Invited:
    issued = NOV_28 + timedelta(days=days_later)
    return Invited(issued, status, issued + timedelta(days=7), emailed, local=local)


def test_the_bulk_warning_names_when_the_dying_links_went_out():
    said = outstanding_of_many([invited(), invited(2), invited(1, status="redeemed"), invited(status="expired")])
    assert said == "The links e-mailed between 2026-11-28 and 2026-11-30 to 2 patients will stop working."


def test_one_day_one_patient_and_a_mix_of_channels():
    assert outstanding_of_many([invited(emailed=False)]) == "The links copied on 2026-11-28 to 1 patient will stop working."
    mixed = outstanding_of_many([invited(), invited(emailed=False)])
    assert mixed == "The links sent on 2026-11-28 to 2 patients will stop working."


def test_links_known_only_from_this_workstations_log_may_already_be_used():
    said = outstanding_of_many([invited(status="recorded", local=True)])
    assert said is not None and "(recorded on this workstation)" in said and said.endswith("if still unused.")


def test_nothing_outstanding_says_nothing():
    assert outstanding_of_many([]) is None
    assert outstanding_of_many([invited(status="redeemed"), invited(status="cancelled")]) is None
