"""The console's DataTable: every table of every screen is one of these.

Textual measures a table's columns when the table is next idle, after a paint may already have
cached rows at the old widths, and the cache keys do not change with the widths (Textual issue
#3533). Rows that arrive after their table was painted (a page of names, a new organization's
members) then stay cut, "Brown, Aisha" showing as "Brown,", until something else repaints them.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets.data_table import CellType, RowKey


class ConsoleTable(DataTable[CellType]):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()  # repaint at the widths just measured
