"""What Textual's own DataTable costs for a page flip, with no jhe-tui code at all: the floor under
the console's CPU per flip (``bench_console.py``).

A bare app holds one DataTable with the patient list's seven columns at the console's size; each
flip clears it, adds 100 rows of ``Text`` cells shaped like the patient list's, and lets the app
paint. CPU time of this process per flip, median after two warm-up flips. If this floor is near
issue 20's 50 ms target, the target cannot be met with DataTable whatever the console does.

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

COLUMNS = ("ID", "External ID", "Family name", "Given name", "Birth date", "Phone", "E-mail")


def page(number: int, rows: int) -> list[list[Text]]:
    first = 40000 + number * rows
    return [[Text(str(first + i)), Text(f"MRN-{first + i:07d}"), Text("Hernandez"), Text("Gabriel"),
             Text("1980-01-01"), Text("+1-555-000-0000"), Text(f"person{first + i}@example.org")]
            for i in range(rows)]


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)


async def measure(flips: int, rows: int, size: tuple[int, int]) -> list[float]:
    pages = [page(n, rows) for n in range(flips + 2)]
    app = Bare()
    spent: list[float] = []
    async with app.run_test(size=size) as pilot:
        table = app.query_one(DataTable)
        for rows_of_page in pages:
            start = time.process_time()
            table.clear()
            table.add_rows(rows_of_page)
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
    spent = asyncio.run(measure(args.flips, args.rows, (width, height)))
    print(f"bare DataTable, {args.rows} rows a flip at {width}x{height}, {len(spent)} flips "
          f"(load average {os.getloadavg()[0]:.1f}):")
    print(f"  CPU per flip: median {statistics.median(spent):.0f} ms, "
          f"min {min(spent):.0f} ms, max {max(spent):.0f} ms [issue 20 target for the console: 50 ms]")


if __name__ == "__main__":
    main()
