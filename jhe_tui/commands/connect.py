"""Which server the console and the CLI talk to, decided in one place.

jupyterhealth-client users already carry `JHE_URL` and `JHE_TOKEN`; honouring them
(and `--server`) means jhe-tui works in an existing set-up with no new configuration.
With no server at all we fall back to the embedded backend in process, so a fresh
machine still gets a working console.
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from jhe_tui.local import paths, profiles
from jhe_tui.api import JheClient
from jhe_tui.api.auth import BearerAuth, RefreshingAuth
from jhe_tui.api.http import ASGITransport, Auth
from jhe_tui.api.oauth import token_endpoint
from jhe_tui.api.tokens import TokenSet, TokenStore, TokenStoreError
from jhe_tui.local.profiles import Profile


class ConfigurationError(Exception):
    """Bad usage or configuration: the CLI exits 2 with this one sentence."""


@dataclass(frozen=True)
class Target:
    """Where to connect: a real server (url + token or stored tokens) or the demo (data_dir)."""

    url: str | None
    token: str | None = field(repr=False)
    demo_data: Path | None = None
    insecure: bool = False
    profile: Profile | None = None
    tokens: TokenSet | None = None  # stored OAuth tokens of the profile (renewed as they age)
    token_source: str | None = None  # "--token", "JHE_TOKEN" or where the stored token lives
    timeout: float | None = None  # seconds a read may wait: --timeout, else the profile's, else the client's

    @property
    def is_demo(self) -> bool:
        return self.url is None

    @property
    def profile_name(self) -> str:
        return self.profile.name if self.profile else profiles.name_for(self.url or "demo")

    @property
    def verify(self) -> bool | ssl.SSLContext:
        if self.insecure:
            return False
        return tls_verify(self.profile.ca_bundle if self.profile else None)

    @property
    def signed_in(self) -> bool:
        return bool(self.token or self.tokens)


def tls_verify(ca_bundle: str | None) -> bool | ssl.SSLContext:
    """Certificates are always verified: against the system's roots, or the profile's CA bundle."""
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"The CA bundle {ca_bundle} cannot be used ({getattr(exc, 'strerror', None) or exc}); fix ca_bundle in "
            f"{profiles.path()}."
        ) from None


def token_store() -> TokenStore:
    try:
        return TokenStore(paths.private_dir(paths.state_dir()))
    except paths.UnsafeDirectory as exc:
        raise ConfigurationError(str(exc)) from None


def resolve_target(
    server: str | None = None,
    *,
    demo: bool = False,
    token: str | None = None,
    demo_data: Path | None = None,
    insecure: bool = False,
    profile: str | None = None,
    ca_bundle: str | None = None,
    client_id: str | None = None,
    save_profile: bool = True,
    timeout: float | None = None,
) -> Target:
    """`--demo` wins, then `--profile`, `--server`, `JHE_URL`, the default profile; else the demo.

    A server given by URL gets a profile (created on first use) so its tokens have a home.
    The token is `--token`, else `JHE_TOKEN`, else the profile's stored one; the read timeout
    `--timeout`, else the profile's.
    """
    if demo:
        return Target(None, None, demo_data or paths.demo_data_dir(), timeout=timeout)
    try:
        store = profiles.load()
        url = server or os.environ.get("JHE_URL") or None
        if profile is None and url is None and store.settings.default_profile:
            profile = store.settings.default_profile
        if profile is None and url is None:
            return Target(None, None, demo_data or paths.demo_data_dir(), timeout=timeout)
        chosen = profiles.resolve(profile, url, client_id=client_id, ca_bundle=ca_bundle, create=save_profile)
    except profiles.ProfileError as exc:
        raise ConfigurationError(str(exc)) from None
    timeout = timeout or chosen.timeout
    explicit = token or os.environ.get("JHE_TOKEN") or None
    if explicit:
        source = "--token" if token else "JHE_TOKEN"
        return Target(chosen.url, explicit, insecure=insecure, profile=chosen, token_source=source, timeout=timeout)
    stored_in = token_store()
    try:
        stored = stored_in.load(chosen.name)
    except TokenStoreError as exc:
        raise ConfigurationError(exc.message) from None
    return Target(chosen.url, None, insecure=insecure, profile=chosen, tokens=stored,
                  token_source=stored_in.kind if stored else None, timeout=timeout)


def auth_for(target: Target, *, clock=None) -> Auth:
    """Static bearer auth for a given token; self-renewing auth (saved on each renewal) for stored tokens."""
    if target.tokens is None:
        return BearerAuth(target.token)
    store, name = token_store(), target.profile_name
    endpoint = token_endpoint(target.url or "", target.tokens)
    kwargs = {"clock": clock} if clock else {}
    return RefreshingAuth(target.tokens, endpoint, on_update=lambda t: store.save(name, t), **kwargs)


def open_client(target: Target, *, role: str = "manager", require_token: bool = True,
                transport=None) -> JheClient:
    """A client for the target; for the demo, one reaching the embedded backend in
    process through ASGI (no port), signed in as the demo practitioner of `role`."""
    if target.is_demo:
        from jhe_tui.backend import DatabaseUnusable, DemoBackend

        try:
            backend = DemoBackend(paths.private_dir(target.demo_data))
        except (DatabaseUnusable, paths.UnsafeDirectory) as exc:
            raise ConfigurationError(str(exc)) from None
        return JheClient(
            backend.site_url,
            backend.token_for(role),
            transport=ASGITransport(app=backend.app),
            timeout=target.timeout,
        )
    if not target.signed_in and require_token:
        raise ConfigurationError(
            f"Not signed in to {target.url}: run `jhe-tui login --profile {target.profile_name}` "
            "(or set JHE_TOKEN)."
        )
    if target.insecure:
        logging.getLogger("jhe_tui.api").warning("TLS verification is off for %s", target.profile_name)
    return JheClient(target.url, auth=auth_for(target), verify=target.verify, transport=transport,
                     timeout=target.timeout)
