"""The recorded exchanges with real JHE servers (``shared/jhe/recorded``), as test fixtures.

The shared directory sits beside the repository (``../shared``), both here and in CI.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jhe_tui.api import Generation

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = {"jhe-v0.0.7.jsonl": Generation.LEGACY, "jhe-v0.0.13.jsonl": Generation.CURRENT}
# shared/ beside the repository is the source; a copy kept in the repository (admin exchanges
# included) is the fallback, for a checkout that has no shared/ beside it.
_CANDIDATES = [REPO_ROOT.parent / "shared" / "jhe" / "recorded", REPO_ROOT / "tests" / "fixtures" / "recorded"]
RECORDED_DIR = next((d for d in _CANDIDATES if all((d / f).exists() for f in RECORDINGS)), _CANDIDATES[0])
MISSING_REASON = f"recorded JHE exchanges not found at {RECORDED_DIR} (the shared/ directory beside the repo)"


@dataclass(frozen=True)
class Exchange:
    version: str
    generation: Generation
    n: int
    label: str
    actor: str
    method: str
    path: str  # without the query string
    query: tuple[tuple[str, str], ...]
    request_body: Any  # parsed JSON, the raw text for form bodies, or None
    status: int
    content_type: str
    body: str

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-")[:50]
        return f"{self.version}-{self.n:03d}-{slug}"

    @property
    def json(self) -> Any:
        if "json" not in self.content_type or not self.body:
            return None
        return json.loads(self.body)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)


def _parse_body(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


ADMIN_RECORDINGS = {"jhe-v0.0.7-admin.jsonl": Generation.LEGACY, "jhe-v0.0.13-admin.jsonl": Generation.CURRENT}


def load_exchanges(recordings: dict[str, Generation] = RECORDINGS) -> list[Exchange]:
    """Every exchange of both recordings, in file order; [] when the shared directory is absent."""
    exchanges = []
    for filename, generation in recordings.items():
        path = RECORDED_DIR / filename
        if not path.exists():
            return []
        version = filename.removeprefix("jhe-").removesuffix(".jsonl").removesuffix("-admin")
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            url = urlsplit(raw["path"])
            exchanges.append(
                Exchange(
                    version=version,
                    generation=generation,
                    n=raw["n"],
                    label=raw["label"],
                    actor=raw["actor"],
                    method=raw["method"],
                    path=url.path,
                    query=tuple(parse_qsl(url.query, keep_blank_values=True)),
                    request_body=_parse_body(raw["request_body"]),
                    status=raw["status"],
                    content_type=raw["content_type"] or "",
                    body=raw["body"] or "",
                )
            )
    return exchanges


def find(exchanges: list[Exchange], generation: Generation, label: str) -> Exchange:
    """The first exchange of that generation with exactly that label."""
    return next(e for e in exchanges if e.generation is generation and e.label == label)
