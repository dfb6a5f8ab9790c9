"""Fixtures for the import job: a seeded demo backend copied per test, CSV writing, and a
client whose retries do not sleep."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from jhe_tui.api import ASGITransport, JheClient, RetryPolicy
from jhe_tui.backend import DemoBackend
from jhe_tui.jobs.imports.job import STEP_RETRIES

ORG = 20003  # Cardiometabolic Research Lab
STUDY = 30001  # Glucose and Blood Pressure Study, of ORG
OTHER_ORG_STUDY = 30003  # Sleep and Steps Study, of 20004
HEADER = "email,last_name,first_name,dob,phone,external_id"


async def no_sleep(_seconds: float) -> None:
    return None


def step_retry(max_retries: int = STEP_RETRIES) -> RetryPolicy:
    """The import's retries of a step, without the waits."""
    return RetryPolicy(max_retries=max_retries, sleep=no_sleep)


@pytest.fixture
def make_client(backend: DemoBackend) -> Callable[..., JheClient]:
    def make(transport=None, role: str = "manager") -> JheClient:
        return JheClient(
            backend.site_url,
            backend.token_for(role),
            transport=transport or ASGITransport(app=backend.app),
            retry=RetryPolicy(max_retries=3, sleep=no_sleep),
        )

    return make


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(lines: list[str], name: str = "patients.csv", *, header: str = HEADER, newline: str = "\n",
              encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(newline.join([header, *lines, ""]).encode(encoding))
        return path

    return write


class Server:
    """Read the demo database directly to check what the job really did."""

    def __init__(self, backend: DemoBackend) -> None:
        self.db_path = backend.db_path

    def rows(self, sql: str, *params) -> list[tuple]:
        conn = sqlite3.connect(self.db_path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def patients_with_email(self, email: str) -> list[int]:
        return [r[0] for r in self.rows(
            "SELECT p.id FROM patient p JOIN jhe_user u ON u.id = p.jhe_user_id WHERE lower(u.email) = lower(?)", email)]

    def organizations_of(self, patient_id: int) -> set[int]:
        return {r[0] for r in self.rows("SELECT organization_id FROM patient_organization WHERE patient_id = ?",
                                        patient_id)}

    def enrolments(self, patient_id: int) -> list[int]:
        return [r[0] for r in self.rows("SELECT study_id FROM study_patient WHERE patient_id = ?", patient_id)]

    def users_with_email(self, email: str) -> int:
        return self.rows("SELECT count(*) FROM jhe_user WHERE lower(email) = lower(?)", email)[0][0]


@pytest.fixture
def server(backend: DemoBackend) -> Server:
    return Server(backend)
