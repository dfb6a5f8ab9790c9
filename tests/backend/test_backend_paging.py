"""DRF pages: page/page_size, default 20, at most 1000, empty past the end, absolute links."""

from __future__ import annotations

import httpx
import pytest

from jhe_tui.backend import db, search


async def test_default_size_and_links(api) -> None:
    first = (await api.get("/api/v1/observations?organization_id=20003")).json()
    assert len(first["results"]) == 20 and first["count"] > 20
    assert first["previous"] is None
    assert first["next"].startswith("http://127.0.0.1:8765/api/v1/observations?") and "page=2" in first["next"]
    second = (await api.get(first["next"])).json()
    assert second["previous"] and "page=1" in second["previous"]
    assert not {o["id"] for o in first["results"]} & {o["id"] for o in second["results"]}


async def test_following_next_walks_every_item_once(api) -> None:
    url: str | None = "/api/v1/patients?organization_id=20003&page_size=7"
    seen: list[int] = []
    count = None
    while url:
        page = (await api.get(url)).json()
        count = page["count"]
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == count
    assert seen == sorted(seen)


async def test_page_size_is_capped_at_1000(api) -> None:
    page = (await api.get("/api/v1/observations?organization_id=20003&page_size=5000")).json()
    assert page["count"] > 1000 and len(page["results"]) == 1000


async def test_past_the_end_is_an_empty_page(api) -> None:
    response = await api.get("/api/v1/patients?organization_id=20003&page=999")
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [] and body["next"] is None and body["count"] > 0
    assert "page=998" in body["previous"]


async def test_bad_page_numbers_fall_back_to_defaults(api) -> None:
    for query in ("page=abc", "page=0", "page=-3", "page_size=x", "page_size=0"):
        body = (await api.get(f"/api/v1/patients?organization_id=20003&{query}")).json()
        assert len(body["results"]) == 20 and body["previous"] is None, query


async def test_links_use_the_host_the_client_called(api) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.backend.app),
                                 base_url="http://localhost:9999") as other:
        token = api.backend.token_for("manager")
        page = (await other.get("/api/v1/organizations?page_size=2",
                                headers={"Authorization": f"Bearer {token}"})).json()
    assert page["next"].startswith("http://localhost:9999/api/v1/organizations?")


async def test_small_lists_are_paginated_too(api) -> None:
    organizations = (await api.get("/api/v1/organizations?page_size=3&page=3")).json()
    assert organizations["count"] == 8 and len(organizations["results"]) == 2
    sources = (await api.get("/api/v1/data_sources?pageSize=2")).json()
    assert sources["count"] == 4 and len(sources["results"]) == 2 and sources["next"]
    studies = (await api.get("/api/v1/studies?page_size=1")).json()
    assert studies["count"] == 3 and len(studies["results"]) == 1


@pytest.mark.parametrize("stride", [1, 7, 1000])
def test_deep_pages_found_from_bookmarks_are_the_offset_pages(backend, monkeypatch, stride) -> None:
    """Pages reached through bookmarks (search.py) hold exactly the rows OFFSET would give."""
    monkeypatch.setattr(search, "STRIDE", stride)
    conn = db.connect(backend.db_path)
    mine = frozenset({20001, 20002, 20003, 20004})
    of = search.ObservationFilter
    lists = {
        "patients of an organization": lambda o, n: search.patients(conn, mine, organization_id=20003, offset=o,
                                                                    limit=n),
        "all my patients": lambda o, n: search.patients(conn, mine, offset=o, limit=n),
        "patients of a study": lambda o, n: search.patients(conn, mine, study_id=30001, offset=o, limit=n),
        "observations of an organization": lambda o, n: search.observations(conn, mine, of(organization_id=20003),
                                                                            offset=o, limit=n),
        "all my observations": lambda o, n: search.observations(conn, mine, of(), offset=o, limit=n),
        "a study's heart rate": lambda o, n: search.observations(conn, mine, of(study_id=30002, concept_ids=[50004]),
                                                                 offset=o, limit=n),
    }
    try:
        for name, page in lists.items():
            count, everything = page(0, 1_000_000)  # offset 0: read straight from the top
            assert len(set(everything)) == len(everything) == count > 15, name
            ascending = name.startswith(("patients", "all my patients"))
            assert everything == sorted(everything, reverse=not ascending), name
            for size in (5, 13):
                for offset in [*range(count - 1, 0, -(count // 9 + 1)), count - size, 1, 0]:
                    assert page(offset, size) == (count, everything[offset:offset + size]), (name, offset, size)
    finally:
        conn.close()
