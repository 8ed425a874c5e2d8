"""What the admin's review screens share: read-only tables of rows picked
one at a time, times in Nairobi, stored values as text, and running a
settling action on the database thread with its refusal shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from clinic.clock import NAIROBI, clinic_today
from clinic.errors import InvalidValue, NotAllowed
from desktop.context import AppContext


def review_table(headers: list[str], name: str, elastic: int = -1) -> QTableWidget:
    """A table of whole rows, one selected at a time, not editable. Columns
    fit their contents but column ``elastic`` (the last by default), which
    takes the room left and shortens its text (whole in the tooltip)."""
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(elastic % len(headers), QHeaderView.ResizeMode.Stretch)
    return table


def fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.clearSelection()
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)


def selected_row(table: QTableWidget) -> int | None:
    rows = table.selectionModel().selectedRows()
    return rows[0].row() if rows else None


def when(moment: datetime | None, *, with_date: bool = True) -> str:
    """A time in Nairobi; the day only when ``with_date`` and not today."""
    if moment is None:
        return ""
    local = moment.astimezone(NAIROBI)
    today = local.date() == clinic_today()
    return local.strftime("%d %b %H:%M" if with_date and not today else "%H:%M")


def run_write(
    parent: QWidget,
    ctx: AppContext,
    work: Callable[[], None],
    done: Callable[[], None],
    on_invalid: Callable[[InvalidValue], None] | None = None,
) -> None:
    """Run ``work`` (a write in its own transaction) on the database thread;
    then push it and call ``done``. A refusal (NotAllowed, or InvalidValue
    without ``on_invalid``) is shown in a message box; nothing was written."""

    def finished(_result: object) -> None:
        ctx.saved()
        done()

    def failed(error: BaseException) -> None:
        if isinstance(error, InvalidValue) and on_invalid is not None:
            on_invalid(error)
            return
        if not isinstance(error, NotAllowed | InvalidValue):
            raise error
        QMessageBox.warning(parent, parent.tr("Not done"), str(error))

    ctx.db.submit(work, finished, failed)
