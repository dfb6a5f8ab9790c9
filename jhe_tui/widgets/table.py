"""The console's DataTable: every table of every screen is one of these, so a table workaround
reaches them all at once.

Today that is Textual issue #3533 (see ``jhe_tui.textual_shims``): rows that arrive after their
table was painted would otherwise stay cut at the old column widths, "Brown, Aisha" showing as
"Brown,", until something else repaints them.
"""

from __future__ import annotations

from textual.widgets.data_table import CellType

from jhe_tui.textual_shims import RemeasuredDataTable


class ConsoleTable(RemeasuredDataTable[CellType]):
    """A DataTable with the console's table workarounds."""
