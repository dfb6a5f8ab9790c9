"""`export --resume`: an export stopped part-way (the server stopped answering; ctrl+c) keeps its
``.partial`` file and a private sidecar, and carrying on writes the very file an uninterrupted
export writes, byte for byte, in every format; what cannot be resumed is refused in one sentence."""

from __future__ import annotations

import json
import stat
from datetime import date

import httpx
import pytest

from jhe_tui.api import ASGITransport, JheClient, RetryPolicy
from jhe_tui.cli import main
from jhe_tui.jobs.export import ExportFailed, ExportRefused, OutputOptions
from jhe_tui.jobs.export import export_observations as _export_observations
from jhe_tui.jobs.observations import ObservationQuery
from jhe_tui.jobs.pacing import Pacing

from .conftest import no_sleep


@pytest.fixture(autouse=True)
def _fixed_bundle_time(monkeypatch):
    """The Bundle's timestamp is when its first part was written: the same for both runs here."""
    from datetime import datetime, timezone

    from jhe_tui.jobs import fhir_bundle

    monkeypatch.setattr(fhir_bundle, "utc_now", lambda: datetime(2026, 1, 31, 8, 15, tzinfo=timezone.utc))


def export_observations(*args, **kwargs):
    """A CSV resumes with the wide columns (a tidy CSV's columns are known only at the end)."""
    return _export_observations(*args, options=OutputOptions(columns="wide"), **kwargs)

ORG, STUDY = 20003, 30001
QUERY = ObservationQuery(ORG, study_id=STUDY, since=date(2000, 1, 1))
PAGE = 20


class StopsAnswering(httpx.AsyncBaseTransport):
    """The backend, until ``pages`` observation pages have been served; then 503 for every page."""

    def __init__(self, inner: httpx.AsyncBaseTransport, pages: int) -> None:
        self.inner, self.pages = inner, pages

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.rstrip("/").endswith("/Observation"):
            if self.pages <= 0:
                return httpx.Response(503, json={"detail": "busy"})
            self.pages -= 1
        return await self.inner.handle_async_request(request)


def client(backend, pages: int | None = None) -> JheClient:
    transport = ASGITransport(app=backend.app)
    return JheClient(backend.site_url, backend.token_for("manager"), retry=RetryPolicy(max_retries=1, sleep=no_sleep),
                     transport=transport if pages is None else StopsAnswering(transport, pages))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def whole(backend, fmt, out):
    async with client(backend) as c:
        return await export_observations(c, QUERY, fmt, out, page_size=PAGE)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "fhir"])
async def test_an_export_stopped_by_the_server_resumes_to_the_same_bytes(backend, tmp_path, fmt):
    reference = tmp_path / f"whole.{fmt}"
    done = await whole(backend, fmt, reference)
    assert done.count > 5 * PAGE
    out = tmp_path / f"resumed.{fmt}"
    async with client(backend, pages=3) as c:
        with pytest.raises(ExportFailed) as failed:
            await export_observations(c, QUERY, fmt, out, page_size=PAGE)
    partial = failed.value.partial
    sidecar = partial.with_name(partial.name + ".resume")
    record = json.loads(sidecar.read_text())
    assert mode(partial) == mode(sidecar) == 0o600
    assert record["pages"] == 3 and record["count"] == 3 * PAGE and record["size"] == partial.stat().st_size
    assert record["query"]["study_id"] == STUDY and record["format"] == fmt and record["page_size"] == PAGE
    async with client(backend) as c:
        resumed = await export_observations(c, QUERY, fmt, out, page_size=PAGE, resume=True)
    assert resumed.count == done.count
    assert out.read_bytes() == reference.read_bytes()
    assert not partial.exists() and not sidecar.exists() and mode(out) == 0o600


async def test_stopped_again_and_again_it_still_comes_out_whole(backend, tmp_path):
    reference = tmp_path / "whole.ndjson"
    await whole(backend, "ndjson", reference)
    out = tmp_path / "out.ndjson"
    async with client(backend, pages=2) as c:
        with pytest.raises(ExportFailed):
            await export_observations(c, QUERY, "ndjson", out, page_size=PAGE)
    for _ in range(2):
        async with client(backend, pages=2) as c:
            with pytest.raises(ExportFailed):
                await export_observations(c, QUERY, "ndjson", out, page_size=PAGE, resume=True)
    async with client(backend) as c:
        await export_observations(c, QUERY, "ndjson", out, page_size=PAGE, resume=True)
    assert out.read_bytes() == reference.read_bytes()


async def test_what_was_written_after_the_last_record_is_fetched_again(backend, tmp_path):
    """A kill between two updates of the sidecar leaves more in the file than it vouches for."""
    reference = tmp_path / "whole.csv"
    await whole(backend, "csv", reference)
    out = tmp_path / "out.csv"
    async with client(backend, pages=4) as c:
        with pytest.raises(ExportFailed) as failed:
            await export_observations(c, QUERY, "csv", out, page_size=PAGE)
    partial = failed.value.partial
    sidecar = partial.with_name(partial.name + ".resume")
    record = json.loads(sidecar.read_text())
    with partial.open("a") as extra:
        extra.write("half a page that the sidecar never heard of\n")
    record.update(pages=2, count=2 * PAGE, size=len("".join(reference.read_text().splitlines(True)[:1 + 2 * PAGE])))
    sidecar.write_text(json.dumps(record))
    async with client(backend) as c:
        await export_observations(c, QUERY, "csv", out, page_size=PAGE, resume=True)
    assert out.read_bytes() == reference.read_bytes()


async def test_ctrl_c_keeps_the_partial_file_when_asked_and_resumes(backend, tmp_path):
    reference = tmp_path / "whole.fhir"
    await whole(backend, "fhir", reference)
    out = tmp_path / "out.fhir"
    written = []

    def interrupt(count, total):
        written.append(count)
        if len(written) == 3:
            raise KeyboardInterrupt

    async with client(backend) as c:
        with pytest.raises(KeyboardInterrupt):
            await export_observations(c, QUERY, "fhir", out, page_size=PAGE, progress=interrupt,
                                      keep_interrupted=True, pacing=Pacing(retry=c.retry))
    assert len(list(tmp_path.glob("out.fhir.*.partial"))) == 1
    async with client(backend) as c:
        await export_observations(c, QUERY, "fhir", out, page_size=PAGE, resume=True)
    assert out.read_bytes() == reference.read_bytes()
    assert not list(tmp_path.glob("out.fhir.*"))
    assert written == [PAGE, 2 * PAGE, 3 * PAGE]


async def test_without_keep_interrupted_a_cancelled_export_leaves_nothing(backend, tmp_path):
    def interrupt(count, total):
        raise KeyboardInterrupt

    async with client(backend) as c:
        with pytest.raises(KeyboardInterrupt):
            await export_observations(c, QUERY, "csv", tmp_path / "x.csv", page_size=PAGE, progress=interrupt)
    assert list(tmp_path.glob("x.csv*")) == []


async def test_nothing_to_resume_and_another_query_are_refused(backend, tmp_path):
    out = tmp_path / "out.csv"
    async with client(backend) as c:
        with pytest.raises(ExportRefused, match="no interrupted export"):
            await export_observations(c, QUERY, "csv", out, page_size=PAGE, resume=True)
    async with client(backend, pages=2) as c:
        with pytest.raises(ExportFailed):
            await export_observations(c, QUERY, "csv", out, page_size=PAGE)
    async with client(backend) as c:
        for other in ({"query": QUERY.with_(study_id=None), "fmt": "csv"}, {"query": QUERY, "fmt": "ndjson"}):
            with pytest.raises(ExportRefused, match="no interrupted export"):
                await export_observations(c, other["query"], other["fmt"], out, page_size=PAGE, resume=True)
    assert len(list(tmp_path.glob("out.csv.*.partial"))) == 1  # left for a resume of the right query


async def test_a_server_whose_matches_changed_is_refused_and_the_file_kept(backend, tmp_path):
    out = tmp_path / "out.ndjson"
    async with client(backend, pages=2) as c:
        with pytest.raises(ExportFailed) as failed:
            await export_observations(c, QUERY, "ndjson", out, page_size=PAGE)
    partial = failed.value.partial
    sidecar = partial.with_name(partial.name + ".resume")
    record = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**record, "total": record["total"] - 1}))
    kept = partial.read_bytes()
    async with client(backend) as c:
        with pytest.raises(ExportRefused, match="changed since the export started"):
            await export_observations(c, QUERY, "ndjson", out, page_size=PAGE, resume=True)
    assert partial.read_bytes() == kept and sidecar.exists() and not out.exists()


def test_the_command_refuses_resume_to_the_standard_output(capsys):
    code = main(["export", "observations", "--demo", "--org", str(ORG), "--format", "csv", "-o", "-", "--resume"])
    assert code == 2 and "--resume needs a file" in capsys.readouterr().err


def test_the_command_resumes_and_says_how_after_a_failure(tmp_path, capsys):
    out = tmp_path / "o.csv"
    code = main(["export", "observations", "--demo", "--org", str(ORG), "--format", "csv", "--columns", "wide", "-o", str(out), "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "no interrupted export" in err and "\n" not in err.strip()


async def test_a_tidy_csv_or_an_export_with_patients_is_not_resumed_but_run_again(backend, tmp_path):
    async with JheClient(backend.site_url, backend.token_for("manager"), transport=ASGITransport(app=backend.app)) as c:
        for fmt, options in (("csv", OutputOptions()), ("ndjson", OutputOptions(with_patients=True))):
            with pytest.raises(ExportRefused, match="run it again"):
                await _export_observations(c, QUERY, fmt, tmp_path / f"x.{fmt}", options=options, resume=True)
    assert list(tmp_path.glob("x.*")) == []
