"""A transaction's readings as a chart with axes and values (plotext, through textual-plotext).

A sparkline shows a shape and nothing else: an engineer asking "how fast was it charging at
10:40, and did the power drop when the second car plugged in?" needs the time along the bottom
and the scale up the side. The x axis is minutes since the first reading, which reads the same
whatever the time zone; the y axis is in the unit a person thinks in (kWh, kW).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual_plotext import PlotextPlot

Point = tuple[datetime, float]


class SeriesChart(PlotextPlot):
    """One series against time, with a title naming its unit; says so when there is none."""

    DEFAULT_CSS = """
    SeriesChart {
        height: 12;
        width: 1fr;
    }
    """

    def __init__(self, title: str, unit: str, scale: float, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title, self.unit, self.scale = title, unit, scale
        self.points: list[Point] = []

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def show(self, points: Sequence[Point]) -> None:
        """Draw ``points`` (time, value in the base unit: W or Wh), if they changed."""
        points = list(points)
        if points == self.points:
            return
        self.points = points
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.points:
            plt.title(f"{self.title}: no readings yet")
            self.refresh()
            return
        start = self.points[0][0]
        xs = [(at - start).total_seconds() / 60 for at, _ in self.points]
        ys = [value / self.scale for _, value in self.points]
        plt.plot(xs, ys, marker="braille")
        plt.title(f"{self.title} ({self.unit})")
        plt.xlabel("minutes since the first reading")
        # One reading, or all equal: plotext would put the lone point on a zero-width scale.
        low, high = min(ys), max(ys)
        if high - low < 1e-9:
            plt.ylim(low - 1, high + 1)
        self.refresh()
