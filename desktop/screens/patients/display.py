"""How patient values read on screen: age, dates, phone, money, errors
(sexes and visit statuses are named in ``desktop.display``)."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QTableWidget

from clinic.rules.ages import age_on
from clinic.rules.phones import format_phone_for_display

FLAG_STYLE = "color: #a15c00; font-weight: bold;"
NOTICE_STYLE = "color: #1b5e20;"


def age_text(dob: date | None, estimated: bool, today: date) -> str:
    """``33 y``; ``~33 y`` when the date of birth was estimated from an age."""
    if dob is None:
        return ""
    try:
        age = age_on(dob, today)
    except ValueError:
        return ""
    return f"~{age}" if estimated else age


def date_text(day: date | None) -> str:
    return "" if day is None else f"{day:%d/%m/%Y}"


def phone_text(e164: str | None) -> str:
    return "" if not e164 else format_phone_for_display(e164)


def kes(cents: int) -> str:
    """``KES 1,250.00`` from 125000 cents (a minus sign before KES when negative)."""
    sign = "-" if cents < 0 else ""
    shillings, rest = divmod(abs(cents), 100)
    return f"{sign}KES {shillings:,}.{rest:02d}"


def error_text(error: BaseException) -> str:
    """A failure as one line for a message under a form or in a status line."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def table_texts(table: QTableWidget) -> list[list[str]]:
    """A table's cell texts, row by row, as shown."""
    rows = []
    for row in range(table.rowCount()):
        cells = []
        for column in range(table.columnCount()):
            item = table.item(row, column)
            cells.append(item.text() if item is not None else "")
        rows.append(cells)
    return rows


def header_texts(table: QTableWidget) -> list[str]:
    headers = []
    for column in range(table.columnCount()):
        item = table.horizontalHeaderItem(column)
        headers.append(item.text() if item is not None else "")
    return headers
