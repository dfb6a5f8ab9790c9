"""Values over time in the terminal: bars on a time axis plus the figures that matter (min, median,
max).

Each column is an equal slice of the chosen date range holding the median of its readings, and a
slice without readings stays empty, so a patient who stopped sending shows as a gap, not as a
squeezed line. Block characters need no extra dependency and read over SSH at any colour depth;
the numbers above carry the meaning, so bar heights are never the only way to read the data.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from jhe_tui.api.omh import OmhValue, format_number
from jhe_tui.widgets.clock import utc_text


@dataclass(frozen=True)
class Series:
    name: str  # "systolic", "blood glucose"
    unit: str
    points: Sequence[tuple[datetime, float]]  # oldest first

    def summary(self) -> str:
        values = [v for _, v in self.points]
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.name}: min {format_number(min(values))}{unit} · median "
            f"{format_number(round(statistics.median(values), 2))}{unit} · max {format_number(max(values))}{unit}"
            f" · {len(values):,} readings"
        )


def series_of(readings: Sequence[tuple[datetime, OmhValue]]) -> list[Series]:
    """One series per quantity the readings hold (systolic and diastolic for blood pressure), oldest first."""
    readings = sorted(readings, key=lambda reading: reading[0])
    unit = next((value.unit for _, value in readings if value.unit), "") or ""
    keys = list(dict.fromkeys(key for _, value in readings for key in value.values))
    return [
        Series(key.replace("_", " "), unit, [(when, value.values[key]) for when, value in readings if key in value.values])
        for key in keys
    ]


BLOCKS = " ▁▂▃▄▅▆▇█"


def buckets(points: Sequence[tuple[datetime, float]], start: datetime, end: datetime, width: int) -> list[float | None]:
    """The median reading of each of ``width`` equal time slices of [start, end]; None where empty."""
    span = (end - start).total_seconds() or 1.0
    slots: list[list[float]] = [[] for _ in range(width)]
    for moment, value in points:
        index = int((moment - start).total_seconds() / span * width)
        slots[min(max(index, 0), width - 1)].append(value)
    return [statistics.median(slot) if slot else None for slot in slots]


def bar_rows(values: Sequence[float | None], height: int) -> list[str]:
    """Rows of block characters, top first; the lowest value still gets a sliver, gaps stay blank."""
    present = [v for v in values if v is not None]
    if not present:
        return [" " * len(values)] * height
    low, high = min(present), max(present)
    spread = (high - low) or 1.0
    eighths = [None if v is None else 1 + round((v - low) / spread * (height * 8 - 1)) for v in values]
    rows = []
    for row in range(height - 1, -1, -1):
        floor = row * 8
        rows.append("".join(" " if e is None else BLOCKS[min(max(e - floor, 0), 8)] for e in eighths))
    return rows


class ChartModal(ModalScreen[None]):
    DEFAULT_CSS = """
    ChartModal .bars { height: auto; margin: 0 0 0 0; }
    ChartModal .series-name { text-style: bold; }
    """
    BINDINGS = [Binding("escape,c", "close", "Close chart", id="chart.close", tooltip="Back to the observations")]

    WIDTH = 84
    HEIGHT = 5

    def __init__(
        self, title: str, series: Sequence[Series], span: str,
        start: datetime | None = None, end: datetime | None = None,
    ) -> None:
        super().__init__()
        self._title = title
        self._series = [s for s in series if s.points]
        self._span = span
        moments = [m for s in self._series for m, _ in s.points]
        self._start = start or (min(moments) if moments else None)
        self._end = end or (max(moments) if moments else None)

    @classmethod
    def of_readings(cls, title: str, readings: Sequence[tuple[datetime, OmhValue]], since: date | None,
                    until: date | None, capped: bool) -> ChartModal:
        """The chart of ``readings`` over the days chosen (else from the first reading to the last)."""
        span = (f"From {since or 'the first reading'} to {until or 'the last reading'}."
                + (f" Only the newest {len(readings):,} readings are drawn." if capped else ""))
        start = datetime.combine(since, datetime.min.time(), UTC) if since else None
        end = datetime.combine(until, datetime.max.time(), UTC) if until else None
        return cls(title, series_of(readings), span, start, end)

    def compose(self) -> ComposeResult:
        width = max(20, min(self.WIDTH, self.app.size.width - 8))  # the dialog's inner width
        with Vertical(id="dialog", classes="dialog wide chart"):
            yield Label(self._title, classes="dialog-title", markup=False)
            if not self._series:
                yield Static("No numeric readings in this range.", classes="dialog-line", markup=False)
            for series in self._series:
                assert self._start is not None and self._end is not None
                yield Static(series.summary(), classes="series-name", markup=False)
                columns = buckets(series.points, self._start, self._end, width)
                yield Static("\n".join(bar_rows(columns, self.HEIGHT)), classes="bars", markup=False)
                left, right = f"{utc_text(self._start)} UTC", f"{utc_text(self._end)} UTC"
                yield Static(left + right.rjust(width - len(left)), classes="dialog-hint", markup=False)
            if self._series:
                yield Static("Each column is a slice of the range (median of its readings); blank: no readings.",
                             classes="dialog-hint", markup=False)
            yield Static(self._span, classes="dialog-hint", markup=False)
            yield Label("Escape closes the chart", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
