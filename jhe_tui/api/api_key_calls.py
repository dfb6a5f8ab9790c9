"""Practitioner API keys (v0.0.13 ``practitioner_clients``): each a client id and secret that
`jhe-tui login --api-key` signs in with. The key comes back once, at creation; jhe-tui never
writes it anywhere (the one who asked copies it)."""

from __future__ import annotations

from .admin_models import ApiKey
from .client_core import LARGE_PAGE, _parse
from .errors import InvalidInput
from .study_admin_calls import StudyAdminCalls


class ApiKeyCalls(StudyAdminCalls):
    async def _needs_keys(self) -> None:
        if not (await self.admin_rules()).api_keys:
            raise InvalidInput("This server (JHE before v0.0.13) has no practitioner API keys.")

    async def api_keys(self, *, page_size: int = LARGE_PAGE) -> list[ApiKey]:
        """The caller's own keys (all pages)."""
        await self._needs_keys()
        walk = self._walk(ApiKey, "practitioner_clients", "/api/v1/practitioner_clients", {}, page_size,
                                "listing API keys")
        return [key async for key in walk]

    async def create_api_key(self, label: str) -> ApiKey:
        await self._needs_keys()
        label = label.strip()
        if not label:
            raise InvalidInput("Give the key a label (where it will be used).", field_errors={"label": ["Required."]})
        doing = "creating the API key"
        return _parse(ApiKey, await self._session.json("POST", "/api/v1/practitioner_clients", json={"label": label},
                                                       doing=doing), doing)

    async def revoke_api_key(self, key_id: int) -> None:
        """Delete the key: it and every token issued with it stop working."""
        await self._needs_keys()
        await self._session.json("DELETE", f"/api/v1/practitioner_clients/{int(key_id)}", doing="revoking the API key")
