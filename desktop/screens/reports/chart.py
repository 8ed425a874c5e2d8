"""A report's chart drawn with Qt's own charts: bars, a line or a pie from
the columns of one of the report's tables (its totals row left out).
Money is plotted in shillings."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QPainter

from clinic.reports.base import Chart, ChartKind, Column, ColumnKind, ReportResult, Table
from desktop.display import translate
from desktop.screens.reports.cells import cell_text

MAX_PIE_SLICES = 8
"""A pie with more slices than this is unreadable: the rest become "Other"."""
MAX_LABEL_CHARS = 40


def chart_table(result: ReportResult, chart: Chart) -> Table:
    """The table a chart is drawn from; a chart naming no table of its
    report is a defect of the report, said plainly."""
    for table in result.tables:
        if table.title == chart.table:
            return table
    raise LookupError(f"the chart {chart.title!r} names no table of {result.name}: {chart.table!r}")


def _column(table: Table, key: str) -> tuple[int, Column]:
    for position, column in enumerate(table.columns):
        if column.key == key:
            return position, column
    raise LookupError(f"the table {table.title!r} has no column {key!r}")


def _number(column: Column, value: object) -> float:
    if not isinstance(value, int | float):
        return 0.0
    return value / 100 if column.kind is ColumnKind.MONEY else float(value)


def _label(column: Column, value: object) -> str:
    text = cell_text(column, value)  # type: ignore[arg-type]
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def build_chart(result: ReportResult, chart: Chart) -> QChart:
    """The QChart for one of ``result``'s charts (untitled: the screen
    names it on its tab)."""
    table = chart_table(result, chart)
    at, category = _column(table, chart.category)
    values = [_column(table, key) for key in chart.values]
    categories = [_label(category, row[at]) for row in table.rows]
    qchart = QChart()
    qchart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    qchart.setMargins(QMargins(4, 4, 4, 4))
    if chart.kind is ChartKind.PIE:
        _pie(qchart, table, categories, values[0])
        return qchart
    lying = chart.kind is ChartKind.BAR and category.kind is ColumnKind.TEXT
    if lying:  # named things (services, diagnoses) read best as bars lying down, first on top
        categories.reverse()
        rows = list(reversed(table.rows))
    else:
        rows = list(table.rows)
    if chart.kind is ChartKind.BAR:
        bars = QHorizontalBarSeries() if lying else QBarSeries()
        for position, column in values:
            bar_set = QBarSet(column.label)
            bar_set.append([_number(column, row[position]) for row in rows])
            bars.append(bar_set)
        qchart.addSeries(bars)
        series: Sequence[QAbstractBarSeries | QLineSeries] = (bars,)
    else:
        lines = []
        for position, column in values:
            line = QLineSeries()
            line.setName(column.label)
            line.setPointsVisible(len(rows) <= 40)
            for x, row in enumerate(rows):
                line.append(x, _number(column, row[position]))
            qchart.addSeries(line)
            lines.append(line)
        series = lines
    axis_categories = QBarCategoryAxis()
    axis_categories.append(categories or [""])
    if len(categories) > 12 and not lying:
        axis_categories.setLabelsAngle(-90)
    if lying:
        axis_categories.setTruncateLabels(False)  # a diagnosis is read whole
    axis_values = QValueAxis()
    axis_values.setLabelFormat("%.0f")
    axis_values.setMin(0)
    if any(column.kind is ColumnKind.MONEY for _, column in values):
        axis_values.setTitleText(translate("ReportChart", "KES"))
    qchart.addAxis(
        axis_categories, Qt.AlignmentFlag.AlignLeft if lying else Qt.AlignmentFlag.AlignBottom
    )
    qchart.addAxis(
        axis_values, Qt.AlignmentFlag.AlignBottom if lying else Qt.AlignmentFlag.AlignLeft
    )
    for one in series:
        one.attachAxis(axis_categories)
        one.attachAxis(axis_values)
    axis_values.applyNiceNumbers()
    qchart.legend().setVisible(len(values) > 1)
    qchart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return qchart


def _pie(qchart: QChart, table: Table, categories: list[str], value: tuple[int, Column]) -> None:
    position, column = value
    slices = sorted(
        ((categories[i], _number(column, row[position])) for i, row in enumerate(table.rows)),
        key=lambda pair: pair[1],
        reverse=True,
    )
    slices = [pair for pair in slices if pair[1] > 0]
    if len(slices) > MAX_PIE_SLICES:
        rest = sum(amount for _, amount in slices[MAX_PIE_SLICES - 1 :])
        slices = [*slices[: MAX_PIE_SLICES - 1], (translate("ReportChart", "Other"), rest)]
    pie = QPieSeries()
    for name, amount in slices:
        pie.append(name, amount)
    total = sum(amount for _, amount in slices) or 1.0
    for piece in pie.slices():
        piece.setLabel(f"{piece.label()} {100 * piece.value() / total:.0f}%")
        piece.setLabelVisible(piece.value() / total >= 0.04)
    qchart.addSeries(pie)
    qchart.legend().setVisible(True)
    qchart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)


def chart_view(result: ReportResult, chart: Chart) -> QChartView:
    view = QChartView(build_chart(result, chart))
    view.setObjectName("report_chart")
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view
