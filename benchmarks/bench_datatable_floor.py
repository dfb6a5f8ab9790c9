"""What a table costs for a page flip with no other console code: Textual's own DataTable against
the console's RowTable (``jhe_tui/widgets/row_table.py``), the floor under the console's CPU per
flip (``bench_console.py``).

A bare app holds one table with the patient list's eight columns (the tick, then seven) at the
console's size; each flip replaces its rows with 100 new ones shaped like the patient list's and
lets the app paint. CPU time of this process per flip, median after two warm-up flips. The
DataTable's floor (about the whole of issue 20's 50 ms target) is why the paged lists do not use it.

    python benchmarks/bench_datatable_floor.py [--flips 20] [--rows 100] [--size 120x35]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from jhe_tui.widgets.row_table import RowTable

COLUMNS = ("", "ID", "External ID", "Family name", "Given name", "Birth date", "Phone", "E-mail")


def page(number: int, rows: int) -> list[list[str]]:
    first = 40000 + number * rows
    return [["[ ]", str(first + i), f"MRN-{first + i:07d}", "Hernandez", "Gabriel", "1980-01-01", "+1-555-000-0000",
             f"person{first + i}@example.org"] for i in range(rows)]


class Bare(App[None]):
    CSS = "RowTable { height: 1fr; }"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        if self.kind == "DataTable":
            table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns(*COLUMNS)
            yield table
        else:
            yield RowTable(COLUMNS, zebra_stripes=True)


async def measure(kind: str, flips: int, rows: int, size: tuple[int, int]) -> list[float]:
    pages = [page(n, rows) for n in range(flips + 2)]
    app = Bare(kind)
    spent: list[float] = []
    async with app.run_test(size=size) as pilot:
        for number, rows_of_page in enumerate(pages):
            start = time.process_time()
            if kind == "DataTable":
                table = app.query_one(DataTable)
                table.clear()
                table.add_rows([[Text(cell) for cell in row] for row in rows_of_page])
            else:
                app.query_one(RowTable).set_rows([(f"{number}-{i}", row) for i, row in enumerate(rows_of_page)])
            await pilot.pause()  # the refresh the new rows asked for
            await pilot.pause()  # and the paint after it
            spent.append((time.process_time() - start) * 1000)
    return spent[2:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--size", default="120x35")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    print(f"{args.rows} rows a flip at {width}x{height}, {args.flips} flips (load average {os.getloadavg()[0]:.1f}):")
    for kind in ("DataTable", "RowTable"):
        spent = asyncio.run(measure(kind, args.flips, args.rows, (width, height)))
        print(f"  {kind:9} CPU per flip: median {statistics.median(spent):.0f} ms, "
              f"min {min(spent):.0f} ms, max {max(spent):.0f} ms [issue 20 target for the whole console: 50 ms]")


if __name__ == "__main__":
    main()
