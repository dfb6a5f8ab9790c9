"""Studies, observations and organizations against the embedded backend: filters, detail pane,
chart, roster last-data column and silent marking, export from the screen, local filtering."""

from __future__ import annotations

import csv
import io
import re
import statistics
from datetime import date, timedelta

from rich.console import Console
from textual.widgets import Input, Select, Static, Tree

from jhe_tui.api import ASGITransport, Generation, JheClient
from jhe_tui.app import JheApp
from jhe_tui.dialogs.export import ExportModal
from jhe_tui.screens.observations import ObservationsScreen
from jhe_tui.screens.organizations import OrganizationsScreen
from jhe_tui.screens.studies import StudiesScreen
from jhe_tui.dialogs.chart import ChartModal
from jhe_tui.widgets.clock import ago, now

SIZE = (100, 30)
GLUCOSE = "https://w3id.org/openmhealth|omh:blood-glucose:4.0"


def plain(renderable) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def rows(screen, column: int) -> list[str]:
    table = screen.table.data_table
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def open_observations(pilot, settle) -> ObservationsScreen:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ObservationsScreen)
    return screen


async def set_input(pilot, settle, screen, selector: str, value: str) -> None:
    box = screen.query_one(selector, Input)
    box.focus()
    box.value = value
    await pilot.press("enter")
    await settle(pilot)


async def test_filters_by_data_type_patient_and_dates(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        org = app.organization.id
        total = screen.table.count
        assert total == (await client.fhir_observations(organization_id=org, count=1)).count > 1000
        screen.query_one("#code", Select).value = GLUCOSE
        await settle(pilot)
        glucose = (await client.fhir_observations(organization_id=org, code=GLUCOSE, count=1)).count
        assert screen.table.count == glucose < total
        assert set(rows(screen, 4)) == {"Blood glucose"}
        assert all("mg/dL" in value for value in rows(screen, 5))
        await set_input(pilot, settle, screen, "#patient", "40001")
        assert screen.table.count > 0 and all(cell.endswith("(40001)") for cell in rows(screen, 1))
        today = now().date()
        since = today - timedelta(days=6)
        await set_input(pilot, settle, screen, "#since", since.isoformat())
        expected = await client.fhir_observations(organization_id=org, patient_id=40001, code=GLUCOSE,
                                                  date_ge=since, count=1000)
        assert screen.table.count == expected.count
        assert all(date.fromisoformat(cell[:10]) >= since for cell in rows(screen, 2))
        # A range that starts after it ends is refused on screen, and nothing is listed.
        await set_input(pilot, settle, screen, "#until", (since - timedelta(days=1)).isoformat())
        notice = str(screen.query_one("#notice", Static).content)
        assert "starts after it ends" in notice and screen.table.count == 0
        # Not a date: said so.
        await set_input(pilot, settle, screen, "#until", "yesterday")
        assert "last day must be a date" in str(screen.query_one("#notice", Static).content)


async def test_an_empty_result_and_an_unknown_patient_say_so(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        await set_input(pilot, settle, screen, "#since", "2001-01-01")
        await set_input(pilot, settle, screen, "#until", "2001-01-31")
        assert screen.table.count == 0
        assert "No observation matches" in str(screen.query_one("#notice", Static).content)
        await set_input(pilot, settle, screen, "#patient", "49999")
        error = screen.query_one("#error")
        assert error.has_class("shown") and "49999" in str(error.content)


async def test_detail_pane_shows_decoded_fields_and_raw_json(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        await pilot.press("enter")
        await pilot.pause()
        pane = screen.query_one("#observation-detail")
        assert pane.has_class("shown") and pane.display
        item = screen.table.cursor_item
        body = plain(screen.detail)
        assert re.search(rf"^Observation +{item.id}\b", body, re.M)  # labels are padded to the longest one
        assert item.value.text in body and "Raw Open mHealth JSON" in body and '"schema_id"' in body
        await pilot.press("down")
        await pilot.pause()
        assert re.search(rf"^Observation +{screen.table.cursor_item.id}\b", plain(screen.detail), re.M)
        await pilot.press("v")
        assert not pane.has_class("shown")


async def test_chart_of_one_patient_and_one_numeric_type(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        screen.query_one("#code", Select).value = GLUCOSE
        await settle(pilot)
        await set_input(pilot, settle, screen, "#patient", "40001")
        await pilot.press("l", "l")  # last 30 days
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartModal)
        # The range the screen chose, read back so that a test run across midnight UTC still agrees.
        since, until = screen.query_.since, screen.query_.until
        assert until - since == timedelta(days=29) and until in {now().date(), now().date() - timedelta(days=1)}
        values = [o.value.value async for o in client.iter_fhir_observations(
            organization_id=app.organization.id, patient_id=40001, code=GLUCOSE, date_ge=since, date_le=until)]
        assert values
        (series,) = chart._series
        assert sorted(v for _, v in series.points) == sorted(values)
        summary = series.summary()
        assert f"min {min(values):g} mg/dL" in summary.replace(".0 ", " ") and f"max {max(values):g}" in summary
        assert f"median {statistics.median(values):g}" in summary
        await pilot.press("escape")
        assert app.screen is screen


async def test_export_from_the_screen_uses_the_current_filters(make_app, client, settle, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        screen.query_one("#code", Select).value = GLUCOSE
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExportModal)
        out = tmp_path / "glucose.csv"
        modal.query_one("#path", Input).value = str(out)
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.screen is screen
        with out.open(newline="") as f:
            exported = list(csv.DictReader(f))
        assert len(exported) == screen.table.count and {r["code_coding_0_code"] for r in exported} == {"omh:blood-glucose:4.0"}
        assert "Exported" in str(screen.query_one("#notice", Static).content)
        # A second export to the same file is refused in the dialog, not silently overwritten.
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#path", Input).value = str(out)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(app.screen, ExportModal)
        assert "already exists" in str(app.screen.query_one("#problem", Static).content)


async def test_local_filtering_on_a_server_that_cannot_filter(backend, settle):
    """With the v0.0.7 rules (admin list, no code filter) the screen filters pages itself and says so."""
    client = JheClient(backend.site_url, backend.token_for("manager"), transport=ASGITransport(app=backend.app),
                       generation=Generation.LEGACY)
    app = JheApp(client, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_observations(pilot, settle)
        screen.query_one("#code", Select).value = GLUCOSE
        await settle(pilot)
        assert set(rows(screen, 4)) == {"Blood glucose"} and screen.table.data_table.row_count == 20
        assert "cannot filter by data type" in str(screen.query_one("#notice", Static).content)


async def open_studies(pilot, settle) -> StudiesScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudiesScreen)
    return screen


async def test_roster_last_data_consent_and_silent_marking(make_app, client, settle):
    app = make_app()
    opened = now()  # the roster's "ago" texts are computed between this and the checks below
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_studies(pilot, settle)
        study = screen.study
        org = app.organization.id
        assert [s.id for s in screen.studies] == [s.id for s in await client.studies(org)]
        enrolled = [p async for p in client.iter_patients(org, study.id)]
        assert screen.roster.count == len(enrolled)
        table = screen.roster.data_table
        headers = list(table.labels)
        scopes = await client.study_scope_requests(study.id)
        assert headers[3:5] == ["Status", "Last data"]
        assert headers[5:] == [r.scope_code.display for r in scopes]
        checked_silent = 0
        for i, entry in enumerate(screen.entries):
            newest = []
            for r in scopes:
                page = await client.fhir_observations(patient_id=entry.id, study_id=study.id, code=r.scope_code.key,
                                                      count=1)
                newest += [page.items[0].last_updated] if page.items else []
            latest = max(newest) if newest else None
            row = [str(c) for c in table.get_row_at(i)]
            # A minute may turn between the screen's painting and this check: either side is right.
            assert row[4] in {ago(latest, at=opened), ago(latest)}
            if row[3].startswith("⚠"):
                checked_silent += 1
                assert latest is None or (now() - latest).days >= 3
        assert checked_silent >= 1  # the seed has patients who stopped sending
        # The threshold is configurable: at 365 days nobody who sent anything this year is silent.
        box = screen.query_one("#silent-days", Input)
        box.value = "365"
        await pilot.pause()
        statuses = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert screen.silent_days == 365 and not any(s.startswith("⚠") for s in statuses)
        box.value = "3"
        await pilot.pause()
        await pilot.press("q")  # only the silent (quiet) ones
        await pilot.pause()
        assert table.row_count == checked_silent
        # b opens the patient's observations in this study.
        table.focus()
        patient = screen.roster.cursor_item
        await pilot.press("b")
        await settle(pilot)
        await settle(pilot)
        obs = app.screen
        assert isinstance(obs, ObservationsScreen)
        assert obs.query_.patient_id == patient.id and obs.query_.study_id == study.id
        assert all(cell.endswith(f"({patient.id})") for cell in rows(obs, 1))


async def test_roster_enroll_and_remove(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_studies(pilot, settle)
        study, org = screen.study, app.organization.id
        before = screen.roster.count
        screen.roster.data_table.focus()
        await pilot.press("plus")
        await settle(pilot)
        await pilot.press("space", "enter")  # tick the first patient offered, enroll
        await settle(pilot)
        assert screen.roster.count == before + 1
        assert len([p async for p in client.iter_patients(org, study.id)]) == before + 1
        await pilot.press("minus")
        await settle(pilot)
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert screen.roster.count == before


async def test_organization_tree_with_roles_and_members(make_app, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrganizationsScreen)
        tree = screen.query_one("#org-tree", Tree)
        labels = {}

        def walk(node):
            for child in node.children:
                labels[child.data.id] = str(child.label)
                walk(child)

        walk(tree.root)
        everyone = [o for o in await client.organizations() if o.id != 0]
        assert set(labels) == {o.id for o in everyone}
        for org in everyone:
            assert (f"you: {org.current_user_role}" in labels[org.id]) == (org.current_user_role is not None)
        current = app.organization
        assert tree.cursor_node.data.id == current.id
        members = await client.organization_members(current.id)
        table = screen.query_one("#members")
        assert [str(table.get_row_at(i)[2]) for i in range(table.row_count)] == [m.email for m in members]
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == [m.role for m in members]


def test_an_unreadable_payload_is_shown_raw_not_a_crash():
    from jhe_tui.api.fhir import observation_from_resource
    from jhe_tui.widgets.observation_rows import detail_renderable, observation_row, raw_json

    resource = {"resourceType": "Observation", "id": "7", "status": "final",
                "code": {"coding": [{"system": "https://w3id.org/openmhealth", "code": "omh:heart-rate:2.0"}]},
                "subject": {"reference": "Patient/40001"},
                "valueAttachment": {"contentType": "application/json", "data": "bm90IGpzb24="}}  # "not json"
    item = observation_from_resource(resource)
    row = observation_row(item, {}, {})
    assert (row.cells[0], *row.cells[3:]) == ("40001", "omh:heart-rate:2.0", "(unreadable payload)", "", "7")
    body = plain(detail_renderable(item, "40001", "Heart rate")) + raw_json(item)
    assert "could not be read" in body and "bm90IGpzb24=" in body
