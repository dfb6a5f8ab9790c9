"""The paged lists' table (widgets/row_table.py): it reads like a DataTable with a row cursor,
line for line and colour for colour, and keeps its keys, clicks and messages."""

from __future__ import annotations

from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from jhe_tui.widgets.row_table import RowTable

LABELS = ("", "ID", "Family name", "E-mail")


def rows(count: int, first: int = 40000, family: str = "Hernandez") -> list[tuple[str, list[str]]]:
    return [(str(first + i), ["[ ]", str(first + i), family, f"person{first + i}@example.org"]) for i in range(count)]


class Tables(App[None]):
    """A RowTable, and beside it (when asked) a DataTable holding the same rows."""

    CSS = "RowTable, DataTable { height: 1fr; }"

    def __init__(self, with_datatable: bool = False) -> None:
        super().__init__()
        self.with_datatable = with_datatable
        self.messages: list[tuple[str, int, str]] = []

    def compose(self) -> ComposeResult:
        yield RowTable(LABELS, zebra_stripes=True, id="rows")
        if self.with_datatable:
            yield DataTable(cursor_type="row", zebra_stripes=True, id="data")

    def on_row_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        self.messages.append(("highlighted", event.cursor_row, event.row_key))

    def on_row_table_row_selected(self, event: RowTable.RowSelected) -> None:
        self.messages.append(("selected", event.cursor_row, event.row_key))


def plain(strip) -> list[tuple[str, Style | None]]:
    """A painted line's text and colours, without the mouse metadata."""
    return [(segment.text, segment.style and Style(color=segment.style.color, bgcolor=segment.style.bgcolor,
                                                 bold=segment.style.bold))
            for segment in strip.simplify()]


def painted(widget, width: int, height: int) -> list[list[tuple[str, Style | None]]]:
    """Each line's characters with their colours (one entry per cell, so runs compare alike)."""
    lines = []
    for strip in widget.render_lines(Region(0, 0, width, height)):
        lines.append([(char, style) for text, style in plain(strip) for char in text])
    return lines


async def test_it_paints_what_a_datatable_paints():
    app = Tables(with_datatable=True)
    async with app.run_test(size=(70, 24)) as pilot:
        table, data = app.query_one(RowTable), app.query_one(DataTable)
        data.add_columns(*LABELS)
        for key, cells in rows(30):
            data.add_row(*cells, key=key)
        table.set_rows(rows(30))
        table.move_cursor(row=3)
        data.move_cursor(row=3)
        await pilot.pause()
        width, height = table.size
        assert (width, height) == data.size and height > 4
        table.focus()
        await pilot.pause()
        ours_focused, theirs_blurred = painted(table, width, height), painted(data, width, height)
        data.focus()
        await pilot.pause()
        ours_blurred, theirs_focused = painted(table, width, height), painted(data, width, height)
        assert "".join(char for char, _ in ours_focused[0]).split() == ["ID", "Family", "name", "E-mail"]
        assert ours_focused != ours_blurred  # the cursor and the tint follow the focus
        assert ours_focused == theirs_focused and ours_blurred == theirs_blurred


async def focused_with(pilot, count: int) -> RowTable:
    """The app's RowTable, holding ``count`` rows, focused and painted."""
    table = pilot.app.query_one(RowTable)
    table.set_rows(rows(count))
    table.focus()
    await pilot.pause()
    return table


async def test_keys_move_the_cursor_and_say_which_row():
    app = Tables()
    async with app.run_test(size=(70, 12)) as pilot:
        table = await focused_with(pilot, 50)
        assert app.messages == [("highlighted", 0, "40000")]
        await pilot.press("down", "down", "up")
        assert table.cursor_row == 1 and app.messages[-1] == ("highlighted", 1, "40001")
        await pilot.press("pagedown")
        in_view = table.scrollable_content_region.height - 1  # below the titles
        assert table.cursor_row == 1 + in_view
        await pilot.pause()
        assert table.scroll_y > 0 and table.cursor_row - table.scroll_y < in_view  # the cursor is on screen
        await pilot.press("ctrl+end")
        assert table.cursor_row == 49 and table.cursor_key == "40049"
        await pilot.press("down")  # already on the last row: nothing moves, nothing is said
        assert table.cursor_row == 49 and app.messages[-1] == ("highlighted", 49, "40049")
        await pilot.press("pageup", "ctrl+home", "enter")
        assert table.cursor_row == 0 and app.messages[-1] == ("selected", 0, "40000")


async def test_a_click_moves_the_cursor_and_a_second_click_opens():
    app = Tables()
    async with app.run_test(size=(70, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(5))
        await pilot.pause()
        await pilot.click(RowTable, offset=(4, 3))  # the third row, under the titles
        assert table.cursor_row == 2 and app.messages[-1] == ("highlighted", 2, "40002")
        await pilot.click(RowTable, offset=(4, 3))
        assert app.messages[-1] == ("selected", 2, "40002")
        before = list(app.messages)
        await pilot.click(RowTable, offset=(4, 0))  # the titles: nothing
        assert app.messages == before and table.cursor_row == 2


async def test_the_row_under_the_mouse_is_marked_until_a_key_is_pressed():
    app = Tables()
    async with app.run_test(size=(70, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(6))
        table.move_cursor(row=5)
        await pilot.hover(RowTable, offset=(4, 2))  # the second row (index 1)
        await pilot.pause()
        elsewhere = painted(table, *table.size)
        await pilot.hover(RowTable, offset=(4, 4))  # the fourth row (index 3), the same stripe
        await pilot.pause()
        hovered = painted(table, *table.size)
        colours = [[style for _, style in line] for line in hovered]
        assert hovered[4] != elsewhere[4] and hovered[3] == elsewhere[3]
        assert colours[2] == [style for _, style in elsewhere[4]]  # the row left is unmarked
        await pilot.press("up")  # the keyboard takes over: the mark goes
        assert painted(table, *table.size)[4] == elsewhere[4]


async def test_columns_fit_each_page_and_new_cells_widen_them():
    app = Tables()
    async with app.run_test(size=(70, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(3, family="Featherstonehaugh-Wolfeschlegel"))
        wide = table.widths
        table.set_rows(rows(3, family="Li"))
        assert table.widths[2] == 2 + len("Family name") < wide[2]  # the title is the widest now
        table.update_rows([("40001", ["[x]", "40001", "Montgomery-Smythe", "x@example.org"])])
        assert table.widths[2] == 2 + len("Montgomery-Smythe") and table.get_row_at(1)[0] == "[x]"
        await pilot.pause()
        line = "".join(char for char, _ in painted(table, *table.size)[2])
        assert line.startswith(" [x]  40001  Montgomery-Smythe  x@example.org ")


async def test_wide_rows_scroll_sideways_and_cells_are_cut_to_their_column():
    app = Tables()
    async with app.run_test(size=(30, 8)) as pilot:
        table = await focused_with(pilot, 3)
        assert table.virtual_size.width > table.size.width
        first = "".join(char for char, _ in painted(table, *table.size)[1])
        await pilot.press("right", "right")
        await pilot.pause()
        moved = "".join(char for char, _ in painted(table, *table.size)[1])
        assert table.scroll_x > 0 and moved != first and moved.strip() in first + moved
        await pilot.press("home")
        await pilot.pause()
        assert table.scroll_x == 0


async def test_other_titles_with_another_count_drop_the_rows():
    app = Tables()
    async with app.run_test(size=(70, 12)):
        table = app.query_one(RowTable)
        table.set_rows(rows(3))
        table.set_labels(["", "ID", "Family name", "E-mail address"])  # the same columns, retitled
        assert table.row_count == 3 and table.labels[3] == "E-mail address"
        table.set_labels(["", "ID", "Patient", "Status", "Last data"])  # another study's roster
        assert table.row_count == 0 and table.cursor_key is None and table.widths == (2, 4, 9, 8, 11)


async def test_text_that_could_drive_the_terminal_is_shown_as_marks():
    app = Tables()
    async with app.run_test(size=(70, 8)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows([("1", ["[ ]", "1", "Evil\x1b]52;c;AAAA\x07", "x@example.org\x9b2J"])])
        table.update_rows([("1", ["[ ]", "1", "Evil\x1b]52;c;AAAA\x07", "\rspoofed"])])
        await pilot.pause()
        painted_text = "".join(strip.text for strip in table.render_lines(Region(0, 0, *table.size)))
        assert not any(ord(char) < 32 or 0x7f <= ord(char) < 0xa0 for char in painted_text)
        assert "Evil" in painted_text and "spoofed" in painted_text
