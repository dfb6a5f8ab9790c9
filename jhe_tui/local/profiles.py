"""Server profiles and console settings: ``profiles.toml`` in the user config directory.

A profile names a server (base URL), optionally the OAuth client id registered there for a
loopback redirect, a CA bundle and a default organization. No secret ever goes in this file:
tokens live in the keyring or the token file (``jhe_tui.api.tokens``), the PIN hash in the
state directory.

Read with ``tomllib``; written with ``tomlkit`` into the file as it is, so the owner's comments, key
order and keys jhe-tui does not know survive every write; only commands that change a profile
(``login``, a sign-in in the console) write at all.

```toml
[settings]
idle_lock_minutes = 10       # 0 turns the idle lock off
default_profile = "clinic"

[profiles.clinic]
url = "https://jhe.example.org"
client_id = "AbC123"         # optional: a public app registered with http://127.0.0.1/callback
ca_bundle = "/etc/ssl/clinic-ca.pem"   # optional
organization = 20003         # optional
timeout = 300                # optional: seconds to wait for a page (default 120; --timeout overrides)
```
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit

from jhe_tui.local import paths

FILE_NAME = "profiles.toml"
DEFAULT_IDLE_MINUTES = 10
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ProfileError(Exception):
    """A profiles file or profile that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    client_id: str | None = None
    ca_bundle: str | None = None
    organization: int | None = None
    timeout: float | None = None  # seconds a read may wait for its answer (None: the client's default)


@dataclass
class Settings:
    idle_lock_minutes: float = DEFAULT_IDLE_MINUTES
    default_profile: str | None = None


@dataclass
class Profiles:
    settings: Settings = field(default_factory=Settings)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def by_url(self, url: str) -> Profile | None:
        url = normalise_url(url)
        return next((p for p in self.profiles.values() if p.url == url), None)


def path() -> Path:
    return paths.config_dir() / FILE_NAME


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def check_url(url: str) -> str:
    url = normalise_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"The server address must start with http:// or https:// and name a host (got {url!r}).")
    if parts.query or parts.fragment:
        raise ProfileError("The server address must be the JHE base URL, without ?query or #fragment.")
    return url


def name_for(url: str) -> str:
    """A profile name made from the host (and port): ``jhe.example.org``, ``127.0.0.1-8803``."""
    parts = urlsplit(url)
    host = parts.hostname or "server"
    name = f"{host}-{parts.port}" if parts.port else host
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:64]


def read(file: Path | None = None) -> dict:
    """The file's tables as plain data ({} when there is no file yet); shared with the console's own
    settings (``jhe_tui.local.settings``), which live in the same file."""
    file = file or path()
    if not file.exists():
        return {}
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"The profiles file {file} cannot be read ({exc.strerror}); fix its permissions.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(
            f"The profiles file {file} is not valid TOML ({exc}); fix it or move it away to start afresh."
        ) from None


def load(file: Path | None = None) -> Profiles:
    file = file or path()
    data = read(file)
    try:
        return _from_data(data)
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"The profiles file {file} has a bad entry: {exc}; fix it or move it away.") from None


def _from_data(data: dict) -> Profiles:
    raw_settings = data.get("settings", {})
    if not isinstance(raw_settings, dict):
        raise ValueError("[settings] must be a table")
    minutes = raw_settings.get("idle_lock_minutes", DEFAULT_IDLE_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
        raise ValueError("idle_lock_minutes must be a number of minutes, 0 to turn the lock off")
    default = raw_settings.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ValueError("default_profile must be a profile name")
    result = Profiles(Settings(minutes, default))
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise ValueError("[profiles] must be a table")
    for name, entry in raw_profiles.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ValueError(f"profile {name!r} needs a url")
        if not _NAME.fullmatch(name):
            raise ValueError(f"profile name {name!r} may only use letters, digits, '.', '-' and '_'")
        org = entry.get("organization")
        if org is not None and (isinstance(org, bool) or not isinstance(org, int)):
            raise ValueError(f"organization of profile {name!r} must be a number")
        timeout = entry.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0):
            raise ValueError(f"timeout of profile {name!r} must be a positive number of seconds")
        for key in ("client_id", "ca_bundle"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise ValueError(f"{key} of profile {name!r} must be a string")
        try:
            url = check_url(entry["url"])
        except ProfileError as exc:
            raise ValueError(f"profile {name!r}: {exc}") from None
        result.profiles[name] = Profile(name, url, entry.get("client_id"), entry.get("ca_bundle"), org, timeout)
    return result


HEADER = "jhe-tui server profiles and settings. No secrets here: tokens live in the keyring or the state directory."


def dumps(profiles: Profiles, current: str = "") -> str:
    """``current`` (the file's text) with jhe-tui's keys set to ``profiles``; everything else kept."""
    doc = _document(current)
    _set_profiles(doc, profiles)
    return tomlkit.dumps(doc)


def _document(current: str) -> tomlkit.TOMLDocument:
    doc = tomlkit.parse(current) if current.strip() else tomlkit.document()
    if not current.strip():
        doc.add(tomlkit.comment(HEADER))
    return doc


def _set_profiles(doc: tomlkit.TOMLDocument, profiles: Profiles) -> None:
    settings = doc.setdefault("settings", tomlkit.table())
    minutes = profiles.settings.idle_lock_minutes
    settings["idle_lock_minutes"] = int(minutes) if float(minutes).is_integer() else minutes
    if profiles.settings.default_profile:
        settings["default_profile"] = profiles.settings.default_profile
    else:
        settings.pop("default_profile", None)
    tables = doc.setdefault("profiles", tomlkit.table(is_super_table=True))
    for gone in [name for name in tables if name not in profiles.profiles]:
        del tables[gone]
    for name, profile in sorted(profiles.profiles.items()):
        entry = tables.setdefault(name, tomlkit.table())
        for key, value in (("url", profile.url), ("client_id", profile.client_id),
                           ("ca_bundle", profile.ca_bundle), ("organization", profile.organization),
                           ("timeout", profile.timeout)):
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value


def save(profiles: Profiles, file: Path | None = None) -> Path:
    return edit(lambda doc: _set_profiles(doc, profiles), file)


def edit(change: Callable[[tomlkit.TOMLDocument], object], file: Path | None = None) -> Path:
    """Apply ``change`` to the file as it is and write it back (0600, replaced in one rename), so
    whatever ``change`` does not touch (comments, order, unknown keys) stays as the owner left it."""
    file = file or path()
    paths.private_dir(file.parent)
    doc = _document(file.read_text(encoding="utf-8") if file.exists() else "")
    change(doc)
    tmp = file.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(tomlkit.dumps(doc))
    os.replace(tmp, file)
    return file


def resolve(name: str | None = None, url: str | None = None, *, client_id: str | None = None,
            ca_bundle: str | None = None, timeout: float | None = None, create: bool = True) -> Profile:
    """The profile named, or the one for ``url`` (created and saved when new and ``create``);
    a client id, CA bundle or timeout given is kept in it."""
    store = load()
    if name:
        if name not in store.profiles:
            known = ", ".join(sorted(store.profiles)) or "none yet"
            raise ProfileError(
                f"There is no profile named {name!r} (known: {known}); create one with `jhe-tui login --server URL`."
            )
        profile = store.profiles[name]
    elif url:
        url = check_url(url)
        profile = store.by_url(url) or Profile(_free_name(store, name_for(url)), url)
    else:
        raise ProfileError("No server given: use --server URL or --profile NAME.")
    changed = replace(profile, client_id=client_id or profile.client_id, ca_bundle=ca_bundle or profile.ca_bundle,
                      timeout=timeout or profile.timeout)
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ProfileError(f"The CA bundle {ca_bundle} does not exist or is not a file.")
    if create and store.profiles.get(changed.name) != changed:
        store.profiles[changed.name] = changed
        save(store)
    return changed


def _free_name(store: Profiles, base: str) -> str:
    name, n = base, 2
    while name in store.profiles:
        name, n = f"{base}-{n}", n + 1
    return name
