"""Server text cannot drive the terminal: names, organization and study names, observation values
and server error messages that carry terminal control sequences are written into the demo
backend's database past its validation, loaded by the console and rendered; what the console paints
then holds no control sequence but its own, and shows the marks instead."""

from __future__ import annotations

import re
import sqlite3

import httpx
from textual.geometry import Region
from textual.widgets import Input, Static

from jhe_tui.api import JheClient, MockTransport
from jhe_tui.app import JheApp
from jhe_tui.dialogs.add_patient import AddPatientModal
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.widgets.patient_form import PatientForm
from tests.ui.test_add_patient import look_up, open_modal
from tests.ui.waiting import eventually

SIZE = (160, 40)

# The five family names: window title, clear screen, clipboard write, hidden link, 8-bit CSI.
HOSTILE = (
    "\x1b]0;PWNED\x1b\\x",
    "\x1b[2J",
    "\x1b]52;c;cHduZWQ=\x1b\\x",
    "\x1b]8;;http://evil.example/\x1b\\x\x1b]8;;\x1b\\",
    "C1\u009b2J",
)
# How each is shown: ESC as ␛, the C1 CSI as a replacement character.
SHOWN = ("␛]0;PWNED␛\\x", "␛[2J", "␛]52;c;cHduZWQ=␛\\x", "␛]8;;http://evil.example/␛\\x␛]8;;␛\\", "C1\ufffd2J")

# The console's own sequences in what it paints: colours and styles (SGR).
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:]*m")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def terminal_output(app: JheApp) -> str:
    """What every widget of the screens in the stack paints, each line as terminal text (the
    cells and the console's own colour sequences), the way the driver writes them."""
    lines = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            width, height = widget.outer_size
            if widget.display and width and height:
                lines += [strip.render(app.console) for strip in widget.render_lines(Region(0, 0, width, height))]
    return "".join(lines)


def foreign_controls(output: str) -> list[str]:
    """Control characters in the output besides the console's own colour and cursor sequences."""
    return _CONTROLS.findall(_OWN_SEQUENCES.sub("", output))


def write_past_validation(backend, sql: str, *params) -> None:
    conn = sqlite3.connect(backend.db_path)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


async def _first_page_ids(client: JheClient, organization_id: int, n: int) -> list[int]:
    page = await client.patients(organization_id=organization_id)
    return [p.id for p in page.items[:n]]


async def test_hostile_family_names_reach_neither_the_list_nor_the_record_raw(make_app, backend, client, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        org = app.organization.id
        ids = await _first_page_ids(client, org, len(HOSTILE))
        for patient_id, name in zip(ids, HOSTILE):
            write_past_validation(backend, "UPDATE patient SET name_family = ? WHERE id = ?", name, patient_id)
        await pilot.press("r")
        await settle(pilot)
        listed = terminal_output(app)
        assert foreign_controls(listed) == []
        cells = [str(app.screen.table.data_table.get_row_at(i)[3]) for i in range(len(HOSTILE))]
        assert cells == list(SHOWN)
        for patient_id, shown in zip(ids, SHOWN):
            app.screen.open_patient(patient_id)
            await settle(pilot)
            assert isinstance(app.screen, PatientDetailScreen)
            output = terminal_output(app)
            assert foreign_controls(output) == []
            assert shown in _OWN_SEQUENCES.sub("", output)  # the marks are on screen, not hidden
            await pilot.press("escape")
            await settle(pilot)


async def test_hostile_organization_study_data_type_and_observation_texts_are_shown_as_marks(
        make_app, backend, settle):
    write_past_validation(backend, "UPDATE organization SET name = name || ?", "\x1b]0;PWNED\x07")
    write_past_validation(backend, "UPDATE study SET name = name || ?", "\x1b[2J\u009b")
    write_past_validation(backend, "UPDATE codeable_concept SET text = text || ?", "\x1b]8;;http://evil.example/\x1b\\")
    # The stored OMH JSON escapes its controls, as a server's JSON would.
    write_past_validation(backend, "UPDATE observation_data SET value_attachment_data = "
                          "replace(value_attachment_data, '\"unit\":\"', ?)", '"unit":"\\u001b[6n\\u009b')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = {}
        for key in ("f2", "f3", "f4", "f5"):  # patients, studies, observations, organizations
            await pilot.press(key)
            await settle(pilot)
            output = terminal_output(app)
            assert foreign_controls(output) == [], key
            seen[key] = _OWN_SEQUENCES.sub("", output)
        assert "Lab␛]0;PWNED␇" in seen["f5"]
        assert "␛[2J\ufffd" in seen["f3"]
        assert "␛]8;;http://evil.example/␛\\" in seen["f4"]
        assert "␛[6n\ufffd" in seen["f4"]  # a unit asking the terminal to report the cursor


async def test_a_server_error_quoting_control_sequences_is_notified_with_marks(settle):
    """A refusal whose message quotes ESC sequences: the notification shows marks."""
    hostile = {"detail": "Refused \x1b]52;c;cHduZWQ=\x07 \x9b2J"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=hostile)

    client = JheClient("http://jhe.example", "token", transport=MockTransport(handler))
    app = JheApp(client, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        shown = lambda: "Refused" in _OWN_SEQUENCES.sub("", terminal_output(app))  # noqa: E731
        assert await eventually(pilot, shown)
        output = terminal_output(app)
        assert "Refused ␛]52;c;cHduZWQ=␇ \ufffd2J" in _OWN_SEQUENCES.sub("", output)
        assert foreign_controls(output) == []


async def test_the_patient_form_refuses_a_pasted_control_character(make_app, client, settle):
    """The importer's and the backend's rule, beside the field, before anything is sent."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_modal(pilot, settle)
        await look_up(pilot, settle, "pasted@example.org")
        form = modal.query_one(PatientForm)
        typed = {"family": "Okoro\x1b]0;PWNED\x07", "given": "Ada", "birth_date": "1980-01-31"}
        for name, value in typed.items():
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert isinstance(app.screen, AddPatientModal)
        assert "control character" in str(form.query_one("#error-family", Static).content)
        assert await client.find_patient_by_email("pasted@example.org") is None
