"""How the page on show is filtered and sorted, on this machine only.

The server pages in its own order (patients by id) and has no search, so a filter or a sort
can only rearrange the rows already loaded; what the table shows says so, to keep anyone from
reading a sorted page as the whole organization sorted. The view holds across pages: the next
page comes sorted and filtered the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from jhe_tui.widgets.paged_table import Row


def _sort_key(cell: object) -> tuple[int, float, str]:
    """Numbers as numbers, text without case; empty cells last either way up."""
    text = str(cell).strip()
    if not text:
        return (1, 0.0, "")
    try:
        return (0, float(text), "")
    except ValueError:
        return (0, 0.0, text.casefold())


@dataclass
class PageView:
    """``columns``: the cell names, in ``Row.cells`` order; ``matches``: whether a row's item
    answers the typed words; ``server_order``: how the server sorts, in words."""

    columns: Sequence[str]
    matches: Callable[[object, list[str]], bool]
    server_order: str
    filter_text: str = ""
    # 0: the server's order; then column i ascending is 2i + 1, descending 2i + 2.
    sort_step: int = 0
    rows: list[Row] = field(default_factory=list)

    @property
    def sort_column(self) -> int | None:
        return None if self.sort_step == 0 else (self.sort_step - 1) // 2

    @property
    def descending(self) -> bool:
        return self.sort_step > 0 and self.sort_step % 2 == 0

    def step_sort(self, step: int) -> None:
        """One step through: server order, first column up, first column down, second up..."""
        self.sort_step = (self.sort_step + step) % (2 * len(self.columns) + 1)

    def shown(self) -> list[Row]:
        words = self.filter_text.casefold().split()
        rows = [row for row in self.rows if not words or self.matches(row.item, words)]
        column = self.sort_column
        if column is not None:
            filled = [r for r in rows if str(r.cells[column]).strip()]
            empty = [r for r in rows if not str(r.cells[column]).strip()]
            filled.sort(key=lambda r: _sort_key(r.cells[column]), reverse=self.descending)
            rows = filled + empty
        return rows

    def header(self, index: int) -> str:
        """Column ``index``'s title, with an arrow when the page is sorted by it."""
        if index != self.sort_column:
            return self.columns[index]
        return f"{self.columns[index]} {'▼' if self.descending else '▲'}"

    def describe(self, shown: int) -> str:
        parts = []
        if self.filter_text.strip():
            if shown:
                parts.append(f"{shown} of {len(self.rows)} on this page match “{self.filter_text.strip()}”")
            else:
                parts.append(f"No patient on this page matches “{self.filter_text.strip()}”; Escape in the box clears it")
        column = self.sort_column
        if column is not None:
            way = "▼" if self.descending else "▲"
            parts.append(f"this page only, by {self.columns[column]} {way} (the server pages by {self.server_order})")
        text = " · ".join(parts)
        return text[:1].upper() + text[1:] if text else ""
