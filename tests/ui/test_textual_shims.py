"""Each workaround in ``jhe_tui.textual_shims`` has a test here that shows the Textual bug on plain
Textual and fails once upstream fixes it: then the workaround can go."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable


class MembersApp(App[None]):
    def __init__(self, table: type[DataTable[Text]]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        table = self.table()
        table.add_columns("Name", "Role")
        yield table


async def replaced_row_as_shown(table_class: type[DataTable[Text]]) -> str:
    """A row that replaces a painted one, as the members of the next organization replace the
    last one's, painted once before the table measures its columns (as on a terminal): the row
    as shown afterwards."""
    app = MembersApp(table_class)
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(DataTable)
        table.add_row(Text("Sam"), Text("x"))
        await pilot.pause()
        table.clear()
        table.add_row(Text("Morgan Reyes"), Text("manager"))
        table.render_line(1)
        await pilot.pause()
        return table.render_line(1).text


async def test_a_plain_datatable_still_cuts_rows_painted_before_it_measured_them():
    """Textual issue #3533, the reason for ``RemeasuredDataTable``. When this fails, Textual has
    fixed it: drop ``RemeasuredDataTable`` (``ConsoleTable`` can be a plain DataTable)."""
    shown = await replaced_row_as_shown(DataTable)
    assert "Morgan Reyes" not in shown and "Morg" in shown, "Textual has fixed issue #3533"
