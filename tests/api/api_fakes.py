"""A tiny fake JHE for unit tests: canned answers per (method, path) and a log of requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jhe_tui.api import Generation, JheClient, MockTransport, RetryPolicy
from jhe_tui.api.http import Request, Response

Answer = Response | Callable[[Request], Response]


class FakeJhe:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> FakeJhe:
        """Answer the next requests in order; the last answer repeats."""
        self.routes[(method, path)] = list(answers)
        return self

    def json(self, method: str, path: str, payload: Any, status: int = 200) -> FakeJhe:
        return self.on(method, path, Response(status, json=payload))

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if not answers:
            raise AssertionError(f"unexpected request {request.method} {request.url.path}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer

    def sent(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if (r.method, r.url.path) == (method, path)]

    def body(self, method: str, path: str) -> Any:
        (request,) = self.sent(method, path)
        return json.loads(request.content)


async def no_sleep(_delay: float) -> None:
    return None


def make_client(fake: FakeJhe, generation: Generation | None = Generation.CURRENT, **kwargs: Any) -> JheClient:
    kwargs.setdefault("retry", RetryPolicy(sleep=no_sleep))
    return JheClient("http://jhe.test", "t0ken", transport=MockTransport(fake), generation=generation, **kwargs)


def patient_json(patient_id: int, organization_ids: list[int], **fields: Any) -> dict:
    return {
        "id": patient_id,
        "jheUserId": patient_id - 30000,
        "identifiers": [],
        "nameFamily": "Smith",
        "nameGiven": "John",
        "birthDate": "1980-01-01",
        "telecomEmail": "john.smith@example.com",
        "organizations": [{"id": o, "name": f"Org {o}", "type": "edu"} for o in organization_ids],
        **fields,
    }


def page_json(items: list, next_url: str | None = None, count: int | None = None) -> dict:
    return {"count": len(items) if count is None else count, "next": next_url, "previous": None, "results": items}
