"""The optional local PIN that unlocks the console after the idle lock.

Only a salted scrypt hash is stored, in ``<state>/pin.json`` (mode 0600). The PIN unlocks this
computer account's console; it is not a JHE credential and never leaves the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from jhe_tui.local import paths

_N, _R, _P = 2**14, 8, 1


def path() -> Path:
    return paths.state_dir() / "pin.json"


def _hash(pin: str, salt: bytes, n: int = _N, r: int = _R, p: int = _P) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def check_new(pin: str) -> str | None:
    if len(pin) < 4:
        return "A PIN needs at least 4 characters."
    if len(pin) > 64:
        return "A PIN may have at most 64 characters."
    return None


def save(pin: str) -> None:
    salt = secrets.token_bytes(16)
    record = {"scheme": "scrypt", "n": _N, "r": _R, "p": _P, "salt": salt.hex(), "hash": _hash(pin, salt).hex()}
    paths.private_dir(paths.state_dir())
    fd = os.open(path(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(record, out)


def is_set() -> bool:
    return path().exists()


def verify(pin: str) -> bool:
    try:
        record = json.loads(path().read_text())
        expected = bytes.fromhex(record["hash"])
        got = _hash(pin, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(expected, got)


def clear() -> None:
    path().unlink(missing_ok=True)
