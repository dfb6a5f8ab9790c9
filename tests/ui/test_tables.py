"""The console's tables on their own: rows and cells that change after the table was painted."""

from __future__ import annotations

import re
from pathlib import Path

from textual.app import App, ComposeResult

from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.paged_table import PagedTable, Row
from jhe_tui.widgets.table import ConsoleTable
from tests.ui.test_textual_shims import replaced_row_as_shown


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PagedTable(("ID", "Patient"), noun="observation")


def _painted(table: PagedTable) -> list[str]:
    data = table.data_table
    return [data.render_line(y).text for y in range(data.row_count + 1)]


async def test_a_name_that_arrives_after_the_page_was_painted_widens_its_column():
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(PagedTable)
        table.show_rows([Row(str(i), i, (str(i), str(40000 + i))) for i in range(1, 4)], count=3)
        await pilot.pause()
        table.data_table.move_cursor(row=1)
        await pilot.press("space")  # selects row 2, cursor to row 3
        assert "40002" in _painted(table)[2]  # painted before the names are known, as on a terminal
        named = [Row(r.key, r.item, (r.cells[0], Sensitive("Brown, Aisha", "name", f" ({r.cells[1]})")))
                 for r in table.shown_rows]
        table.update_rows(named[:2])
        _painted(table)  # a paint may come before the table's idle-time measuring, as on a terminal
        await pilot.pause()
        lines = _painted(table)
        assert "Brown, Aisha (40001)" in lines[1] and "[x]" in lines[2] and "Brown, Aisha (40002)" in lines[2]
        assert lines[3].split()[2:] == ["3", "40003"]
        assert table.data_table.cursor_row == 2 and list(table.selected) == ["2"]


def _layouts(app: App[None]) -> list[object]:
    """Each layout of the screen from now on (Textual publishes one signal per layout)."""
    laid_out: list[object] = []
    app.screen.screen_layout_refresh_signal.subscribe(app.screen, laid_out.append)
    return laid_out


def _page(first: int) -> list[Row]:
    return [Row(str(i), i, (str(i), f"Brown, Aisha ({i})")) for i in range(first, first + 5)]


async def test_a_flip_lays_the_screen_out_only_when_a_width_changes():
    """The pager's labels and the rows' widths keep their size from page to page: a flip is a
    repaint of the rows, not a layout of the screen (each cost as much as the new rows' paint)."""
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(PagedTable)
        table.show_rows(_page(40001), count=5000)
        await pilot.pause()
        laid_out = _layouts(app)
        table.show_rows(_page(40006), count=5000)
        await pilot.pause()
        assert laid_out == [] and "40006" in _painted(table)[1]
        with table.waiting():
            table._say_wait("loading…")  # what a slow page says after a moment
            await pilot.pause()
            assert "loading…" in str(table.query_one("#page-count").content) and laid_out == []
        await pilot.pause()
        table.show_rows([Row("1", 1, ("1", "Featherstonehaugh-Wolfeschlegel, Hubert (1)"))], count=5000)
        await pilot.pause()
        assert len(laid_out) == 1  # a wider column: the scroll bars may change, so the screen is laid out


async def test_rows_that_replace_a_painted_table_get_their_width():
    """As the members of the next organization replace the last one's."""
    assert (await replaced_row_as_shown(ConsoleTable)).split() == ["Morgan", "Reyes", "manager"]


def test_every_table_of_the_console_is_a_console_table():
    """A plain DataTable would bring back the cut cells of Textual issue #3533: only the shim that
    works around it builds on DataTable itself."""
    package = Path(__file__).parents[2] / "jhe_tui"
    built = {path.name for path in package.rglob("*.py") if re.search(r"\bDataTable\(|\(DataTable\[", path.read_text())}
    assert built == {"textual_shims.py"}
