"""The branch's cash-up for a day: every PC's shifts this store holds
(other PCs' once synced), their totals and variances, and the sums."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic.rules.money import format_kes
from desktop.context import AppContext
from desktop.printing import local_time
from desktop.screens.shifts.data import CashUpView, ShiftView, cash_up_view
from desktop.screens.shifts.labels import variance_colour, variance_text
from desktop.screens.shifts.models import RIGHT, Index, MethodsModel
from desktop.screens.shifts.shift_panel import BANNER_ERROR, table_for


class ShiftsModel(QAbstractTableModel):
    """One row per shift of the day."""

    def __init__(self) -> None:
        super().__init__()
        self.shifts: Sequence[ShiftView] = ()

    def headers(self) -> tuple[str, ...]:
        return (
            self.tr("Cashier"),
            self.tr("PC"),
            self.tr("Opened"),
            self.tr("Closed"),
            self.tr("Float"),
            self.tr("Cash taken"),
            self.tr("Expected cash"),
            self.tr("Counted"),
            self.tr("Variance"),
            self.tr("Other methods"),
        )

    def set_shifts(self, shifts: Sequence[ShiftView]) -> None:
        self.beginResetModel()
        self.shifts = shifts
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.shifts)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        s = self.shifts[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            other = sum(m.expected_cents for m in s.methods if m.method.value != "CASH")
            values = (
                s.cashier,
                s.device,
                local_time(s.opened_at, "%H:%M"),
                local_time(s.closed_at, "%H:%M") if s.closed_at else self.tr("open"),
                format_kes(s.opening_float_cents),
                format_kes(s.cash_taken_cents),
                format_kes(s.expected_cash_cents),
                format_kes(s.counted_cash_cents) if s.counted_cash_cents is not None else "",
                variance_text(s.variance_cents),
                format_kes(other),
            )
            return values[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 4:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == 8 and s.variance_cents is not None:
            return QBrush(QColor(variance_colour(s.variance_cents)))
        return None


class CashUpPanel(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.cash_up: CashUpView | None = None
        self.day = QDateEdit()
        self.day.setObjectName("cash_up_day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd MMM yyyy")
        today = ctx.today()
        self.day.setDate(QDate(today.year, today.month, today.day))
        self.day.dateChanged.connect(lambda _d: self.refresh())
        self.show_button = QPushButton(self.tr("&Show"))
        self.show_button.clicked.connect(self.refresh)
        controls = QHBoxLayout()
        controls.addWidget(QLabel(self.tr("Day")))
        controls.addWidget(self.day)
        controls.addWidget(self.show_button)
        controls.addStretch(1)
        self.summary = QLabel()
        self.summary.setObjectName("cash_up_summary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 11pt;")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(BANNER_ERROR)
        self.message.hide()
        self.shifts = ShiftsModel()
        self.shifts_table = table_for(self.shifts, "cash_up_shifts")
        shifts_box = QGroupBox(self.tr("Shifts (every PC, as far as synced)"))
        QVBoxLayout(shifts_box).addWidget(self.shifts_table)
        self.methods = MethodsModel()
        self.methods_table = table_for(self.methods, "cash_up_methods")
        methods_box = QGroupBox(self.tr("The branch's day by method"))
        QVBoxLayout(methods_box).addWidget(self.methods_table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.summary)
        layout.addWidget(shifts_box, 3)
        layout.addWidget(methods_box, 2)

    def branch_id(self) -> uuid.UUID | None:
        return self.ctx.actor().branch_id

    def refresh(self) -> None:
        branch_id = self.branch_id()
        if branch_id is None:
            self.message.setText(self.tr("This PC has no branch yet: log in online once."))
            self.message.show()
            return
        qdate = self.day.date()
        day = qdate.toPython()
        store = self.ctx.store

        def work() -> CashUpView:
            with store.session() as session:
                return cash_up_view(branch_id, day, session=session)  # type: ignore[arg-type]

        self.ctx.db.submit(work, self.show_cash_up, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.message.setText(self.tr("Could not read the cash-up: %s") % error)
        self.message.show()

    def show_cash_up(self, cash_up: CashUpView) -> None:
        self.message.hide()
        self.cash_up = cash_up
        self.shifts.set_shifts(cash_up.shifts)
        self.methods.set_lines(
            cash_up.methods,
            cash_up.counted_cash_cents if cash_up.shifts else None,
            cash_up.variance_cents if cash_up.shifts else None,
        )
        if not cash_up.shifts:
            self.summary.setText(self.tr("No shifts were opened at this branch on this day."))
            return
        text = self.tr("%d shifts: expected cash %s, counted %s, variance %s.") % (
            len(cash_up.shifts),
            format_kes(cash_up.expected_cash_cents),
            format_kes(cash_up.counted_cash_cents),
            variance_text(cash_up.variance_cents),
        )
        if cash_up.open_shifts:
            text += (
                " "
                + self.tr("%d still open: their cash is expected but not yet counted.")
                % cash_up.open_shifts
            )
        self.summary.setText(text)
