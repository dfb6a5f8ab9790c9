"""A stand-in for a large, slow JHE v0.0.13 for the console benchmark: the answers have the shapes
recorded from a real v0.0.13 (``tests/fixtures/recorded/jhe-v0.0.13.jsonl``: the profile, the
organization list and the studies as recorded; patients built on the recorded patient), one
organization holds ``--patients`` patients, and each patient page takes ``--delay`` seconds, as
a real server's database does. Other calls take ``--other-delay``.

It logs when it started and finished each request (``time.monotonic``, the clock every process
on the machine shares), so the benchmark can take the server's own time out of what it measures:
``GET /bench/log`` returns the log and clears it.

    python benchmarks/v013_server.py --port 8765 [--patients 20000] [--delay 0.5] [--other-delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

RECORDED = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "recorded" / "jhe-v0.0.13.jsonl"
ORGANIZATION = 20003  # "Lifespan Lab", mary's remembered organization in the recording
FAMILY = ("Meyer", "Butler", "Smith", "Doe", "Nguyen", "Okafor", "García", "Kowalski", "Haddad", "Brown, Jr.")
GIVEN = ("Peter", "Pamela", "John", "Jane", "Aisha", "Mateo", "Yuki", "Olena", "Kwame", "Sofía")


def recorded() -> dict[str, str]:
    """The recorded answer bodies the server repeats, by what they are."""
    found: dict[str, str] = {}
    for line in RECORDED.read_text().splitlines():
        exchange = json.loads(line)
        if exchange["status"] != 200 or exchange["actor"] != "mary" or exchange["method"] != "GET":
            continue
        path = exchange["path"]
        for name, prefix in (("profile", "/api/v1/users/profile"), ("organizations", "/api/v1/organizations"),
                             ("studies", "/api/v1/studies?organization_id="), ("patients", "/api/v1/patients?")):
            if path == prefix or (prefix.endswith(("=", "?")) and path.startswith(prefix)):
                found.setdefault(name, exchange["body"])
    return found


def patient_bodies(count: int, template: dict) -> list[bytes]:
    """``count`` patients of the recorded shape, ids from 50001, in the one organization."""
    bodies = []
    for index in range(count):
        patient = dict(template)
        family, given = FAMILY[index % len(FAMILY)], GIVEN[(index // len(FAMILY)) % len(GIVEN)]
        patient.update(
            id=50001 + index,
            jheUserId=60001 + index,
            identifiers=[{"id": index + 1, "system": "urn:oid:1.2.3.4", "value": f"E{index:06d}"}],
            nameFamily=family,
            nameGiven=f"{given}{index}",
            birthDate=f"19{50 + index % 50}-{1 + index % 12:02d}-{1 + index % 28:02d}",
            telecomPhone=f"+1-555-{index % 1000:03d}-{index % 10000:04d}",
            telecomEmail=f"{given.lower()}.{index}@example.com",
        )
        bodies.append(json.dumps(patient, separators=(",", ":"), ensure_ascii=False).encode())
    return bodies


def build(patients: int, delay: float, other_delay: float) -> Starlette:
    bodies = recorded()
    template = json.loads(bodies["patients"])["results"][0]
    everyone = patient_bodies(patients, template)
    log: list[tuple[str, float, float]] = []

    def link(request: Request, page: int, size: int) -> str | None:
        if page < 1 or (page - 1) * size >= patients:
            return None
        query = {**request.query_params, "page": str(page)}
        return f"{request.base_url}api/v1/patients?{urlencode(query)}"

    async def patient_page(request: Request) -> Response:
        started = time.monotonic()
        await asyncio.sleep(delay)
        try:
            page = int(request.query_params.get("page", "1"))
            size = min(int(request.query_params.get("page_size", "20")), 1000)
        except ValueError:
            page, size = 1, 20
        first = (page - 1) * size
        if page < 1 or (page > 1 and first >= patients):
            log.append((request.url.path, started, time.monotonic()))
            return JSONResponse({"detail": "Invalid page."}, status_code=404)
        head = json.dumps({"count": patients, "next": link(request, page + 1, size),
                           "previous": link(request, page - 1, size)})
        body = head[:-1].encode() + b',"results":[' + b",".join(everyone[first:first + size]) + b"]}"
        log.append((request.url.path, started, time.monotonic()))
        return Response(body, media_type="application/json")

    def fixed(name: str, body: str) -> Route:
        async def answer(request: Request) -> Response:
            started = time.monotonic()
            await asyncio.sleep(other_delay)
            log.append((request.url.path, started, time.monotonic()))
            return Response(body, media_type="application/json")

        return Route(name, answer)

    async def read_log(request: Request) -> Response:
        entries = list(log)
        log.clear()
        return JSONResponse(entries)

    return Starlette(routes=[
        Route("/api/v1/patients", patient_page),
        fixed("/health", json.dumps({"status": "ok", "version": "v0.0.13"})),
        fixed("/api/v1/users/profile", bodies["profile"]),
        fixed("/api/v1/organizations", bodies["organizations"]),
        fixed("/api/v1/studies", bodies["studies"]),
        Route("/bench/log", read_log),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--other-delay", type=float, default=0.05)
    args = parser.parse_args()
    app = build(args.patients, args.delay, args.other_delay)
    print("ready", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
