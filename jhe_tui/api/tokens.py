"""Tokens of one server profile, and where they are kept.

The OS keyring first (the ``keyring`` package, when a real backend is available), otherwise one
file per profile in the state directory with mode 0600 inside a 0700 directory. A token file
that others can read is refused, with the reason, rather than used: on a shared workstation it
may already have been copied.
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from jhe_tui.local import paths

from .errors import JheError

SERVICE = "jhe-tui"
REFRESH_MARGIN_SECONDS = 300  # refresh this long before the access token expires


class TokenStoreError(JheError):
    """The token could not be stored, read or removed; the message says why and what to do."""


@dataclass(frozen=True)
class TokenSet:
    """One sign-in's tokens; the secrets are left out of repr (tracebacks, logs, debuggers)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None  # epoch seconds; None when the server did not say
    client_id: str | None = None  # the OAuth client that got the tokens (needed to refresh)
    method: str = "token"  # "loopback", "paste-back", "api-key", "token"
    api_key: str | None = field(default=None, repr=False)  # only for "api-key", which has no refresh token
    token_endpoint: str | None = None  # where to renew (from discovery, with its trailing slash)
    revocation_endpoint: str | None = None

    @classmethod
    def from_response(cls, data: dict[str, Any], *, client_id: str | None, method: str,
                      now: float | None = None, api_key: str | None = None) -> TokenSet:
        expires_in = data.get("expires_in")
        now = time.time() if now is None else now
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token") or None,
            expires_at=now + float(expires_in) if isinstance(expires_in, int | float) else None,
            client_id=client_id,
            method=method,
            api_key=api_key,
        )

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - (time.time() if now is None else now) <= seconds

    @property
    def renewable(self) -> bool:
        return bool(self.refresh_token and self.client_id) or bool(self.api_key)

    def rotated(self, data: dict[str, Any], now: float | None = None) -> TokenSet:
        fresh = TokenSet.from_response(data, client_id=self.client_id, method=self.method, now=now,
                                       api_key=self.api_key)
        # The old refresh token is dead after rotation: never keep it, even if none came back.
        return replace(fresh, token_endpoint=self.token_endpoint, revocation_endpoint=self.revocation_endpoint)

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None})

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise ValueError("no access token")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def _keyring():
    """The keyring module when a usable backend exists, else None (``JHE_TUI_KEYRING=0`` turns it off)."""
    if os.environ.get("JHE_TUI_KEYRING", "1").lower() in ("0", "no", "off", "false"):
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - any failure to load a backend means "no keyring"
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    backends = getattr(backend, "backends", None)
    if backends is not None and not backends:
        return None
    return keyring


class TokenStore:
    """Per-profile token storage: keyring when available, else ``<state>/tokens/<profile>.json``."""

    def __init__(self, state_dir: Path, *, use_keyring: bool = True):
        self.dir = Path(state_dir) / "tokens"
        self._keyring = _keyring() if use_keyring else None

    @property
    def kind(self) -> str:
        return "the OS keyring" if self._keyring else f"a private file in {self.dir}"

    def file(self, profile: str) -> Path:
        return self.dir / f"{profile}.json"

    def load(self, profile: str) -> TokenSet | None:
        if self._keyring is not None:
            try:
                text = self._keyring.get_password(SERVICE, profile)
            except Exception:  # noqa: BLE001 - keyring backends raise many kinds
                raise TokenStoreError(
                    "The OS keyring could not be read; unlock it, or set JHE_TUI_KEYRING=0 to use a private file."
                ) from None
            if text:
                return self._parse(text, "the keyring")
        path = self.file(profile)
        if not path.exists():
            return None
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenStoreError(
                f"The token file {path} can be read by other users, so it is not used; "
                "delete it and sign in again with `jhe-tui login`."
            )
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenStoreError(f"The token file {path} cannot be read ({exc.strerror}).") from None
        return self._parse(text, str(path))

    @staticmethod
    def _parse(text: str, where: str) -> TokenSet:
        try:
            return TokenSet.from_json(text)
        except (ValueError, TypeError):
            raise TokenStoreError(
                f"The stored token in {where} is damaged; run `jhe-tui login` again."
            ) from None

    def save(self, profile: str, tokens: TokenSet) -> str:
        """Store, and say where: "the OS keyring" or the file."""
        if self._keyring is not None:
            try:
                self._keyring.set_password(SERVICE, profile, tokens.to_json())
            except Exception:  # noqa: BLE001
                self._keyring = None  # fall back to the file for this run
            else:
                self.file(profile).unlink(missing_ok=True)
                return "the OS keyring"
        paths.private_dir(self.dir)  # 0700 at every level, whatever the umask; a loose one narrowed
        path = self.file(profile)
        tmp = path.with_suffix(".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(tokens.to_json())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError as exc:
            raise TokenStoreError(f"The token could not be written to {path} ({exc.strerror}).") from None
        return str(path)

    def delete(self, profile: str) -> None:
        if self._keyring is not None:
            try:
                self._keyring.delete_password(SERVICE, profile)
            except Exception:  # noqa: BLE001 - "not found" is fine, and so is a failing keyring here
                pass
        self.file(profile).unlink(missing_ok=True)
