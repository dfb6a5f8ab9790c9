"""Values over time in the terminal: the figures that matter (min, median, max), then a line chart
with dated and valued axes (``jhe_tui.widgets.plot``), every quantity of the data type together
(systolic and diastolic) beside the usual reference values (140/90 mmHg, 70-180 mg/dL).

Without colour (``NO_COLOR``) or with only 16 colours, lines of one colour on another would not
tell the series apart, so each series gets its own rows of block bars instead: each column an equal
slice of the date range holding the median of its readings, a slice without readings left empty,
so a patient who stopped sending shows as a gap there too. The numbers above carry the meaning, so
bar heights are never the only way to read the data.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from jhe_tui.api.omh import OmhValue
from jhe_tui.widgets.clock import utc_text
from jhe_tui.widgets.plot import ReadingsPlot, Reference, Series

# The values practitioners compare with, by series and unit (hypertension at 140/90; the usual
# glucose target range).
REFERENCES = {
    ("systolic", "mmHg"): (Reference(140, "140 mmHg systolic"),),
    ("diastolic", "mmHg"): (Reference(90, "90 mmHg diastolic"),),
    ("blood glucose", "mg/dL"): (Reference(70, "70 mg/dL"), Reference(180, "180 mg/dL")),
}


def references_for(series: Sequence[Series]) -> list[Reference]:
    return [ref for s in series for ref in REFERENCES.get((s.name, s.unit), ())]


def draws_lines(app: App[object]) -> bool:
    """Whether the terminal shows enough colours to tell lines apart. A headless run (tests,
    snapshots) has no terminal to ask and follows ``TEXTUAL_COLOR_SYSTEM`` alone."""
    if app.no_color:
        return False
    system = os.environ.get("TEXTUAL_COLOR_SYSTEM") if app.is_headless else app.console.color_system
    return system not in ("standard", "windows")


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
        with Vertical(id="dialog", classes="dialog wide chart"):
            yield Label(self._title, classes="dialog-title", markup=False)
            if not self._series:
                yield Static("No numeric readings in this range.", classes="dialog-line", markup=False)
            else:
                assert self._start is not None and self._end is not None
                if draws_lines(self.app):
                    yield from self._lines(self._start, self._end)
                else:
                    yield from self._bars(self._start, self._end)
            yield Static(self._span, classes="dialog-hint", markup=False)
            yield Label("Escape closes the chart", classes="dialog-hint")

    def _lines(self, start: datetime, end: datetime) -> ComposeResult:
        for series in self._series:
            yield Static(series.summary(), classes="series-name", markup=False)
        references = references_for(self._series)
        plot = ReadingsPlot(self._series, start, end, references, id="plot")
        plot.styles.height = max(8, min(20, self.app.size.height - 12 - len(self._series)))
        yield plot
        note = "Each point is the median of the readings at that spot; a long silence breaks the line."
        if references:
            note += f" Reference lines: {', '.join(ref.label for ref in references)}."
        yield Static(note, classes="dialog-hint", markup=False)

    def _bars(self, start: datetime, end: datetime) -> ComposeResult:
        width = max(20, min(self.WIDTH, self.app.size.width - 8))  # the dialog's inner width
        for series in self._series:
            yield Static(series.summary(), classes="series-name", markup=False)
            columns = buckets(series.points, start, end, width)
            yield Static("\n".join(bar_rows(columns, self.HEIGHT)), classes="bars", markup=False)
            left, right = f"{utc_text(start)} UTC", f"{utc_text(end)} UTC"
            yield Static(left + right.rjust(width - len(left)), classes="dialog-hint", markup=False)
        yield Static("Each column is a slice of the range (median of its readings); blank: no readings.",
                     classes="dialog-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
