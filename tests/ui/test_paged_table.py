"""PagedTable on its own: cells that change after the page was painted."""

from __future__ import annotations

from textual.app import App, ComposeResult

from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.paged_table import PagedTable, Row


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
