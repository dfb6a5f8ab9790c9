"""The chart (issue 18): lines with dated x ticks, values with units, systolic and diastolic together,
reference lines; a long silence breaks the line; block bars where lines could not be told apart."""

from __future__ import annotations

import re

from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App

from jhe_tui.dialogs.chart import ChartModal
from jhe_tui.widgets.plot import ReadingsPlot, Series, nice_ticks, segments

START = datetime(2026, 5, 1, tzinfo=UTC)
END = START + timedelta(days=30)


def _points(days, value: float) -> list[tuple[datetime, float]]:
    return [(START + timedelta(days=d, hours=8), value + d % 5) for d in days]


def _blood_pressure() -> list[Series]:
    days = [*range(0, 10), *range(20, 30)]  # ten silent days in the middle
    return [Series("systolic", "mmHg", _points(days, 130.0)), Series("diastolic", "mmHg", _points(days, 80.0))]


def test_a_long_silence_breaks_the_line_and_ticks_are_round():
    runs = segments(_points([*range(0, 10), *range(20, 30)], 100.0), START, END, 60)
    assert len(runs) == 2 and runs[0][-1][0] < 10 < 20 < runs[1][0][0]
    assert segments(_points(range(30), 100.0), START, END, 60)[0][0][1] == 100.0
    assert nice_ticks(68, 144) == [60.0, 80.0, 100.0, 120.0, 140.0, 160.0]


class _Charting(App[None]):
    def __init__(self, series: list[Series]) -> None:
        super().__init__()
        self.chart = ChartModal("Blood pressure · 40001", series, "From 2026-05-01 to 2026-05-31.", START, END)

    def on_mount(self) -> None:
        self.push_screen(self.chart)


async def test_lines_carry_dates_units_both_series_and_the_reference_lines(monkeypatch):
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    app = _Charting(_blood_pressure())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        plot = app.chart.query_one("#plot", ReadingsPlot)
        drawn = plot.render().plain
        for text in ("140 mmHg", "80 mmHg", "systolic", "diastolic"):
            assert text in drawn, text
        dates = re.findall(r"2026-05-[0-9]{2}", drawn)  # dated x ticks, in order, spread over the month
        assert len(dates) >= 4 and dates == sorted(dates) and dates[0] <= "2026-05-08" and dates[-1] >= "2026-05-25"
        assert [r.value for r in plot.references] == [140, 90]
        hints = " ".join(str(s.content) for s in app.chart.query(".dialog-hint"))
        assert "140 mmHg systolic, 90 mmHg diastolic" in hints


@pytest.mark.parametrize(("variable", "value"), [("TEXTUAL_COLOR_SYSTEM", "standard"), ("NO_COLOR", "1")])
async def test_block_bars_without_colour(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    app = _Charting(_blood_pressure())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not app.chart.query(ReadingsPlot)
        bars = [str(s.content) for s in app.chart.query(".bars")]
        assert len(bars) == 2 and all("█" in b for b in bars)
