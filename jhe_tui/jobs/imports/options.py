"""What an import is asked to do, and the refusal before it starts."""

from __future__ import annotations

from dataclasses import dataclass


class PreflightError(Exception):
    """The import cannot start (unknown organization or study, no permission): exit 2."""


@dataclass
class ImportOptions:
    organization_id: int
    study_id: int | None = None
    invite: bool = False
    send_email: bool = False
    reinvite: bool = False  # send again the invitations a server cannot say were sent
    dry_run: bool = False
    concurrency: int = 4

    def __post_init__(self) -> None:
        if self.send_email:
            self.invite = True
