"""Readings over time as a line chart with axes (textual-plotext): dated x ticks, values with their
unit on the y axis, several series together (systolic and diastolic), and reference lines.

Each series is first reduced to one median per column, so twenty thousand readings draw as fast
as fifty; a silence much longer than the usual spacing breaks the line, so a patient who stopped
sending shows as a gap, not as a straight line across it. The colours are the theme's own, read
at every render, so the chart follows a theme change like the rest of the console.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.console import RenderableType
from textual.color import Color
from textual_plotext import PlotextPlot

from jhe_tui.api.omh import format_number

DAY = 86_400.0


@dataclass(frozen=True)
class Series:
    """One quantity over time: its name ("systolic"), unit and points, oldest first."""

    name: str
    unit: str
    points: Sequence[tuple[datetime, float]]

    def summary(self) -> str:
        values = [v for _, v in self.points]
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.name}: min {format_number(min(values))}{unit} · median "
            f"{format_number(round(statistics.median(values), 2))}{unit} · max {format_number(max(values))}{unit}"
            f" · {len(values):,} readings"
        )


@dataclass(frozen=True)
class Reference:
    """A horizontal line at a value a practitioner compares with (140 mmHg, 70 mg/dL)."""

    value: float
    label: str


def segments(points: Sequence[tuple[datetime, float]], start: datetime, end: datetime,
             columns: int) -> list[list[tuple[float, float]]]:
    """(days since ``start``, median) per column that has readings, in runs without a long silence."""
    span = (end - start).total_seconds() or 1.0
    slots: dict[int, list[float]] = {}
    for moment, value in points:
        index = min(max(int((moment - start).total_seconds() / span * columns), 0), columns - 1)
        slots.setdefault(index, []).append(value)
    kept = [((index + 0.5) / columns * span / DAY, statistics.median(values)) for index, values in sorted(slots.items())]
    steps = [b[0] - a[0] for a, b in zip(kept, kept[1:], strict=False)]
    silence = max(2.0, 3 * statistics.median(steps)) if steps else math.inf
    runs: list[list[tuple[float, float]]] = []
    for point in kept:
        if not runs or point[0] - runs[-1][-1][0] > silence:
            runs.append([])
        runs[-1].append(point)
    return runs


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [float(round(first + i * step, 10)) for i in range(int(math.ceil((high - first) / step)) + 1)]


def date_ticks(start: datetime, end: datetime, count: int) -> tuple[list[float], list[str]]:
    """Evenly spaced x ticks (days since ``start``) labelled with the date, or date and time for a short
    range; each in the middle of its share of the range, so no label falls off either edge."""
    days = (end - start).total_seconds() / DAY
    form = "%Y-%m-%d" if days >= 3 else "%m-%d %H:%M"
    ticks = [days * (i + 0.5) / count for i in range(count)]
    return ticks, [(start + timedelta(days=t)).strftime(form) for t in ticks]


class ReadingsPlot(PlotextPlot):
    """The lines of one chart; redrawn from its data at every render (size or theme changed)."""

    DEFAULT_CSS = "ReadingsPlot { height: 1fr; min-height: 8; }"

    def __init__(self, lines: Sequence[Series], start: datetime, end: datetime,
                 references: Sequence[Reference] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines, self.start, self.end, self.references = list(lines), start, end, list(references)

    def render(self) -> RenderableType:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        columns = max(self.size.width - 12, 10)
        colours = [self._colour(name) for name in ("primary", "accent", "success", "secondary")]
        values = [v for line in self.lines for _, v in line.points] + [r.value for r in self.references]
        for index, line in enumerate(self.lines):
            colour = colours[index % len(colours)]
            for number, run in enumerate(segments(line.points, self.start, self.end, columns)):
                xs, ys = zip(*run, strict=True)
                plt.plot(list(xs), list(ys), marker="braille", color=colour, label=None if number else line.name)
        for reference in self.references:
            plt.horizontal_line(reference.value, color=self._colour("error"))
        unit = next((line.unit for line in self.lines if line.unit), "")
        ticks = nice_ticks(min(values), max(values), max(3, min(6, self.size.height // 3)))  # a label every 3 rows or more
        plt.ylim(ticks[0], ticks[-1])
        plt.yticks(ticks, [f"{format_number(t)} {unit}".strip() for t in ticks])
        days = (self.end - self.start).total_seconds() / DAY
        plt.xlim(0, days)
        plt.xticks(*date_ticks(self.start, self.end, max(2, min(6, self.size.width // 20))))
        return super().render()

    def _colour(self, name: str) -> tuple[int, int, int]:
        return Color.parse(self.app.theme_variables[name]).rgb
