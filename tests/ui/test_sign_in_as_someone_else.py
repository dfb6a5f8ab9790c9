"""Signing in again as another practitioner (after the lock, or after the session expired) starts
a fresh session: header, organization and screens are the new user's, the replaced tokens are
revoked on the server, and the audit log names the practitioner the server acted for."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest
from textual.widgets import DataTable, Input, Label

from jhe_tui.local import audit, paths
from jhe_tui.api import ASGITransport, JheClient
from jhe_tui.api.tokens import TokenStore
from jhe_tui.app import JheApp
from jhe_tui.screens.lock import LockScreen
from jhe_tui.screens.patient_detail import PatientDetailScreen
from jhe_tui.screens.patients import PatientsScreen
from jhe_tui.screens.sign_in import SignInScreen
from jhe_tui.api.signin import SignIn
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.widgets.session_header import SessionHeader
from tests.ui.test_lock_holds import held_screens
from tests.ui.test_security import Browser, _sign_in_on_screen

SIZE = (100, 30)
FIRST, SECOND = "manager@demo.jhe.example", "lakeside.manager@demo.jhe.example"


async def _signed_in(backend, tmp_path, email: str):
    signin = SignIn(backend.site_url, "demo", store=TokenStore(tmp_path / "state", use_keyring=False),
                    transport=ASGITransport(app=backend.app))
    tokens, _ = await signin.finish_paste_back(await Browser(backend).sign_in(await signin.start_paste_back(), email))
    client = JheClient(backend.site_url, transport=ASGITransport(app=backend.app))
    signin.apply(client, tokens)
    return signin, client, tokens


async def _accepted(backend, tokens) -> tuple[int, int]:
    """What the server now answers to the old access token and to the old refresh token."""
    async with httpx.AsyncClient(transport=ASGITransport(app=backend.app), base_url=backend.site_url) as http:
        api = await http.get("/api/v1/users/profile", headers={"Authorization": f"Bearer {tokens.access_token}"})
        renew = await http.post("/o/token/", data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
                                                    "client_id": tokens.client_id or ""})
    return api.status_code, renew.status_code


def _header(app: JheApp) -> str:
    header = app.screen.query_one(SessionHeader)
    return " ".join(str(label.content) for label in header.query(Label))


async def _revoke_a_consent_in_the_console(pilot, settle, app: JheApp) -> int:
    client = app.client
    async for patient in client.iter_patients(app.organization.id):
        consents = await client.consents(patient.id)
        if any(scope.consented for study in consents.answered for scope in study.scopes):
            break
    else:
        raise AssertionError("no consented patient in the new user's organization")
    app.screen.open_patient(patient.id)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, PatientDetailScreen)
    table = screen.query_one("#answered", DataTable)
    table.focus()
    row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[2]) == "✓ consented")
    table.move_cursor(row=row)
    await pilot.press("enter")  # the consent choice; its first answer for a granted scope: Revoke consent
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmModal)
    app.screen.query_one("#answer", Input).value = "Patient in person"
    await pilot.press("enter")
    await settle(pilot)
    return patient.id


@pytest.mark.parametrize("how", ["lock", "expiry"])
async def test_another_practitioner_signing_in_gets_a_fresh_session(backend, settle, tmp_path, how):
    signin, client, first_tokens = await _signed_in(backend, tmp_path, FIRST)
    app = JheApp(client, server_url=backend.site_url, sign_in=signin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen) and FIRST in _header(app)
        first_org = app.organization
        if how == "lock":
            await pilot.press("ctrl+l")
            await settle(pilot)
            assert isinstance(app.screen, LockScreen)
            await pilot.press("ctrl+r")
        else:
            with sqlite3.connect(backend.db_path) as conn:  # signed out elsewhere: every token dies
                conn.execute("DELETE FROM oauth_token")
            await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await _sign_in_on_screen(pilot, settle, backend, SECOND)
        await settle(pilot)

        assert not app.guard.locked and isinstance(app.screen, PatientsScreen)
        assert app.session is not None and app.session.user.email == SECOND
        assert f"User: {SECOND}" in _header(app) and f"User: {FIRST}" not in _header(app)
        assert app.organization is not None and app.organization.id != first_org.id
        assert app.organization.id in {org.id for org in app.session.organizations}
        assert f"in {app.organization.name}" in _header(app)
        # Only the new user's screens exist; nothing of the first session is kept.
        assert held_screens(app) == [app.screen]
        # The first user's tokens no longer work on the server.
        assert await _accepted(backend, first_tokens) == (401, 400)

        patient_id = await _revoke_a_consent_in_the_console(pilot, settle, app)
    entry = json.loads((paths.data_dir() / audit.AUDIT_FILE).read_text().splitlines()[-1])
    assert entry["patient_id"] == patient_id
    assert entry["practitioner_email"] == SECOND and entry["practitioner_id"] == app.session.user.id


async def test_the_same_practitioner_signing_in_again_keeps_the_screens(backend, settle, tmp_path):
    signin, client, first_tokens = await _signed_in(backend, tmp_path, FIRST)
    app = JheApp(client, server_url=backend.site_url, sign_in=signin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        patients = app.screen
        with sqlite3.connect(backend.db_path) as conn:
            conn.execute("DELETE FROM oauth_token")
        await pilot.press("r")
        await settle(pilot)
        await _sign_in_on_screen(pilot, settle, backend, FIRST)
        await settle(pilot)
        assert app.screen is patients and app.session.user.email == FIRST
        assert client.auth.tokens.access_token != first_tokens.access_token
