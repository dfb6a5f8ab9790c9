"""`jhe-tui serve-demo` in a real process on loopback answers the user guide's curl
sequence ("Complete Patient Onboarding via REST API") with the guide's shapes, in one process
and with several workers, and leaves no worker behind when it stops."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.serving import serve_demo, serve_demo_process


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def served(request, tmp_path_factory):
    with serve_demo(tmp_path_factory.mktemp("served") / "d", "--workers", str(request.param)) as printed:
        yield printed


def test_guide_curl_sequence(served):
    base, token = served["JHE_URL"], served["JHE_TOKEN"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=10) as http:
        orgs = http.get("/api/v1/organizations").json()["results"]
        org = next(o for o in orgs if o["currentUserRole"] in ("manager", "member"))
        studies = http.get("/api/v1/studies", params={"organization_id": org["id"]}).json()["results"]
        assert studies, "the demo organization has studies"
        study = studies[0]

        # 1. Create patient (guide: 201 with the Patient object)
        created = http.post(
            "/api/v1/patients",
            json={
                "telecomEmail": "john.smith@example.com",
                "nameFamily": "Smith",
                "nameGiven": "John",
                "birthDate": "1980-01-01",
                "telecomPhone": "555-1234",
                "organizationId": org["id"],
            },
        )
        assert created.status_code == 201, created.text
        patient = created.json()
        assert patient["nameFamily"] == "Smith" and patient["birthDate"] == "1980-01-01"
        assert patient["telecomEmail"] == "john.smith@example.com"
        assert any(o["id"] == org["id"] for o in patient["organizations"])
        pid = patient["id"]

        # 2. Enroll in study (snake_case body, as the guide sends it)
        enrolled = http.post(f"/api/v1/studies/{study['id']}/patients", json={"patient_ids": [pid]})
        assert enrolled.status_code in (200, 201), enrolled.text

        # 3. Generate and send invitation
        inv = http.get(f"/api/v1/patients/{pid}/invitation_link", params={"send_email": "true"})
        assert inv.status_code == 200, inv.text
        link = inv.json()["invitationLink"]
        assert re.search(r"cloud_sharing=127\.0\.0\.1%3A\d+%7C[A-Za-z0-9]{30}$", link), link

        # 4. Verify patient status: the new enrolment is pending every requested scope
        consents = http.get(f"/api/v1/patients/{pid}/consents").json()
        assert consents["patient"]["id"] == pid
        pending = [s for s in consents["studiesPendingConsent"] if s["id"] == study["id"]]
        assert pending and pending[0]["pendingScopeConsents"]
        assert all(c["consented"] is None for c in pending[0]["pendingScopeConsents"])

        # Common issue: the same e-mail again is a clear 400, not a 500
        again = http.post(
            "/api/v1/patients",
            json={"telecomEmail": "john.smith@example.com", "nameFamily": "Smith", "nameGiven": "John",
                  "birthDate": "1980-01-01", "organizationId": org["id"]},
        )
        assert again.status_code == 400
        assert "User with this email already exists" in again.text


def test_a_write_is_seen_by_every_worker(served):
    """Each request on a connection of its own, so every worker answers some; all of them have
    counted the list before the write, and none may answer with that count afterwards."""
    base, h = served["JHE_URL"], {"Authorization": f"Bearer {served['JHE_TOKEN']}"}

    def counts() -> list[int]:
        found = []
        for _ in range(10):
            with httpx.Client(base_url=base, headers=h, timeout=10) as fresh:
                answer = fresh.get("/api/v1/patients", params={"organization_id": 20003, "page_size": 1})
                assert answer.status_code == 200, answer.text
                found.append(answer.json()["count"])
        return found

    before = counts()
    assert len(set(before)) == 1
    for added in (1, 2):
        with httpx.Client(base_url=base, headers=h, timeout=10) as http:
            created = http.post("/api/v1/patients", json={
                "telecomEmail": f"seen.by.all.{added}@example.com", "nameFamily": "Seen", "nameGiven": "All",
                "birthDate": "1990-01-01", "organizationId": 20003})
            assert created.status_code == 201, created.text
        assert counts() == [before[0] + added] * 10


def _alive(pid: int) -> bool:
    """Not gone and not a zombie (``os.kill(pid, 0)`` succeeds on one, which serves nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("stop", ["SIGTERM", "ctrl+c", "SIGKILL"])
def test_stopping_the_server_stops_its_workers(stop, tmp_path):
    """SIGTERM to the server, SIGINT to its process group (a terminal's ctrl+c), and even
    SIGKILL, which the server cannot pass on: no worker keeps serving the port."""
    with serve_demo_process(tmp_path / "d", "--workers", "2") as (server, printed):
        children = _children(server.pid)
        assert len(children) >= 2  # the workers, and multiprocessing's resource tracker
        if stop == "ctrl+c":
            os.killpg(server.pid, signal.SIGINT)
        else:
            os.kill(server.pid, getattr(signal, stop))
        server.wait(timeout=15)
        deadline = time.monotonic() + 10
        while any(map(_alive, children)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)]
        with pytest.raises(httpx.TransportError):
            httpx.get(printed["JHE_URL"] + "/health", timeout=2)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the processes' mapped files in /proc")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_server_runs_on_asyncio_and_h11_even_where_uvloop_and_httptools_are_installed(workers, tmp_path):
    """They were dropped from the dependencies (no measurable gain for the demo); an environment
    that has them anyway serves the demo the same way, as its figures were measured."""
    with serve_demo_process(tmp_path / "d", "--workers", workers) as (server, printed):
        httpx.get(printed["JHE_URL"] + "/api/v1/users/profile",
                  headers={"Authorization": f"Bearer {printed['JHE_TOKEN']}"}, timeout=10)
        processes = [server.pid, *_children(server.pid)]
        mapped = " ".join(Path(f"/proc/{pid}/maps").read_text() for pid in processes if _alive(pid))
    assert "uvloop" not in mapped and "httptools" not in mapped


async def test_the_client_over_loopback_through_httpx_own_transport(served):
    """JheClient with no transport injected: the requests the console sends, on real sockets."""
    from jhe_tui.api import JheClient

    async with JheClient(served["JHE_URL"], served["JHE_TOKEN"]) as client:
        org = next(o for o in await client.my_organizations() if o.current_user_role in ("manager", "member"))
        created = await client.create_patient(org.id, {
            "email": "loopback@example.org", "family": "Loop", "given": "Back", "birth_date": "1990-02-03",
        })
        assert (await client.find_patient_by_email("loopback@example.org")).id == created.patient.id
        assert await client.find_patient_by_email("nobody@example.org") is None


def test_requests_on_a_kept_alive_connection_are_answered_at_once(served):
    """A response is two writes (head, body); without TCP_NODELAY on the accepted socket the
    body waits for the client's delayed ACK, 40 ms a request. Worker processes accept on a socket
    asyncio does not take for TCP, so serve-demo sets it itself."""
    h = {"Authorization": f"Bearer {served['JHE_TOKEN']}"}
    with httpx.Client(base_url=served["JHE_URL"], headers=h, timeout=10) as http:
        timings = []
        for _ in range(21):
            started = time.perf_counter()
            assert http.get("/api/v1/patients/global_lookup", params={"email": "nobody@example.org"}).status_code == 200
            timings.append(time.perf_counter() - started)
    assert sorted(timings)[10] < 0.035, f"median {sorted(timings)[10] * 1000:.0f} ms"


def test_the_readme_curl_examples_work_as_written(served, tmp_path):
    """Issue 15.12: the README's curl block, run by a shell as a user would paste it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = next(b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if "curl -s -X POST" in b)
    create, patch = block.split("curl -s -X PATCH")
    env = {**os.environ, "JHE_URL": served["JHE_URL"], "JHE_TOKEN": served["JHE_TOKEN"]}
    import json
    import subprocess

    created = subprocess.run(["bash", "-c", create.replace("john.smith@", "readme.example@")], env=env,
                             capture_output=True, text=True, check=True)
    patient = json.loads(created.stdout)
    assert patient["nameFamily"] == "Smith"
    patched = subprocess.run(["bash", "-c", "curl -s -X PATCH" + patch.replace("PATIENT_ID", str(patient["id"]))],
                             env=env, capture_output=True, text=True, check=True)
    assert json.loads(patched.stdout)["telecomPhone"] == "555-9876"
    # Without the organization, JHE's 403, with a hint that names what is missing.
    bare = httpx.patch(f"{served['JHE_URL']}/api/v1/patients/{patient['id']}", json={"telecomPhone": "1"},
                       headers={"Authorization": f"Bearer {served['JHE_TOKEN']}"})
    assert bare.status_code == 403 and "organization_id" in bare.json()["detail"]
