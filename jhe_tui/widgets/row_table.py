"""A table of one-line plain-text rows with a row cursor, painted a line at a time.

The paged lists (patients, observations, the follow-up desk, a study's roster) show a new page of
up to 1,000 rows at every flip. Textual's DataTable renders each visible cell through Rich and
caches it, which on a new page was most of the console's CPU for the flip; these rows are one line
of plain text each, so a line is only its cells padded or cut to their columns. It looks and reads
like a DataTable with a row cursor (the same component classes and rules, the same keys), so the
console's tables all read alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jhe_tui.api.text import visible

HEADER = -1  # the row index of the column titles, as in a DataTable


def _shown(cells: Sequence[str]) -> tuple[str, ...]:
    """The cells with anything that could drive the terminal shown as a mark: the text comes from
    servers and files, and a line is written to the terminal as it is (most cells pass the check)."""
    return tuple(cell if cell.isprintable() else visible(cell) for cell in cells)


class RowTable(ScrollView, can_focus=True):
    """Rows of text cells under a line of column titles; ``set_rows`` replaces them all."""

    # A DataTable's look, so that these tables and the console's other tables read alike.
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .datatable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .datatable--header { background-tint: $foreground 5%; }
        }
        &:dark > .datatable--even-row { background: $surface-darken-1 40%; }
        & > .datatable--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .datatable--header { background: ansi_bright_blue; color: ansi_default; }
        & > .datatable--even-row { background: $surface-lighten-1 50%; }
        & > .datatable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .datatable--hover { background: $block-hover-background; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "datatable--header", "datatable--even-row", "datatable--odd-row", "datatable--cursor", "datatable--hover",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Cursor right", show=False),
        Binding("left", "scroll_left", "Cursor left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "scroll_top", "Top", show=False),
        Binding("ctrl+end", "scroll_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor is on another row (or on the first row of new rows)."""

        def __init__(self, table: RowTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> RowTable:
            return self.table

    class RowSelected(RowHighlighted):
        """Enter on a row, or a click on the row under the cursor."""

    def __init__(self, labels: Sequence[str], *, zebra_stripes: bool = False, max_width: int | None = None,
                 id: str | None = None) -> None:
        """``max_width``: no column grows wider than this (its cells are cut), so one long value
        does not push the other columns off screen."""
        super().__init__(id=id)
        self.zebra_stripes = zebra_stripes
        self.max_width = max_width
        self._labels = _shown(labels)
        self._keys: list[str] = []
        self._cells: list[tuple[str, ...]] = []
        self._index: dict[str, int] = {}
        self._widths = [cell_len(label) for label in self._labels]
        self._cursor = 0
        self._hover = HEADER  # no row under the mouse
        self._styles: dict[str, Style] = {}
        self._lines: dict[tuple[int, bool, bool], Strip] = {}
        self._state: object = None

    # --- the rows -------------------------------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def widths(self) -> tuple[int, ...]:
        """Each column's width on screen, its padding included."""
        return tuple(width + 2 for width in self._widths)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor; None when there are no rows."""
        return self._keys[self._cursor] if self.is_valid_row_index(self._cursor) else None

    def is_valid_row_index(self, index: int) -> bool:
        return 0 <= index < len(self._keys)

    def get_row_at(self, index: int) -> tuple[str, ...]:
        return self._cells[index]

    def set_labels(self, labels: Sequence[str]) -> None:
        """New column titles; with another number of columns, the rows on show go too."""
        if len(labels) != len(self._labels):
            self._keys, self._cells, self._index, self._cursor = [], [], {}, 0
        self._labels = _shown(labels)
        self._measure()

    def set_rows(self, rows: Sequence[tuple[str, Sequence[str]]], cursor: int = 0,
                 labels: Sequence[str] | None = None) -> None:
        """Show these rows (key, cells) instead of the ones on show, under new column titles when
        given, the cursor on row ``cursor`` (kept in range) and the view scrolled back to the top
        left, as a new page should be."""
        if labels is not None:
            self._labels = _shown(labels)
        self._keys = [key for key, _ in rows]
        self._cells = [_shown(cells) for _, cells in rows]
        self._index = {key: index for index, key in enumerate(self._keys)}
        self._cursor = min(max(cursor, 0), max(len(self._keys) - 1, 0))
        self._hover = HEADER
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._measure()
        if self._keys:
            self.call_after_refresh(self._scroll_cursor_into_view)  # once the new size is laid out
            self.post_message(self.RowHighlighted(self, self._cursor, self._keys[self._cursor]))

    def clear(self) -> None:
        self.set_rows([])

    def update_rows(self, rows: Iterable[tuple[str, Sequence[str]]]) -> None:
        """New cells for rows on show (key, cells): a name that arrived late, a tick; the columns
        widen or narrow to fit."""
        for key, cells in rows:
            self._cells[self._index[key]] = _shown(cells)
        self._measure()

    def _measure(self) -> None:
        """Each column as wide as its widest cell or title, so one page's long value does not keep
        a column wide for every later page."""
        widths = [cell_len(label) for label in self._labels]
        for cells in self._cells:
            widths = [max(width, cell_len(cell)) for width, cell in zip(widths, cells, strict=True)]
        if self.max_width is not None:
            widths = [min(width, self.max_width) for width in widths]
        self._widths = widths
        self._lines.clear()
        self.virtual_size = Size(sum(width + 2 for width in widths), len(self._keys) + 1)
        self.refresh()

    # --- the cursor -----------------------------------------------------------------------------

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        if not self._keys:
            return
        row = min(max(row, 0), len(self._keys) - 1)
        self._set_hover(HEADER)  # the keyboard takes over from the mouse
        if row != self._cursor:
            old, self._cursor = self._cursor, row
            self._refresh_row(old)
            self._refresh_row(row)
            self.post_message(self.RowHighlighted(self, row, self._keys[row]))
        if scroll:
            self._scroll_cursor_into_view()

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # below the titles

    def _scroll_cursor_into_view(self) -> None:
        row = Region(int(self.scroll_x), self._cursor + 1, max(self.size.width, 1), 1)
        self.scroll_to_region(row, animate=False, spacing=Spacing(1, 0, 0, 0), force=True, immediate=True)

    @property
    def _rows_in_view(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - self._rows_in_view)

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + self._rows_in_view)

    def action_scroll_top(self) -> None:
        self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def action_scroll_home(self) -> None:
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        self.scroll_x = self.max_scroll_x

    def action_select_cursor(self) -> None:
        if self._keys:
            self.post_message(self.RowSelected(self, self._cursor, self._keys[self._cursor]))

    def _row_at(self, event: events.MouseEvent) -> int | None:
        row = event.style.meta.get("row") if event.style else None
        return row if isinstance(row, int) and self.is_valid_row_index(row) else None

    def on_click(self, event: events.Click) -> None:
        row = self._row_at(event)
        if row is None:
            return
        event.stop()
        if row == self._cursor:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        row = self._row_at(event)
        self._set_hover(HEADER if row is None else row)

    def on_leave(self, _: events.Leave) -> None:
        self._set_hover(HEADER)

    def _set_hover(self, row: int) -> None:
        if row != self._hover:
            old, self._hover = self._hover, row
            for index in (old, row):
                if index != HEADER:
                    self._refresh_row(index)

    # --- painting -------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_lines()

    def _forget_lines(self) -> None:
        self._lines.clear()
        self._styles.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        # A flip may paint the table more than once: lines are kept until the rows, the widths,
        # the size, the scroll or the styles change (the styles are read again only then).
        state = (self.get_pseudo_class_state(), self.size.width, self.scroll_x)
        if state != self._state:
            self._state = state
            self._forget_lines()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = HEADER if y == 0 else y - 1 + int(self.scroll_y)
        key = (index, index == self._cursor, index == self._hover)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = self._paint(index)
        return line

    def _read_styles(self) -> dict[str, Style]:
        styles = {name: self.get_component_styles(name).rich_style
                  for name in ("datatable--header", "datatable--even-row", "datatable--odd-row")}
        styles.update({name: self.get_component_rich_style(name) for name in ("datatable--cursor", "datatable--hover")})
        styles["base"] = self.rich_style
        return styles

    def _paint(self, index: int) -> Strip:
        if not self._styles:
            self._styles = self._read_styles()
        width, scroll_x = self.size.width, int(self.scroll_x)
        base = self._styles["base"]
        if index >= len(self._keys):
            return Strip.blank(width, base)
        if index == HEADER:
            style, cells = self._styles["datatable--header"], self._labels
        else:
            style, cells = self._row_style(index, base), self._cells[index]
        # Each cell carries its row in its style, as a DataTable's do: clicks and hovers read it.
        segments = [Segment(f" {set_cell_size(cell, cell_width)} ", style + Style.from_meta({"row": index, "column": column}))
                    for column, (cell, cell_width) in enumerate(zip(cells, self._widths, strict=True))]
        table_width = self.virtual_size.width
        if width > table_width:
            segments.append(Segment(" " * (width - table_width),
                                    style + Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})))
        line = Strip(segments, max(width, table_width))
        return line.crop(scroll_x, scroll_x + width).adjust_cell_length(width, base).simplify()

    def _row_style(self, index: int, base: Style) -> Style:
        style = self._styles["datatable--odd-row" if index % 2 else "datatable--even-row"] if self.zebra_stripes else base
        if index == self._hover:
            style += self._styles["datatable--hover"]
        if index == self._cursor:
            style += self._styles["datatable--cursor"]
        return style
