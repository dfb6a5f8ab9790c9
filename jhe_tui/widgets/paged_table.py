"""A table that shows one server page at a time, with the web console's pager and more.

Organizations hold up to 100,000 patients, so rows are never all fetched: the table
asks its screen for a page (`PageRequested`) and shows what comes back. It also owns
the multi-selection, which survives paging (tick some on page 1, some on page 3, enroll
them together) and which the screen clears when the filter changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive, var
from textual.css.query import NoMatches
from textual.widgets import Input, Label, Select

from jhe_tui import privacy
from jhe_tui.api.text import counted
from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.loading import loading_after
from jhe_tui.widgets.row_table import RowTable
from jhe_tui.widgets.steady_text import set_text

PAGE_SIZES = (20, 100, 500, 1000)
PAGING = Binding.Group("Page")


TICKED, UNTICKED = "[x]", "[ ]"


def _mark(selected: bool) -> str:
    """A ticked box that reads without colour."""
    return TICKED if selected else UNTICKED


@dataclass(frozen=True)
class Row:
    """One table row; wrap a patient's name, e-mail, birth date or phone in ``Sensitive`` so
    privacy mode masks it."""

    key: str
    item: Any
    cells: tuple[str | Sensitive, ...]


class _Rows(RowTable):
    """A table with Enter described, so the footer, help and palette offer "Open", and Home/End
    on rows (the table's own scroll sideways, as a DataTable's do in row mode)."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", id="table.open", tooltip="Open the row under the cursor"),
        Binding("home", "scroll_top", "First row", show=False, id="table.first", tooltip="Go to the first row"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="table.last", tooltip="Go to the last row"),
    ]


class PagedTable(Vertical):
    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    PagedTable > RowTable { height: 1fr; }
    PagedTable > #pager { height: 1; margin: 0 1; }
    PagedTable > #pager > Label { padding: 0 1 0 0; }
    PagedTable > #pager > #page-input { width: 9; height: 1; border: none; padding: 0 1; }
    PagedTable > #pager > #page-size { width: 16; height: 1; }
    PagedTable > #pager > #page-size > SelectCurrent { border: none; height: 1; padding: 0 1; }
    PagedTable > #pager > #selection { color: $text-accent; }
    PagedTable > #pager > #page-count.waiting { color: $text-warning; }
    """

    BINDINGS = [
        Binding("n", "next_page", "Next page", group=PAGING, id="page.next", tooltip="Show the next page"),
        Binding("p", "previous_page", "Previous page", group=PAGING, id="page.previous", tooltip="Show the previous page"),
        Binding("g", "jump", "Go to page", show=False, id="page.jump", tooltip="Type a page number and press Enter"),
        Binding("z", "next_page_size", "Page size", show=False, id="page.size", tooltip="Cycle 20/100/500/1000 rows a page"),
        Binding("space", "toggle_row", "Select", id="select.toggle", tooltip="Select or unselect the row, then move down"),
        Binding("m", "toggle_page", "Select page", show=False, id="select.page", tooltip="Select or unselect every row on this page"),
        Binding("u", "untick_all", "Unselect all", show=False, id="select.none", tooltip="Unselect every selected row, on every page"),
        Binding("escape", "back", "Back to table", show=False, id="page.back",
                tooltip="Leave the page box, back to the rows; while a page loads, stop loading it"),
    ]

    page: reactive[int] = reactive(1, init=False)
    page_size: reactive[int] = reactive(PAGE_SIZES[0], init=False)
    # How many rows are on show: the screen's keys that act on a row follow it.
    rows_shown: var[int] = var(0, bindings=True)

    class PageRequested(Message):
        """The user asked for another page or page size; the screen loads it."""

        def __init__(self, table: PagedTable, page: int, page_size: int) -> None:
            super().__init__()
            self.table = table
            self.page = page
            self.page_size = page_size

        @property
        def control(self) -> PagedTable:
            return self.table

    class StopRequested(Message):
        """Escape while a page loads: the screen stops loading it (and calls ``stopped``)."""

        def __init__(self, table: PagedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable:
            return self.table

    class Opened(Message):
        """Enter on a row."""

        def __init__(self, table: PagedTable, item: Any) -> None:
            super().__init__()
            self.table = table
            self.item = item

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(self, columns: Sequence[str], *, noun: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._columns = ["", *columns]
        self._noun = noun
        self._rows: dict[str, Row] = {}
        self.count = 0
        self._shown_page = 0
        self.selected: dict[str, Any] = {}
        self.loading_page = False
        self._table: _Rows | None = None
        self._waiting_text = ""

    def compose(self) -> ComposeResult:
        yield (table := _Rows(self._columns, zebra_stripes=True, id="rows"))
        self._table = table
        with Horizontal(id="pager"):
            yield Label("Page")
            yield Input(str(self.page), id="page-input", type="integer", compact=True)
            yield Label("of 1", id="page-count")
            yield Select(
                [(f"{size} / page", size) for size in PAGE_SIZES],
                value=self.page_size,
                allow_blank=False,
                compact=True,
                id="page-size",
            )
            yield Label("", id="selection")

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Around the fetch of a page: the pager says when it is slow (and that Escape stops
        it). The rows on show stay readable meanwhile; only an empty table gets the indicator."""
        self.loading_page = True
        try:
            with loading_after(self.data_table, cover=not self._rows, say=self._say_wait):
                yield
        finally:
            self.loading_page = False

    def _say_wait(self, text: str) -> None:
        """While a page loads, the pager's count gives way to the wait (it fits at 80 columns)."""
        self._waiting_text = text
        self._update_count()  # not the page box: the user may be typing in it

    def stopped(self) -> None:
        """The page asked for was not loaded: the pager goes back to the page on show."""
        self.set_reactive(PagedTable.page, max(self._shown_page, 1))
        self._update_pager()

    def action_back(self) -> None:
        if self.loading_page:
            self.post_message(self.StopRequested(self))
        else:
            self.data_table.focus()

    def refresh_masks(self) -> None:
        """Re-render the rows privacy mode masks (it has just changed); nothing is fetched again."""
        self._update_cells(row for row in self._rows.values() if any(isinstance(cell, Sensitive) for cell in row.cells))

    def forget_rows(self) -> None:
        """Drop every row and selection from memory (the idle lock calls this)."""
        self._rows = {}
        self.selected.clear()
        self.data_table.clear()
        self.rows_shown = 0

    @property
    def data_table(self) -> RowTable:
        """The rows (kept, not looked up: every key asks the screen's checks, which read them)."""
        if self._table is None:
            raise NoMatches("the table is not composed yet")
        return self._table

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def cursor_item(self) -> Any | None:
        key = self.data_table.cursor_key
        return self._rows[key].item if key in self._rows else None

    def reset(self) -> None:
        """A new filter: back to page 1 with nothing selected (selection is per filter)."""
        self.selected.clear()
        self.set_reactive(PagedTable.page, 1)
        self._update_pager()

    def show_rows(self, rows: Iterable[Row], count: int, headers: Sequence[str] | None = None) -> None:
        """The page's rows (and, when given, new column titles after the selection mark). Each
        column takes the width this page needs: a DataTable's own widths only grow, so one long
        value (or a page of 1000) would keep a column wide, and push the last ones off screen,
        for every later page."""
        table = self.data_table
        # A reload of the same page keeps the cursor where the user was; a new page starts at the top.
        cursor = table.cursor_row if self.page == self._shown_page else 0
        self._shown_page = self.page
        self._rows = {row.key: row for row in rows}
        self.count = count
        masked = privacy.is_on(self)
        table.set_rows([(row.key, self._cells(row, masked)) for row in self._rows.values()], cursor,
                       None if headers is None else ["", *headers])
        self.rows_shown = len(self._rows)
        self._update_pager()

    def _cells(self, row: Row, masked: bool) -> list[str]:
        """The row as shown: its tick, then its cells, masked in privacy mode."""
        return [_mark(row.key in self.selected), *(privacy.shown(cell, masked) for cell in row.cells)]

    @property
    def shown_rows(self) -> list[Row]:
        return list(self._rows.values())

    def update_rows(self, rows: Iterable[Row]) -> None:
        """New cells for rows on show (a name that arrived after its page); the rest stays put."""
        changed = [row for row in rows if row.key in self._rows]
        self._rows.update((row.key, row) for row in changed)
        self._update_cells(changed)

    def _update_cells(self, rows: Iterable[Row]) -> None:
        """Redraw these rows on show."""
        masked = privacy.is_on(self)
        self.data_table.update_rows((row.key, self._cells(row, masked)) for row in rows)

    def _update_pager(self) -> None:
        self.query_one("#page-input", Input).value = str(self.page)
        self._update_count()
        chosen = len(self.selected)
        set_text(self.query_one("#selection", Label), f"· {chosen:,} selected" if chosen else "", one_line=True)

    def _update_count(self) -> None:
        count = self.query_one("#page-count", Label)
        total = counted(self.count, self._noun)
        # A short wait ("loading…") takes the count's width, so a flip does not lay the screen out
        # once when it starts loading and again when it ends.
        said = self._waiting_text.ljust(len(total)) if self._waiting_text else total
        set_text(count, f"of {self.pages:,} · {said}", one_line=True)
        count.set_class(bool(self._waiting_text), "waiting")

    def _request(self, page: int) -> None:
        self.set_reactive(PagedTable.page, page)
        self._update_pager()
        self.post_message(self.PageRequested(self, page, self.page_size))

    def action_next_page(self) -> None:
        if self.page < self.pages:
            self._request(self.page + 1)
        else:
            self.app.bell()

    def action_previous_page(self) -> None:
        if self.page > 1:
            self._request(self.page - 1)
        else:
            self.app.bell()

    def action_jump(self) -> None:
        self.query_one("#page-input", Input).focus()

    def action_next_page_size(self) -> None:
        index = PAGE_SIZES.index(self.page_size) if self.page_size in PAGE_SIZES else -1
        self.query_one("#page-size", Select).value = PAGE_SIZES[(index + 1) % len(PAGE_SIZES)]

    @on(Select.Changed, "#page-size")
    def _size_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, int) and event.value != self.page_size:
            self.set_reactive(PagedTable.page_size, event.value)
            self._request(1)

    @on(Input.Submitted, "#page-input")
    def _jump_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            page = int(event.value)
        except ValueError:
            page = 0
        if not 1 <= page <= self.pages:
            # Back to the page on show: a number left in the box would read as the page shown.
            event.input.value = str(self.page)
            self.notify(f"There are {self.pages:,} pages; type a number from 1 to {self.pages:,}.", severity="warning")
            return
        self.data_table.focus()
        if page != self.page:
            self._request(page)

    @on(RowTable.RowSelected, "#rows")
    def _row_selected(self, event: RowTable.RowSelected) -> None:
        event.stop()
        row = self._rows.get(event.row_key)
        if row is not None:
            self.post_message(self.Opened(self, row.item))

    def action_toggle_row(self) -> None:
        table = self.data_table
        key = table.cursor_key
        if key is None or key not in self._rows:
            return
        self._set_marks([key], key not in self.selected)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_toggle_page(self) -> None:
        keys = list(self._rows)
        self._set_marks(keys, not all(key in self.selected for key in keys))

    def action_untick_all(self) -> None:
        """Untick every row, on every page."""
        self._set_marks([key for key in self.selected if key in self._rows], False)
        self.selected.clear()
        self._update_pager()

    def _set_marks(self, keys: Iterable[str], on_: bool) -> None:
        keys = list(keys)
        for key in keys:
            if on_:
                self.selected[key] = self._rows[key].item
            else:
                self.selected.pop(key, None)
        self._update_cells(self._rows[key] for key in keys)
        self._update_pager()
