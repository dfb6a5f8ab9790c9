"""How long one request may take, by what it is.

A page of a large search (a FHIR Observation search of a study on a server holding hundreds of
thousands of them) can take the server tens of seconds before the first byte: a read timeout
shorter than that makes a job fail where a slower, patient tool succeeds. Reads (GETs) therefore
wait long by default (``--timeout`` and a profile's ``timeout`` change it). A write keeps a short
timeout: a lost answer is settled by the job asking the server what happened and only then trying
again (``RetryPolicy``), which is quicker than waiting minutes for an answer that may never come.
Connecting stays short everywhere: a server that does not accept a connection in seconds is down
or unreachable, and saying so at once is more useful than waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from .http import Timeout

READ = 120.0
WRITE = 20.0
CONNECT = 10.0


@dataclass(frozen=True)
class Timeouts:
    read: float = READ  # a GET's wait for its answer
    write: float = WRITE  # any other request's (and a GET that acts, such as v0.0.7's invitation)
    connect: float = CONNECT

    def __post_init__(self) -> None:
        for name in ("read", "write", "connect"):
            if not getattr(self, name) > 0:
                raise ValueError(f"the {name} timeout must be a positive number of seconds")

    @classmethod
    def of(cls, value: float | Timeouts | None) -> Timeouts:
        """A number is the read timeout (what ``--timeout`` sets); the others stay as they are,
        except that no write waits longer than a read would."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        return cls(read=float(value), write=min(WRITE, float(value)), connect=min(CONNECT, float(value)))

    def for_request(self, *, read: bool) -> Timeout:
        """httpx's timeout for a read or a write: connect and pool waits short, the read as chosen."""
        wait = self.read if read else self.write
        return Timeout(wait, connect=self.connect, pool=wait)
