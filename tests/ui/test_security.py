"""The console on a shared workstation: sign-in screen, expiry in the middle of a form, idle lock
(fake clock), privacy mode, and a full session that leaves no patient data or token on disk
(sign in, browse, create a patient, renewal after a 401, privacy, lock and unlock, log out; then
every file jhe-tui wrote is searched for the patient's name, e-mail, birth date and every token)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from textual.widgets import Input, Static

import os

from jhe_tui.local import logfile, pin
from jhe_tui.commands.connect import open_client, resolve_target, token_store
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.api.auth import RefreshingAuth
from jhe_tui.api.tokens import TokenStore
from jhe_tui.app import JheApp
from jhe_tui.dialogs.add_patient import AddPatientModal
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.screens.lock import LockScreen
from jhe_tui.screens.sign_in import SignInScreen
from jhe_tui.api.signin import SignIn
from jhe_tui.widgets.paged_table import PagedTable
from jhe_tui.widgets.patient_form import PatientForm
from tests.ui.test_lock_holds import held_screens
from tests.ui.waiting import eventually

SIZE = (100, 30)


class Browser:
    def __init__(self, backend):
        self.http = httpx.AsyncClient(transport=ASGITransport(app=backend.app), base_url=backend.site_url)

    async def sign_in(self, authorize_url: str, email: str = "manager@demo.jhe.example") -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        response = await self.http.post("/o/authorize/", data={**query, "email": email, "password": "demo"})
        assert response.status_code == 302, response.text
        return response.headers["location"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _signin(backend, home: Path) -> SignIn:
    store = TokenStore(home / "state", use_keyring=False)
    return SignIn(backend.site_url, "demo", store=store, transport=ASGITransport(app=backend.app))


async def _sign_in_on_screen(pilot, settle, backend, email: str = "manager@demo.jhe.example") -> None:
    """Play the user: read the address on the sign-in screen, sign in, paste where it lands."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    url = str(screen.query_one("#url", Static).content)
    landed = await Browser(backend).sign_in(url, email)
    screen.query_one("#pasted", Input).value = landed
    screen.query_one("#pasted", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_first_sign_in_then_the_console(backend, settle, tmp_path):
    signin = _signin(backend, tmp_path / "home")
    client = JheClient(backend.site_url, transport=ASGITransport(app=backend.app))
    app = JheApp(client, server_url=backend.site_url, sign_in=signin, signed_in=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        # A pasted address of another attempt is one sentence on the screen, not a traceback.
        app.screen.query_one("#pasted", Input).value = "https://x/auth/callback?code=abcdefghijkl&state=wrong"
        app.screen.query_one("#pasted", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "another sign-in attempt" in str(app.screen.query_one("#status", Static).content)
        # A practitioner API key pasted in the token box works as well.
        async with JheClient(backend.site_url, backend.token_for("viewer"),
                             transport=ASGITransport(app=backend.app)) as viewer:
            key = (await viewer.request("POST", "/api/v1/practitioner_clients", json={"label": "t"}))["key"]
        app.screen.query_one("#token", Input).value = key
        app.screen.query_one("#token", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert app.session is not None and app.session.user.email == "viewer@demo.jhe.example"
        assert isinstance(client.auth, RefreshingAuth)
        assert signin.store.load("demo") is not None


async def test_expiry_during_a_form_signs_in_and_comes_back_to_it(backend, settle, tmp_path):
    from jhe_tui.backend import tokens as backend_tokens

    signin = _signin(backend, tmp_path / "home")
    url = await signin.start_paste_back()
    tokens, _ = await signin.finish_paste_back(await Browser(backend).sign_in(url))
    client = JheClient(backend.site_url, auth=RefreshingAuth(tokens, tokens.token_endpoint),
                       transport=ASGITransport(app=backend.app))
    app = JheApp(client, server_url=backend.site_url, sign_in=signin)
    typed = {"external_id": "MRN-77", "family": "Quill", "given": "Ivy", "birth_date": "1981-02-03"}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, AddPatientModal)
        modal.query_one("#lookup-email", Input).value = "ivy.quill@example.org"
        await pilot.press("enter")
        await settle(pilot)
        form = modal.query_one(PatientForm)
        for name, value in typed.items():
            form.query_one(f"#field-{name}", Input).value = value
        # The session ends behind the user's back (revoked elsewhere): renewal is refused too.
        with sqlite3.connect(backend.db_path) as conn:
            conn.row_factory = sqlite3.Row
            backend_tokens.revoke(conn, tokens.refresh_token)
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await _sign_in_on_screen(pilot, settle, backend)
        assert app.screen is modal
        assert {name: form.value(name) for name in typed} == typed
        await pilot.press("ctrl+j")  # the same form, sent again, now works
        await settle(pilot)
        async with JheClient(backend.site_url, backend.token_for("manager"),
                             transport=ASGITransport(app=backend.app)) as check:
            created = await check.find_patient_by_email("ivy.quill@example.org")
        assert created is not None and created.name_family == "Quill"


async def test_a_stored_sign_in_that_was_revoked_asks_to_sign_in_then_loads(backend, settle, tmp_path):
    from jhe_tui.backend import tokens as backend_tokens

    signin = _signin(backend, tmp_path / "home")
    url = await signin.start_paste_back()
    tokens, _ = await signin.finish_paste_back(await Browser(backend).sign_in(url))
    with sqlite3.connect(backend.db_path) as conn:
        conn.row_factory = sqlite3.Row
        backend_tokens.revoke(conn, tokens.refresh_token)
    client = JheClient(backend.site_url, auth=RefreshingAuth(tokens, tokens.token_endpoint),
                       transport=ASGITransport(app=backend.app))
    app = JheApp(client, server_url=backend.site_url, sign_in=signin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await _sign_in_on_screen(pilot, settle, backend)
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen) and app.session is not None
        assert app.screen.query_one(PagedTable).count > 0


async def test_privacy_mode_hides_what_is_typed_in_a_form(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen.query_one(PatientForm)
        assert not form.query_one("#field-family", Input).password
        await pilot.press("f9")
        await pilot.pause()
        assert app.privacy, app.screen
        fields = ("external_id", "family", "given", "birth_date", "phone")
        assert all(form.query_one(f"#field-{n}", Input).password for n in fields)


def _cells(app) -> str:
    tables = app.screen.query("DataTable, RowTable")  # every table on show, the paged ones too
    return " ".join(str(cell) for table in tables for row in range(table.row_count)
                    for cell in table.get_row_at(row))


async def test_idle_lock_hides_and_forgets_patient_data(make_app, settle, backend, toasts):
    clock = Clock()
    app = make_app(idle_minutes=10, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.screen.query_one(PagedTable).cursor_item
        assert first.name_family in _cells(app)
        clock.now += 9 * 60
        app.guard.check_idle_lock()
        await pilot.pause()
        assert not app.guard.locked
        await pilot.press("down")  # input resets the idle time
        clock.now += 9 * 60
        app.guard.check_idle_lock()
        await pilot.pause()
        assert not app.guard.locked
        clock.now += 45
        app.guard.check_idle_lock()
        await pilot.pause()
        assert not app.guard.locked and any("locks in" in message for message in toasts)
        clock.now += 16
        app.guard.check_idle_lock()
        await settle(pilot)
        assert app.guard.locked and isinstance(app.screen, LockScreen)
        # No screen that could hold patient data is left anywhere.
        stacks = held_screens(app)
        assert stacks == [app.screen]
        assert not any(isinstance(s, PatientsScreen) for s in stacks)
        await pilot.press("ctrl+r")  # the demo unlocks without a sign-in
        await settle(pilot)
        assert not app.guard.locked and isinstance(app.screen, PatientsScreen)
        assert first.name_family in _cells(app)  # loaded afresh


async def test_the_pin_unlocks_and_wrong_ones_are_counted(make_app, settle):
    pin.save("2468")
    assert stat.S_IMODE((pin.path()).stat().st_mode) == 0o600
    assert "2468" not in pin.path().read_text()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("1", "1", "1", "1", "enter")
        await pilot.pause()
        assert "Wrong PIN" in str(app.screen.query_one("#status", Static).content)
        await pilot.press("2", "4", "6", "8", "enter")
        await settle(pilot)
        assert not app.guard.locked and isinstance(app.screen, PatientsScreen)


def test_lock_screen_snapshot_shows_no_patient_data(snap_compare, make_app, settle):
    clock = Clock()

    async def run_before(pilot):
        await settle(pilot)
        clock.now += 600
        pilot.app.guard.check_idle_lock()
        await settle(pilot)

    assert snap_compare(make_app(frozen=True, idle_minutes=10, clock=clock), terminal_size=SIZE, run_before=run_before)


def test_privacy_mode_snapshot(snap_compare, make_app, settle):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(frozen=True), terminal_size=SIZE, run_before=run_before)


async def test_privacy_mode_masks_the_table_and_the_record(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        row = next(i for i, r in enumerate(table.shown_rows) if r.item.external_ids)
        table.data_table.move_cursor(row=row)
        patient = table.cursor_item
        assert patient.external_ids in _cells(app)
        await pilot.press("f9")
        assert await eventually(pilot, lambda: patient.name_family not in _cells(app))
        text = _cells(app)
        # The external id is an MRN: a direct identifier, masked like the rest.
        for value in (patient.name_family, patient.telecom_email, patient.birth_date.isoformat(), patient.external_ids):
            assert value not in text
        assert str(patient.id) in text  # JHE's own ids stay: they are how colleagues refer to a record
        await pilot.press("enter")
        await settle(pilot)
        shown = _identity(app)
        assert patient.name_family not in shown and patient.telecom_email not in shown
        assert patient.external_ids not in shown
        await pilot.press("f9")
        assert await eventually(pilot, lambda: patient.telecom_email in _identity(app))


def _identity(app) -> str:
    grid = app.screen.query_one("#identity", Static).content
    return " ".join(str(cell) for column in grid.columns for cell in column.cells)


def test_mask_rules():
    from jhe_tui import privacy

    assert privacy.mask("Ada Lovelace", "name") == "A••• L•••"
    assert privacy.mask("ada@example.org", "email") == "a•••@•••.org"
    assert privacy.mask("1980-01-31", "birth_date") == "••••-••-••"
    assert privacy.mask("+1 555 010 9942", "phone") == "•••••42"
    assert privacy.mask("MRN-0012345", "identifier") == "•••••45"
    assert privacy.shown(privacy.Sensitive("Ada", "name"), False) == "Ada"
    assert privacy.shown("plain", True) == "plain"
    with pytest.raises(ValueError):
        privacy.Sensitive("x", "shoe-size")  # type: ignore[arg-type]


PATIENT = {"family": "Quartzfield", "given": "Zenobia", "birth_date": "1977-07-17", "phone": "+1 555 010 4242"}
EMAIL = "zenobia.quartzfield@example.org"


async def test_a_full_session_leaves_no_patient_data_or_token_on_disk(backend, settle):
    home = Path(os.environ["JHE_TUI_HOME"])
    logfile.start_log()
    seen_tokens: set[str] = set()
    try:
        target = resolve_target(backend.site_url)  # creates the profile
        signin = SignIn(backend.site_url, target.profile_name, store=token_store(), transport=ASGITransport(app=backend.app))
        url = await signin.start_paste_back()
        tokens, _ = await signin.finish_paste_back(await Browser(backend).sign_in(url))
        seen_tokens |= {tokens.access_token, tokens.refresh_token}
        target = resolve_target(backend.site_url)
        assert target.tokens == tokens
        client = open_client(target, transport=ASGITransport(app=backend.app))
        app = JheApp(client, server_url=backend.site_url, sign_in=signin, idle_minutes=10)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, PatientsScreen)
            # Create the test patient through the form.
            await pilot.press("a")
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, AddPatientModal)
            modal.query_one("#lookup-email", Input).value = EMAIL
            await pilot.press("enter")
            await settle(pilot)
            form = modal.query_one(PatientForm)
            for name, value in PATIENT.items():
                form.query_one(f"#field-{name}", Input).value = value
            await pilot.press("ctrl+j")
            await settle(pilot)
            assert isinstance(app.screen, PatientDetailScreen)
            # The access token dies; the next request renews it without the user noticing.
            from jhe_tui.backend import tokens as backend_tokens

            with sqlite3.connect(backend.db_path) as conn:
                conn.execute("DELETE FROM oauth_token WHERE token_hash = ?",
                             (backend_tokens.digest(client.auth.tokens.access_token),))
            await pilot.press("f9")
            await pilot.press("r")
            await settle(pilot)
            seen_tokens |= {client.auth.tokens.access_token, client.auth.tokens.refresh_token}
            assert client.auth.tokens.access_token != tokens.access_token
            # Lock, then unlock by signing in again.
            await pilot.press("ctrl+l")
            await settle(pilot)
            assert isinstance(app.screen, LockScreen)
            await pilot.press("ctrl+r")
            await _sign_in_on_screen(pilot, settle, backend)
            await settle(pilot)
            assert not app.guard.locked
            seen_tokens |= {client.auth.tokens.access_token, client.auth.tokens.refresh_token}
        assert await signin.logout(client.auth.tokens) is True
    finally:
        logfile.stop_log()

    log = home / "log" / logfile.LOG_NAME
    assert log.exists() and "GET /api/v1/patients/{id} 200" in log.read_text()
    assert "POST /o/token/ 200 (session renewal after a 401)" in log.read_text()
    secrets = [PATIENT["family"], PATIENT["given"], PATIENT["birth_date"], EMAIL, "zenobia", "quartzfield",
               *seen_tokens]
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written, "the session wrote nothing at all?"
    for path in written:
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        for secret in secrets:
            assert secret.lower() not in text, f"{secret[:4]}… found in {path.relative_to(home)}"
    assert not list((home / "state" / "tokens").glob("*")), "logout left a token file"


def test_sign_in_screen_snapshot(snap_compare, backend, settle, tmp_path, monkeypatch):
    monkeypatch.setattr("jhe_tui.api.oauth.generate_token", lambda n: "S" * n)
    signin = _signin(backend, tmp_path / "home")
    client = JheClient(backend.site_url, transport=ASGITransport(app=backend.app))
    app = JheApp(client, server_url=backend.site_url, sign_in=signin, signed_in=False, insecure=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)
