"""Fixtures for the demo backend: a fresh seeded backend per test and a client that can act as
any demo practitioner, talking to the ASGI app in process."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jhe_tui.backend import DemoBackend

OMH = "https://w3id.org/openmhealth"


class Api:
    """Calls the backend as a demo role ("manager", "member", "viewer", "superuser") or anonymously (None)."""

    def __init__(self, backend: DemoBackend) -> None:
        self.backend = backend
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=backend.app), base_url=backend.site_url)

    async def request(self, method: str, path: str, *, role: str | None = "manager", **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if role is not None:
            headers["Authorization"] = f"Bearer {self.backend.token_for(role)}"
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        """Read the backend's database directly (to check what a request did or did not write)."""
        conn = sqlite3.connect(self.backend.db_path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def value(self, sql: str, *params: Any) -> Any:
        return self.rows(sql, *params)[0][0]

    @staticmethod
    def consent_body(study_id: int, code: str, consented: bool | None = True) -> dict:
        scope: dict[str, Any] = {"codingSystem": OMH, "codingCode": code}
        if consented is not None:
            scope["consented"] = consented
        return {"studyScopeConsents": [{"studyId": study_id, "scopeConsents": [scope]}]}

    async def create_patient(self, email: str, organization_id: int = 20003, **fields: Any) -> dict:
        body = {"telecomEmail": email, "nameFamily": "Smith", "nameGiven": "John", "birthDate": "1980-01-01",
                "organizationId": organization_id, **fields}
        response = await self.post("/api/v1/patients", json=body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def backend(tmp_path: Path) -> DemoBackend:
    return DemoBackend(tmp_path / "demo")


@pytest.fixture
async def api(backend: DemoBackend) -> AsyncIterator[Api]:
    client = Api(backend)
    yield client
    await client.http.aclose()
