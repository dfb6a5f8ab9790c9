"""Which server the console and the CLI talk to, decided in one place.

jupyterhealth-client users already carry `JHE_URL` and `JHE_TOKEN`; honouring them
(and `--server`) means jhe-tui works in an existing set-up with no new configuration.
With no server at all we fall back to the embedded backend in process, so a fresh
machine still gets a working console.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jhe_tui import paths
from jhe_tui.api import JheClient
from jhe_tui.api.http import ASGITransport


class ConfigurationError(Exception):
    """Bad usage or configuration: the CLI exits 2 with this one sentence."""


@dataclass(frozen=True)
class Target:
    """Where to connect: a real server (url + token) or the demo (data_dir)."""

    url: str | None
    token: str | None
    demo_data: Path | None = None
    insecure: bool = False

    @property
    def is_demo(self) -> bool:
        return self.url is None


def resolve_target(
    server: str | None = None,
    *,
    demo: bool = False,
    token: str | None = None,
    demo_data: Path | None = None,
    insecure: bool = False,
) -> Target:
    """`--demo` wins, then `--server`, then `JHE_URL`; no server at all means the demo."""
    if demo:
        return Target(None, None, demo_data or paths.demo_data_dir())
    url = server or os.environ.get("JHE_URL") or None
    if url is None:
        return Target(None, None, demo_data or paths.demo_data_dir())
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"The server address must start with http:// or https:// (got {url!r})."
        )
    token = token or os.environ.get("JHE_TOKEN") or None
    return Target(url.rstrip("/"), token, insecure=insecure)


def open_client(target: Target, *, role: str = "manager") -> JheClient:
    """A client for the target; for the demo, one reaching the embedded backend in
    process through ASGI (no port), signed in as the demo practitioner of `role`."""
    if target.is_demo:
        from jhe_tui.backend import DemoBackend

        backend = DemoBackend(paths.private_dir(target.demo_data))
        return JheClient(
            backend.site_url,
            backend.token_for(role),
            transport=ASGITransport(app=backend.app),
        )
    if not target.token:
        raise ConfigurationError(
            "No access token: set JHE_TOKEN (or run `jhe-tui login` once it is available)."
        )
    return JheClient(target.url, target.token, verify=not target.insecure)
