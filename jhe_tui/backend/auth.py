"""Who is calling, and what their roles let them change.

The rules are stricter than JHE's (contract section 3), as the user guide describes them:
a viewer reads only; a member or manager may change patients, enrolments, consents and
invitations; only a manager may change who belongs to an organization. Every write names the
organization it acts through, and the caller needs the role in that very organization.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from starlette.requests import Request

from . import tokens
from .errors import forbidden, unauthenticated

WRITERS = frozenset({"manager", "member"})
MANAGERS = frozenset({"manager"})


@dataclass(frozen=True)
class Caller:
    id: int
    email: str
    first_name: str
    last_name: str
    roles: dict[int, str] = field(default_factory=dict)
    superuser: bool = False  # JHE's pseudo-role super_user: every write is allowed

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def require(self, organization_id: int, allowed: frozenset[str] = WRITERS) -> None:
        if not self.superuser and self.roles.get(organization_id) not in allowed:
            raise forbidden()

    def can_write_any(self, organization_ids: set[int] | frozenset[int]) -> bool:
        return self.superuser or any(self.roles.get(org) in WRITERS for org in organization_ids)


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authenticate(request: Request, conn: sqlite3.Connection) -> Caller:
    token = bearer_token(request)
    user_id = tokens.user_for_access_token(conn, token) if token else None
    if user_id is None:
        raise unauthenticated()
    user = conn.execute("SELECT id, email, first_name, last_name, is_superuser FROM jhe_user WHERE id = ?",
                        (user_id,)).fetchone()
    roles = conn.execute(
        "SELECT organization_id, role FROM practitioner_organization WHERE user_id = ?", (user_id,)
    ).fetchall()
    return Caller(user["id"], user["email"], user["first_name"], user["last_name"], {r[0]: r[1] for r in roles},
                  bool(user["is_superuser"]))
