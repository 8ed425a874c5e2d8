"""The claims follow-up: the claims-ageing report on screen (outstanding by
age since submission, claims by status, paid against claimed, rejection
reasons ranked) for a range of visit dates and a branch or all.

The report runs on the database thread; its tables are shown as they
come, cells written by their column's kind.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.claims.queries import BranchChoice
from clinic.errors import InvalidValue
from clinic.reports.base import Cell, ColumnKind, ReportRequest, ReportResult, Table
from clinic.reports.claims_ageing import ageing_day, claims_ageing
from clinic.rules.money import format_kes
from desktop.context import AppContext
from desktop.screens.claims.labels import tr
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import error_text
from desktop.widgets import ERROR_STYLE

DEFAULT_DAYS = 365
ROW_HEIGHT = 24


def cell_text(kind: ColumnKind, value: Cell) -> str:
    """A report cell as the screen shows it."""
    if value is None:
        return ""
    if kind == ColumnKind.MONEY and isinstance(value, int):
        return format_kes(value)
    if kind == ColumnKind.COUNT and isinstance(value, int):
        return f"{value:,}"
    if kind == ColumnKind.PERCENT and isinstance(value, int | float):
        return f"{value:.1f} %"
    if kind == ColumnKind.DATE and isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


class ReportTable(QTableWidget):
    """One table of a report, its totals row in bold, as tall as its rows
    (up to ``max_rows``; then it scrolls)."""

    def __init__(self, name: str, max_rows: int = 12, *, stretch_first: bool = True) -> None:
        super().__init__()
        self.setObjectName(name)
        self.max_rows = max_rows
        self.stretch_first = stretch_first
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.setAlternatingRowColors(True)

    def show_table(self, table: Table) -> None:
        columns = list(table.columns)
        self.clear()
        self.setColumnCount(len(columns))
        self.setHorizontalHeaderLabels([c.label for c in columns])
        rows = [list(row) for row in table.rows]
        if table.totals is not None:
            rows.append(list(table.totals))
        self.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, row in enumerate(rows):
            for c, (column, value) in enumerate(zip(columns, row, strict=True)):
                item = QTableWidgetItem(cell_text(column.kind, value))
                if column.kind == ColumnKind.TEXT:
                    item.setToolTip(item.text())
                else:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if table.totals is not None and r == len(rows) - 1:
                    item.setFont(bold)
                    item.setBackground(Qt.GlobalColor.transparent)
                self.setItem(r, c, item)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if self.stretch_first:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        else:
            header.setStretchLastSection(True)
        shown = min(max(len(rows), 1), self.max_rows)
        self.setFixedHeight(header.sizeHint().height() + shown * ROW_HEIGHT + 4)

    def texts(self) -> list[list[str]]:
        """The cells as shown, row by row (the totals row last)."""
        return [
            [(self.item(r, c).text() if self.item(r, c) else "") for c in range(self.columnCount())]  # type: ignore[union-attr]
            for r in range(self.rowCount())
        ]


class FollowUpPanel(QWidget):
    sig_shown = Signal(object)
    """The report is on screen; carries the :class:`ReportResult`."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: ReportResult | None = None
        today = ctx.today()
        self.start = self._date_edit("follow_up_from", today - timedelta(days=DEFAULT_DAYS))
        self.end = self._date_edit("follow_up_to", today)
        self.branch = QComboBox()
        self.branch.setObjectName("follow_up_branch")
        self.branch.addItem(tr("All branches"), None)
        self.show_button = QPushButton(tr("Show"))
        self.show_button.clicked.connect(self.refresh)
        self.as_of = QLabel()
        self.as_of.setStyleSheet("color: #5f6b76;")
        bar = QHBoxLayout()
        bar.addWidget(QLabel(tr("Visits from")))
        bar.addWidget(self.start)
        bar.addWidget(QLabel(tr("to")))
        bar.addWidget(self.end)
        bar.addWidget(self.branch)
        bar.addWidget(self.show_button)
        bar.addSpacing(12)
        bar.addWidget(self.as_of, 1)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        self.ageing = ReportTable("ageing_table", max_rows=6)
        self.statuses = ReportTable("status_table", max_rows=9, stretch_first=False)
        self.paid = ReportTable("paid_table", max_rows=7, stretch_first=False)
        self.reasons = ReportTable("reasons_table", max_rows=5)
        self.boxes: dict[str, QGroupBox] = {}
        for name, table in (
            ("ageing", self.ageing),
            ("statuses", self.statuses),
            ("paid", self.paid),
            ("reasons", self.reasons),
        ):
            box = QGroupBox()
            QVBoxLayout(box).addWidget(table)
            self.boxes[name] = box
        right = QVBoxLayout()
        right.addWidget(self.boxes["paid"])
        right.addWidget(self.boxes["reasons"])
        right.addStretch(1)
        lower = QHBoxLayout()
        lower.addWidget(self.boxes["statuses"], 1, Qt.AlignmentFlag.AlignTop)
        lower.addLayout(right, 1)
        content = QWidget()
        tables = QVBoxLayout(content)
        tables.setContentsMargins(0, 0, 0, 0)
        tables.addWidget(self.boxes["ageing"])
        tables.addLayout(lower)
        tables.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(scroll, 1)

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        return edit

    def set_branches(self, branches: list[BranchChoice]) -> None:
        current = self.branch.currentData()
        self.branch.clear()
        self.branch.addItem(tr("All branches"), None)
        for choice in branches:
            self.branch.addItem(f"{choice.code} — {choice.name}", choice.id.hex)
        self.branch.setCurrentIndex(max(self.branch.findData(current), 0))
        self.branch.setVisible(len(branches) > 1)

    def refresh(self) -> None:
        self.error.hide()
        branch = self.branch.currentData()
        try:
            request = ReportRequest(
                self.start.date().toPython(),  # type: ignore[arg-type]
                self.end.date().toPython(),  # type: ignore[arg-type]
                uuid.UUID(branch) if branch else None,
            )
        except InvalidValue as error:
            self._failed(error)
            return
        store = self.ctx.store

        def work() -> ReportResult:
            with store.session() as session:
                return claims_ageing(request, session)

        submit_for(self, self.ctx.db, work, FollowUpPanel._show, FollowUpPanel._failed)

    def _failed(self, error: BaseException) -> None:
        self.error.setText(error_text(error))
        self.error.show()

    def _show(self, result: ReportResult) -> None:
        self.result = result
        ageing, statuses, reasons, paid = result.tables
        for name, widget, table in (
            ("ageing", self.ageing, ageing),
            ("statuses", self.statuses, statuses),
            ("paid", self.paid, paid),
            ("reasons", self.reasons, reasons),
        ):
            self.boxes[name].setTitle(table.title)
            widget.show_table(table)
        as_of = ageing_day(result.request)
        self.as_of.setText(
            tr("Ages in days since submission, on {day}").format(day=f"{as_of:%d/%m/%Y}")
        )
        self.sig_shown.emit(result)
