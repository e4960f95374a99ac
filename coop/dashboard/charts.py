"""Geometry of the dashboard's charts, drawn as SVG by templates/dashboard/_charts.html.

Charts are drawn on the server: no script, no CDN, and they print. Every bar carries its number, and the
two series of a chart differ by pattern as well as colour, so they read in black and white too.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int | float
    series: int  # 0 or 1: which pattern it wears


@dataclass(frozen=True)
class ColumnGroup:
    label: object  # what the template writes under the group (a date, a status ...)
    center: float
    bars: list[Bar]


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    baseline: float
    groups: list[ColumnGroup]
    gridlines: list[tuple[float, float]]  # (y, value)


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^n (or 25 x 10^n) not below `value`: a round top for an axis."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    steps = (1, 2, 2.5, 5, 10) if magnitude >= 10 else (1, 2, 5, 10)
    return next(int(step * magnitude) for step in steps if step * magnitude >= value)


def column_chart(groups: Sequence[tuple[object, Sequence[int]]], width: int = 720, height: int = 240,
                 top: int = 22, bottom: int = 34, left: int = 44) -> ColumnChart:
    """Grouped columns: one group per label, one column per series, heights scaled to the largest value."""
    baseline = height - bottom
    plot_height = baseline - top
    largest = nice_ceiling(max((value for _, values in groups for value in values), default=0))
    slot = (width - left - 8) / max(1, len(groups))
    series_count = max((len(values) for _, values in groups), default=1)
    bar_width = min(34.0, slot * 0.8 / series_count)
    chart_groups = []
    for index, (label, values) in enumerate(groups):
        center = left + slot * (index + 0.5)
        first_x = center - bar_width * len(values) / 2
        bars = []
        for series, value in enumerate(values):
            bar_height = plot_height * value / largest
            bars.append(Bar(round(first_x + series * bar_width, 1), round(baseline - bar_height, 1),
                            round(bar_width - 2, 1), round(bar_height, 1), value, series))
        chart_groups.append(ColumnGroup(label, round(center, 1), bars))
    # Round steps: 50 in fifths (10, 20 ...), 20 in quarters (5, 10 ...).
    divisions = 4 if str(largest).startswith("2") and not str(largest).startswith("25") else 5
    gridlines = [(round(baseline - plot_height * step / divisions, 1), round(largest * step / divisions, 1))
                 for step in range(1, divisions + 1)]
    return ColumnChart(width, height, baseline, chart_groups, gridlines)


@dataclass(frozen=True)
class HorizontalBar:
    label: object
    y: float
    width: float
    value: int


@dataclass(frozen=True)
class BarList:
    width: int
    height: int
    label_width: int
    row_height: int
    bars: list[HorizontalBar]


def bar_list(rows: Sequence[tuple[object, int]], width: int = 600, label_width: int = 300,
             row_height: int = 24) -> BarList:
    """Horizontal bars, one per row, the value written at the end of each."""
    largest = max((value for _, value in rows), default=0) or 1
    room = width - label_width - 60
    bars = [HorizontalBar(label, index * row_height, round(room * value / largest, 1), value)
            for index, (label, value) in enumerate(rows)]
    return BarList(width, max(row_height, row_height * len(rows)), label_width, row_height, bars)
