"""QtCharts for one MI figure: a line over time, or horizontal bars for its parts.

Bars are clickable: ``build_chart`` returns the bar set so the dashboard can drill into
the part that was clicked.
"""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor

from ..mi.records import Figure, Part

BAR_COLOUR = "#1f5f8b"
LINE_COLOUR = "#6a1b9a"


def _value_axis(maximum: float, unit: str) -> QValueAxis:
    axis = QValueAxis()
    top = 100.0 if unit == "percent" else max(1.0, maximum * 1.1)
    axis.setRange(0, top)
    axis.setLabelFormat("%.0f%%" if unit == "percent" else "%.0f")
    axis.setTickCount(6)
    return axis


def build_chart(figure: Figure) -> tuple[QChart, QBarSet | None, list[Part]]:
    """The chart, its clickable bar set (None for a line) and the part behind each bar."""
    chart = QChart()
    chart.setTitle(figure.title + (f"  —  {figure.display()}" if figure.value is not None else ""))
    chart.legend().hide()
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    parts = figure.parts
    if not parts:
        chart.setTitle(f"{figure.title}: nothing to show for this selection")
        return chart, None, []
    if figure.chart == "line":
        line = QLineSeries()
        line.setColor(QColor(LINE_COLOUR))
        for i, part in enumerate(parts):
            line.append(float(i), float(part.value))
        chart.addSeries(line)
        x = QValueAxis()
        x.setRange(0, max(1, len(parts) - 1))
        x.setLabelFormat("%d")
        x.setTitleText(f"{parts[0].label} … {parts[-1].label}")
        y = _value_axis(max(p.value for p in parts), figure.parts_unit)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        line.attachAxis(x)
        line.attachAxis(y)
        return chart, None, []
    bars = QBarSet(figure.title)
    bars.setColor(QColor(BAR_COLOUR))
    shown = list(reversed(parts[:25]))  # top of the list at the top of the chart
    for part in shown:
        bars.append(float(part.value))
    series = QHorizontalBarSeries()
    series.append(bars)
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value")
    series.setLabelsPrecision(4 if figure.parts_unit == "percent" else 6)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append([p.label[:48] for p in shown])
    values = _value_axis(max(p.value for p in parts), figure.parts_unit)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(categories)
    series.attachAxis(values)
    return chart, bars, shown
