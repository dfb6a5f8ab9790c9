"""Values over time in the terminal: sparklines plus the figures that matter (min, median, max).

A Sparkline needs no extra dependency and reads over SSH at any colour depth; the numbers next
to it carry the meaning, so the bar heights are never the only way to read the data.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Sparkline, Static

from jhe_tui.api.omh import format_number
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


class ChartModal(ModalScreen[None]):
    DEFAULT_CSS = """
    ChartModal .dialog { width: 96; }
    ChartModal Sparkline { height: 6; margin: 0 0 1 0; }
    ChartModal .series-name { text-style: bold; }
    """
    BINDINGS = [Binding("escape,c", "close", "Close chart", id="chart.close", tooltip="Back to the observations")]

    def __init__(self, title: str, series: Sequence[Series], span: str) -> None:
        super().__init__()
        self._title = title
        self._series = [s for s in series if s.points]
        self._span = span

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog chart"):
            yield Label(self._title, classes="dialog-title", markup=False)
            if not self._series:
                yield Static("No numeric readings in this range.", classes="dialog-line", markup=False)
            for series in self._series:
                first, last = series.points[0][0], series.points[-1][0]
                yield Static(series.summary(), classes="series-name", markup=False)
                yield Sparkline([v for _, v in series.points], summary_function=statistics.median)
                yield Static(f"{utc_text(first)} UTC … {utc_text(last)} UTC (readings in time order, oldest on the left)",
                             classes="dialog-hint", markup=False)
            yield Static(self._span, classes="dialog-hint", markup=False)
            yield Label("Escape closes the chart", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
