"""The seeded data set, its derived tables, and the DemoBackend life cycle."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest

from jhe_tui.backend import DemoBackend, db, seed

NOW = 1_790_000_000  # a fixed "now" for builds compared with each other


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_build_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    seed.build(a, now=NOW)
    seed.build(b, now=NOW)
    for table in ("organization", "jhe_user", "patient", "patient_organization", "study_patient", "scope_consent",
                  "observation", "observation_data"):
        assert _rows(a, f"SELECT * FROM {table} ORDER BY 1, 2") == _rows(b, f"SELECT * FROM {table} ORDER BY 1, 2")
    assert _rows(a, "PRAGMA journal_mode") == [("wal",)]
    assert not list(tmp_path.glob("*.building"))


def test_seed_has_every_case_the_guide_needs(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    seed.build(path, now=NOW)
    one = lambda sql: _rows(path, sql)[0][0]  # noqa: E731
    assert one("SELECT COUNT(*) FROM patient") == 60
    assert one("SELECT MIN(id) FROM patient") == 40001 and one("SELECT MIN(id) FROM observation") == 60001
    assert one("SELECT MIN(id) FROM organization WHERE id > 0") == 20001
    assert one("SELECT COUNT(*) FROM (SELECT patient_id FROM patient_organization GROUP BY 1 HAVING COUNT(*) > 1)") > 3
    assert one("SELECT COUNT(*) FROM patient_organization a JOIN patient_organization b USING (patient_id)"
               " WHERE a.organization_id = 20003 AND b.organization_id = 20007") > 0
    assert one("SELECT COUNT(*) FROM patient WHERE id NOT IN (SELECT patient_id FROM study_patient)") > 3
    assert one("SELECT COUNT(*) FROM scope_consent WHERE consented = 0") > 0
    assert one("SELECT COUNT(*) FROM study_patient WHERE id NOT IN (SELECT study_patient_id FROM scope_consent)") > 0
    assert one("SELECT COUNT(*) FROM observation") > 5000
    assert one("SELECT COUNT(*) FROM jhe_user WHERE user_type = 'patient' AND email NOT LIKE '%@example.org'") == 0
    # Observations only for consented scopes.
    assert one("""SELECT COUNT(*) FROM observation o WHERE NOT EXISTS (
        SELECT 1 FROM study_patient s JOIN scope_consent c ON c.study_patient_id = s.id AND c.consented = 1
        WHERE s.patient_id = o.subject_patient_id AND c.scope_code_id = o.codeable_concept_id)""") == 0
    # Upload order: ids grow with last_updated.
    assert one("SELECT COUNT(*) FROM observation a JOIN observation b ON b.id = a.id + 1"
               " WHERE b.last_updated < a.last_updated") == 0


def _assert_derived_tables(path: Path) -> None:
    assert _rows(path, "SELECT organization_id, observation_id FROM observation_organization ORDER BY 1, 2") == _rows(
        path, "SELECT po.organization_id, o.id FROM observation o JOIN patient_organization po"
              " ON po.patient_id = o.subject_patient_id ORDER BY 1, 2")
    assert _rows(path, "SELECT study_id, observation_id FROM observation_study ORDER BY 1, 2") == _rows(
        path, "SELECT sp.study_id, o.id FROM observation o"
              " JOIN study_patient sp ON sp.patient_id = o.subject_patient_id"
              " JOIN study_scope_request r ON r.study_id = sp.study_id AND r.scope_code_id = o.codeable_concept_id"
              " ORDER BY 1, 2")


def test_derived_tables_match_their_definition(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    seed.build(path, now=NOW)
    _assert_derived_tables(path)


def test_triggers_keep_the_derived_tables_right(backend: DemoBackend) -> None:
    conn = sqlite3.connect(backend.db_path)
    conn.execute("PRAGMA foreign_keys = ON")
    with conn:
        (pid,) = conn.execute("SELECT patient_id FROM study_patient WHERE study_id = 30001 AND patient_id NOT IN"
                              " (SELECT patient_id FROM study_patient WHERE study_id = 30002) LIMIT 1").fetchone()
        conn.execute("INSERT INTO patient_organization VALUES (?, 20006)", (pid,))
        conn.execute("DELETE FROM patient_organization WHERE patient_id = ? AND organization_id = 20004", (pid,))
        conn.execute("DELETE FROM study_patient WHERE patient_id = ? AND study_id = 30001", (pid,))
        conn.execute("INSERT INTO study_patient (study_id, patient_id) VALUES (30002, ?)", (pid,))
        conn.execute("INSERT INTO observation (subject_patient_id, codeable_concept_id, effective_start, last_updated)"
                     " VALUES (?, 50004, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z')", (pid,))
    conn.close()
    _assert_derived_tables(backend.db_path)


def test_scale_data_set_on_a_small_scale(tmp_path: Path) -> None:
    path = tmp_path / "scale.sqlite3"
    seed.build(path, scale=seed.MIN_SCALE_PATIENTS, now=NOW)
    one = lambda sql: _rows(path, sql)[0][0]  # noqa: E731
    patients = seed.MIN_SCALE_PATIENTS
    assert one("SELECT COUNT(*) FROM patient") == patients
    assert one("SELECT COUNT(*) FROM observation") == 10 * patients
    assert one("SELECT COUNT(*) FROM observation_data") == 10 * patients
    assert one("SELECT COUNT(DISTINCT email) FROM jhe_user") == one("SELECT COUNT(*) FROM jhe_user")
    # One organization holds everyone; studies and second organizations still vary.
    assert one(f"SELECT COUNT(*) FROM patient_organization WHERE organization_id = {seed.SCALE_ORGANIZATION}") == (
        patients)
    assert one("SELECT COUNT(DISTINCT organization_id) FROM patient_organization") == 4
    assert one("SELECT COUNT(DISTINCT study_id) FROM study_patient") == len(seed.STUDIES)
    assert one("SELECT COUNT(DISTINCT subject_patient_id) FROM observation WHERE subject_patient_id > 40060") > (
        patients // 2)
    _assert_derived_tables(path)


def test_scale_is_true_or_a_patient_count() -> None:
    assert seed.scale_patients(False) == 0
    assert seed.scale_patients(True) == seed.SCALE_PATIENTS == 100_000
    assert seed.scale_patients(5_000) == 5_000
    with pytest.raises(ValueError, match="at least 2,000 patients"):
        seed.scale_patients(300)


def test_a_scale_data_set_lives_beside_the_demo_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking for scale never reuses (or wipes) the demo database, and vice versa."""
    built = []

    def fake_seed(path: Path, *, scale: bool | int = False) -> None:
        built.append(scale)
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION}")
        conn.close()

    monkeypatch.setattr(seed, "seed", fake_seed)
    monkeypatch.setattr(DemoBackend, "_follow_site_url", lambda self: None)
    demo = DemoBackend(tmp_path)
    (demo.outbox_dir / "kept.eml").write_text("x")
    scaled = DemoBackend(tmp_path, scale=True)
    assert scaled.db_path == tmp_path / "demo-scale-100000.sqlite3" and built == [False, True]
    assert scaled.outbox_dir == tmp_path / "outbox-scale-100000" and scaled.outbox_dir.is_dir()
    DemoBackend(tmp_path, scale=True)  # reused, not rebuilt
    assert built == [False, True]
    DemoBackend(tmp_path, scale=3_000, reset=True)
    assert built == [False, True, 3_000] and (tmp_path / "demo-scale-3000.sqlite3").exists()
    assert demo.db_path.exists() and (demo.outbox_dir / "kept.eml").exists()


def test_backend_life_cycle(tmp_path: Path) -> None:
    first = DemoBackend(tmp_path / "d", site_url="http://127.0.0.1:9000/")
    assert first.db_path == tmp_path / "d" / "demo.sqlite3" and first.outbox_dir.is_dir()
    assert first.site_url == "http://127.0.0.1:9000"
    conn = sqlite3.connect(first.db_path)
    with conn:
        conn.execute("UPDATE patient SET name_family = 'Kept' WHERE id = 40001")
    conn.close()
    (first.outbox_dir / "old.eml").write_text("x")
    reused = DemoBackend(tmp_path / "d")
    assert _rows(reused.db_path, "SELECT name_family FROM patient WHERE id = 40001") == [("Kept",)]
    assert _rows(reused.db_path, "SELECT redirect_uris FROM oauth_application WHERE id = 1") == [
        ("http://127.0.0.1:8765/auth/callback",)]
    conn = sqlite3.connect(reused.db_path)
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    rebuilt = DemoBackend(tmp_path / "d")
    assert _rows(rebuilt.db_path, "SELECT name_family FROM patient WHERE id = 40001") != [("Kept",)]
    with sqlite3.connect(rebuilt.db_path) as conn:
        conn.execute("UPDATE patient SET name_family = 'Kept' WHERE id = 40001")
    conn.close()
    fresh = DemoBackend(tmp_path / "d", reset=True)
    assert _rows(fresh.db_path, "SELECT name_family FROM patient WHERE id = 40001") != [("Kept",)]
    assert list(fresh.outbox_dir.iterdir()) == []


def test_users_and_tokens(backend: DemoBackend) -> None:
    users = {u.email: u for u in backend.users}
    assert {u.role for u in users.values()} >= {"manager", "member", "viewer"}
    assert users["manager@demo.jhe.example"].password == "demo"
    assert "Cardiometabolic Research Lab" in users["viewer@demo.jhe.example"].description
    assert backend.token_for("member") == backend.token_for("member")
    assert backend.token_for("member") != backend.token_for("viewer")
    with pytest.raises(KeyError):
        backend.token_for("admin")
    revoked = backend.token_for("manager")
    conn = sqlite3.connect(backend.db_path)
    with conn:
        conn.execute("DELETE FROM oauth_token")
    conn.close()
    assert backend.token_for("manager") != revoked

    async def profile(role: str) -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url=backend.site_url) as c:
            r = await c.get("/api/v1/users/profile", headers={"Authorization": f"Bearer {backend.token_for(role)}"})
            return r.json()["email"]

    assert asyncio.run(profile("viewer")) == "viewer@demo.jhe.example"


async def test_concurrent_reads_and_writes(api) -> None:
    async def create(n: int) -> int:
        response = await api.post("/api/v1/patients", json={
            "telecomEmail": f"parallel{n}@example.org", "nameFamily": "Parallel", "nameGiven": str(n),
            "birthDate": "1990-01-01", "organizationId": 20003})
        return response.status_code

    async def read(n: int) -> int:
        return (await api.get(f"/api/v1/observations?organization_id=20003&page={n}")).status_code

    statuses = await asyncio.gather(*[create(n) for n in range(25)], *[read(n) for n in range(1, 26)])
    assert statuses == [201] * 25 + [200] * 25
    listed = (await api.get("/api/v1/patients?organization_id=20003&page_size=1000")).json()
    assert sum(p["nameFamily"] == "Parallel" for p in listed["results"]) == 25
