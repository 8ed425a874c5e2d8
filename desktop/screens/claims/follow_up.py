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
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic.claims.queries import BranchChoice
from clinic.errors import InvalidValue
from clinic.reports.base import ReportRequest, ReportResult, Table
from clinic.reports.claims_ageing import ageing_day, claims_ageing
from desktop.context import AppContext
from desktop.display import translate
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import error_text
from desktop.screens.reports.model import ReportTableModel
from desktop.screens.reports.screen import table_view
from desktop.widgets import ERROR_STYLE

DEFAULT_DAYS = 365
ROW_HEIGHT = 24


class ReportBox(QGroupBox):
    """One table of the report, titled, shown as the Reports screen shows
    tables (:func:`table_view`), as tall as its rows up to ``max_rows``
    (then it scrolls); ``stretch_first`` gives the spare width to the first
    column, else to the last."""

    def __init__(self, name: str, max_rows: int, *, stretch_first: bool = True) -> None:
        super().__init__()
        self.name = name
        self.max_rows = max_rows
        self.stretch_first = stretch_first
        self.view: QTableView | None = None
        QVBoxLayout(self)

    def show_table(self, table: Table) -> None:
        self.setTitle(table.title)
        if self.view is not None:
            self.view.hide()
            self.view.deleteLater()
        model = ReportTableModel(table)
        view = table_view(model)
        view.setObjectName(self.name)
        header = view.horizontalHeader()
        if self.stretch_first:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        else:  # narrow boxes: the columns as wide as their cells, no more
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setStretchLastSection(True)
        shown = min(max(model.rowCount(), 1), self.max_rows)
        view.setFixedHeight(header.sizeHint().height() + shown * ROW_HEIGHT + 4)
        self.layout().addWidget(view)  # type: ignore[union-attr]
        self.view = view

    def texts(self) -> list[list[str]]:
        """The cells as shown, row by row (the totals row last)."""
        if self.view is None:
            return []
        model = self.view.model()
        return [
            [str(model.index(r, c).data()) for c in range(model.columnCount())]
            for r in range(model.rowCount())
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
        self.branch.addItem(translate("Claims", "All branches"), None)
        self.show_button = QPushButton(translate("Claims", "Show"))
        self.show_button.clicked.connect(self.refresh)
        self.as_of = QLabel()
        self.as_of.setStyleSheet("color: #5f6b76;")
        bar = QHBoxLayout()
        bar.addWidget(QLabel(translate("Claims", "Visits from")))
        bar.addWidget(self.start)
        bar.addWidget(QLabel(translate("Claims", "to")))
        bar.addWidget(self.end)
        bar.addWidget(self.branch)
        bar.addWidget(self.show_button)
        bar.addSpacing(12)
        bar.addWidget(self.as_of, 1)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        self.ageing = ReportBox("ageing_table", max_rows=6)
        self.statuses = ReportBox("status_table", max_rows=9, stretch_first=False)
        self.paid = ReportBox("paid_table", max_rows=7, stretch_first=False)
        self.reasons = ReportBox("reasons_table", max_rows=5)
        self.boxes: dict[str, ReportBox] = {
            "ageing": self.ageing,
            "statuses": self.statuses,
            "paid": self.paid,
            "reasons": self.reasons,
        }
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
        self.branch.addItem(translate("Claims", "All branches"), None)
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
        for box, table in (
            (self.ageing, ageing),
            (self.statuses, statuses),
            (self.paid, paid),
            (self.reasons, reasons),
        ):
            box.show_table(table)
        as_of = ageing_day(result.request)
        self.as_of.setText(
            translate("Claims", "Ages in days since submission, on {day}").format(
                day=f"{as_of:%d/%m/%Y}"
            )
        )
        self.sig_shown.emit(result)
