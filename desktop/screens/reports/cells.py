"""How a report's cells read on screen and on paper: money as KES, counts
with thousands separators, dates as the clinic writes them. One place, so
the table on screen and the PDF always agree."""

from __future__ import annotations

from datetime import date

from clinic.reports.base import Cell, Column, ColumnKind, ReportRequest
from clinic.rules.money import format_kes

NUMERIC_KINDS = frozenset({ColumnKind.COUNT, ColumnKind.MONEY, ColumnKind.PERCENT})
"""Columns whose values are right-aligned and may add up."""


def cell_text(column: Column, value: Cell) -> str:
    """The text of one cell: ``KES 1,250.00`` for money (integer cents),
    ``1,204`` for counts, ``12.5%`` for percentages, ``06 Dec 2026`` for
    dates; an empty cell is blank."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if column.kind is ColumnKind.MONEY and isinstance(value, int | float):
        return format_kes(round(value))
    if column.kind is ColumnKind.COUNT and isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    if column.kind is ColumnKind.PERCENT and isinstance(value, int | float):
        return f"{value:.1f}%"
    return str(value)


def is_numeric(column: Column) -> bool:
    return column.kind in NUMERIC_KINDS


def range_text(request: ReportRequest) -> str:
    """``06 Dec 2026``, or ``01 Dec 2026 to 31 Dec 2026``."""
    if request.start == request.end:
        return f"{request.start:%d %b %Y}"
    return f"{request.start:%d %b %Y} to {request.end:%d %b %Y}"
